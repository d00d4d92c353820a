import { chmodSync, closeSync, existsSync, lstatSync, mkdirSync, openSync, readdirSync, readFileSync, realpathSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import path from 'node:path';
import { resolveInside } from '../edit/paths.ts';
import { processAlive as alive } from '../util/process-alive.ts';

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

/** The store cannot be used where it is (a user or environment problem, not a bug); the message says why. */
export class StoreError extends Error {}

/** Asked to read a store that does not exist: read-only commands never create one. */
export class NoStoreError extends StoreError {}

/**
 * What `check` needs from the embedded store, kept beside it so that `check` does not start the database (about a
 * second) to learn there is nothing overdue. Removed before a process first changes the store and rewritten when
 * it closes it: a process that dies after a change leaves no summary, and the next reader opens the store.
 */
export interface StoreSummary {
  openReviews: number;
  /** Earliest due time (ISO) of a post-update review not signed off; null when there is none. */
  earliestReviewDue: string | null;
}

const summaryFile = (root: string): string => `${repositoryStoreDir(root)}.summary.json`;

export function readStoreSummary(root: string): StoreSummary | undefined {
  try {
    const s = JSON.parse(readFileSync(summaryFile(root), 'utf8')) as StoreSummary;
    return typeof s.openReviews === 'number' && (s.earliestReviewDue === null || typeof s.earliestReviewDue === 'string') ? s : undefined;
  } catch {
    return undefined;
  }
}

const STATE_IGNORE = 'state*';

/** `.depwarden/.gitignore` keeps the local store (data, lock, summary) out of git; the committed audit head stays in. */
function ignoreState(root: string): void {
  const file = path.join(root, '.depwarden', '.gitignore');
  const text = existsSync(file) ? readFileSync(file, 'utf8') : '';
  if (text.split(/\r?\n/).some((l) => l.trim() === STATE_IGNORE || l.trim() === `/${STATE_IGNORE}`)) return;
  writeFileSync(file, `${text}${text && !text.endsWith('\n') ? '\n' : ''}# the local governance store (PGlite data, its lock and summary) is never committed\n${STATE_IGNORE}\n`);
}

/**
 * Opens the repository's store. `create: false` is for commands that only read: where no store exists they get a
 * NoStoreError instead of creating an empty database (tens of MB for PGlite).
 */
export async function openRepositoryStore(root: string, env: NodeJS.ProcessEnv, opts: { create?: boolean } = {}): Promise<Store> {
  const dir = repositoryStoreDir(root);
  const create = opts.create ?? true;
  if (env.DATABASE_URL) return openStore({ databaseUrl: env.DATABASE_URL, ...(env.DEPWARDEN_DB_SCHEMA ? { schema: env.DEPWARDEN_DB_SCHEMA } : {}), dir, create });
  if (!create && !existsSync(path.join(dir, 'PG_VERSION'))) throw new NoStoreError(`no governance store here (${path.relative(root, dir) || dir} does not exist): nothing has been recorded in this repository yet`);
  // The store's files are written like any of ours: not through a symbolic link (a committed `.depwarden` link
  // would put the database, or the .gitignore, outside the repository).
  for (const f of ['.depwarden/.gitignore', '.depwarden/state']) {
    try {
      resolveInside(root, f);
    } catch (e) {
      throw new StoreError(`cannot use the governance store: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  mkdirSync(path.dirname(dir), { recursive: true });
  ignoreState(root);
  const store = await openStore({ dir });
  let changed = false;
  const guard = <Q extends Store['query']>(q: Q): Q =>
    (async (text: string, params?: unknown[]) => {
      if (!changed && !/^\s*SELECT\b/i.test(text)) {
        rmSync(summaryFile(root), { force: true });
        changed = true;
      }
      return q(text, params);
    }) as Q;
  const { query, transaction } = store;
  store.query = guard(query);
  store.transaction = (fn) => transaction((q) => fn(guard(q)));
  const close = store.close;
  store.close = async () => {
    try {
      const r = (await store.query<{ n: string | number; due: string | null }>('SELECT count(*) AS n, min(due) AS due FROM reviews WHERE signed_off_by IS NULL', []))[0];
      const summary: StoreSummary = { openReviews: Number(r?.n ?? 0), earliestReviewDue: r?.due ?? null };
      writeFileSync(summaryFile(root), `${JSON.stringify(summary)}\n`, { mode: 0o600 });
    } catch {
      /* no summary: the next reader opens the store */
    } finally {
      await close();
    }
  };
  return store;
}

/** PostgreSQL at `databaseUrl` (optionally in its own schema), else PGlite in `dir`. Migrations are applied. */
export async function openStore(opts: { databaseUrl?: string; dir: string; schema?: string; create?: boolean }): Promise<Store> {
  if (opts.databaseUrl) {
    const { default: pg } = await import('pg');
    const schema = opts.schema;
    if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new Error(`invalid schema name ${schema}`);
    // The schema is part of every connection's startup options: no query can run before it applies.
    const pool = new pg.Pool({ connectionString: opts.databaseUrl, max: 4, ...(schema ? { options: `-c search_path=${schema}` } : {}) });
    // An idle connection dropped by the server (a restart) is not a crash: the next query reconnects or fails.
    pool.on('error', () => {});
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
      if (opts.create === false && !(await store.query<{ t: string | null }>("SELECT to_regclass('schema_migrations')::text AS t"))[0]?.t) {
        throw new NoStoreError(`no governance store here: ${schema ? `schema ${schema}` : 'the search path'} of DATABASE_URL has no depwarden tables; nothing has been recorded yet`);
      }
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
  if (opts.create === false && !existsSync(path.join(opts.dir, 'PG_VERSION'))) throw new NoStoreError(`no governance store here (${opts.dir} does not exist)`);
  mkdirSync(path.dirname(opts.dir), { recursive: true });
  const fresh = !existsSync(opts.dir);
  // PGlite is one process's database: a lock file beside the data directory serialises processes (a second
  // depwarden waits), and a lock left by a killed process is taken over.
  const release = await lockDirectory(`${opts.dir}.lock`);
  const { PGlite } = await import('@electric-sql/pglite');
  let db: InstanceType<typeof PGlite>;
  try {
    db = new PGlite(opts.dir);
    await db.waitReady;
    // PGlite creates its files world-writable (0666/0777 whatever the umask): the store is owner-only.
    if (fresh) ownerOnly(opts.dir);
    chmodSync(opts.dir, 0o700);
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

function ownerOnly(p: string): void {
  const st = lstatSync(p);
  if (st.isSymbolicLink()) return;
  if (st.isDirectory()) {
    chmodSync(p, 0o700);
    for (const e of readdirSync(p)) ownerOnly(path.join(p, e));
  } else chmodSync(p, 0o600);
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
export class StoreBusyError extends StoreError {}
