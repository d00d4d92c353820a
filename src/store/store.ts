import { closeSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';

/**
 * One SQL dialect, PostgreSQL: the embedded default is PGlite (Postgres compiled to WASM, in process, data in a
 * directory), a server is reached through `pg` when DATABASE_URL is set. Same migrations, same queries.
 */
export interface Store {
  kind: 'pglite' | 'postgres';
  query<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  /** Runs `fn` in one transaction on one connection; rolls back on any error. */
  transaction<T>(fn: (q: Store['query']) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

const MIGRATIONS = new URL('./migrations/', import.meta.url);

async function migrate(q: Store['query']): Promise<void> {
  await q('CREATE TABLE IF NOT EXISTS schema_migrations (name text PRIMARY KEY)');
  const done = new Set((await q<{ name: string }>('SELECT name FROM schema_migrations')).map((r) => r.name));
  for (const f of readdirSync(MIGRATIONS).filter((x) => x.endsWith('.sql')).sort()) {
    if (done.has(f)) continue;
    await q(readFileSync(new URL(f, MIGRATIONS), 'utf8'));
    await q('INSERT INTO schema_migrations (name) VALUES ($1) ON CONFLICT DO NOTHING', [f]);
  }
}

/** A repository's store: PostgreSQL when DATABASE_URL is set (schema DEPWARDEN_DB_SCHEMA), else PGlite under `<root>/.depwarden/state`. */
export function repositoryStoreDir(root: string): string {
  return path.join(root, '.depwarden', 'state');
}

export function openRepositoryStore(root: string, env: NodeJS.ProcessEnv): Promise<Store> {
  return openStore({ ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}), ...(env.DEPWARDEN_DB_SCHEMA ? { schema: env.DEPWARDEN_DB_SCHEMA } : {}), dir: repositoryStoreDir(root) });
}

/** PostgreSQL at `databaseUrl` (optionally in its own schema), else PGlite in `dir`. Migrations are applied. */
export async function openStore(opts: { databaseUrl?: string; dir: string; schema?: string }): Promise<Store> {
  if (opts.databaseUrl) {
    const { default: pg } = await import('pg');
    const schema = opts.schema;
    if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    // The schema is part of every connection's startup options: no query can run before it applies.
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 4, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
    const store: Store = {
      kind: 'postgres',
      query: async <T>(text: string, params: unknown[] = []) => (await pool.query(text, params)).rows as T[],
      transaction: async <T>(fn: (q: Store['query']) => Promise<T>) => {
        const c = await pool.connect();
        try {
          await c.query('BEGIN');
          const r = await fn(async <U>(text: string, params: unknown[] = []) => (await c.query(text, params)).rows as U[]);
          await c.query('COMMIT');
          return r;
        } catch (e) {
          await c.query('ROLLBACK').catch(() => {});
          throw e;
        } finally {
          c.release();
        }
      },
      close: () => pool.end(),
    };
    // Processes meeting a fresh schema for the first time take turns: the schema's creation and the migrations
    // run in one transaction behind an advisory lock keyed by the schema (CREATE ... IF NOT EXISTS is not safe
    // against a concurrent creator).
    try {
      await store.transaction(async (q) => {
        await q('SELECT pg_advisory_xact_lock(hashtext($1))', [`depwarden-migrate:${schema ?? ''}`]);
        if (schema) await q(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await migrate(q);
      });
    } catch (e) {
      await pool.end().catch(() => {});
      throw e;
    }
    return store;
  }
  mkdirSync(path.dirname(opts.dir), { recursive: true });
  // PGlite is one process's database: a lock file beside the data directory serialises processes (a second
  // depwarden waits), and a lock left by a killed process is taken over.
  const release = await lockDirectory(`${opts.dir}.lock`);
  const { PGlite } = await import('@electric-sql/pglite');
  let db: InstanceType<typeof PGlite>;
  try {
    db = new PGlite(opts.dir);
    await db.waitReady;
  } catch (e) {
    release();
    throw e;
  }
  const store: Store = {
    kind: 'pglite',
    query: async <T>(text: string, params: unknown[] = []) => (params.length ? (await db.query(text, params)).rows : (await db.exec(text)).flatMap((r) => r.rows)) as T[],
    transaction: async <T>(fn: (q: Store['query']) => Promise<T>) =>
      db.transaction(async (tx) => fn(async <U>(text: string, params: unknown[] = []) => (params.length ? (await tx.query(text, params)).rows : (await tx.exec(text)).flatMap((r) => r.rows)) as U[])),
    close: async () => {
      try {
        await db.close();
      } finally {
        release();
      }
    },
  };
  await store.transaction(async (q) => migrate(q));
  return store;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function readOwner(file: string): number {
  try {
    return Number(readFileSync(file, 'utf8')) || 0;
  } catch {
    return 0;
  }
}

/**
 * The embedded store's exclusive lock; waits (bounded) while another live process holds it.
 *
 * On Linux the lock is a listening socket in the abstract namespace named after the lock file's real path: the
 * kernel gives it to exactly one process and frees it when that process dies (even by `kill -9`), so there is no
 * stale lock to take over and no takeover race. The pid file beside the store then only names the holder for
 * messages. Elsewhere the pid file is the lock (created exclusively; a dead owner's is removed), which is exact
 * for one waiter and best effort when several take over a dead owner's lock at the same instant.
 */
export async function lockDirectory(file: string, timeoutMs = 120_000): Promise<() => void> {
  const deadline = Date.now() + timeoutMs;
  const wait = async (): Promise<void> => {
    const owner = readOwner(file);
    if (Date.now() > deadline) throw new StoreBusyError(`the embedded database is in use${owner ? ` by process ${owner}` : ''} (lock ${file}); gave up after ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 50 + Math.random() * 50));
  };
  if (process.platform === 'linux') {
    const { createServer } = await import('node:net');
    const { createHash } = await import('node:crypto');
    const name = `\0depwarden-store-${createHash('sha256').update(path.join(realpathSync(path.dirname(file)), path.basename(file))).digest('hex').slice(0, 40)}`;
    for (;;) {
      const server = createServer();
      const got = await new Promise<boolean>((resolve, reject) => {
        server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? resolve(false) : reject(e)));
        server.listen({ path: name }, () => resolve(true));
      });
      if (got) {
        server.unref();
        writeFileSync(file, String(process.pid), { mode: 0o600 });
        return () => {
          if (readOwner(file) === process.pid) rmSync(file, { force: true });
          server.close();
        };
      }
      await wait();
    }
  }
  for (;;) {
    try {
      const fd = openSync(file, 'wx', 0o600);
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => {
        if (readOwner(file) === process.pid) rmSync(file, { force: true });
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const owner = readOwner(file);
      // A lock being written this instant reads empty: wait for it rather than remove it.
      if (owner && !alive(owner)) {
        rmSync(file, { force: true });
        continue;
      }
      await wait();
    }
  }
}

/** Another process holds the embedded store for longer than we wait. */
export class StoreBusyError extends Error {}
