import { spawnSync } from 'node:child_process';

/**
 * A system tool a test needs (Poetry, ssh-keygen, prometheus, docker...). Outside CI a missing tool skips the test
 * with a message naming the tool and how to install it; under CI=true it fails the file, so CI never hides a skip
 * (.ci/run installs every tool). Use as `describe(name, { skip: needTool('poetry', 'apt-get install python3-poetry') }, ...)`.
 */
export function needTool(tool: string, install: string, args: string[] = ['--version'], opts: { mustSucceed?: boolean } = {}): string | false {
  const r = spawnSync(tool, args, { stdio: 'ignore', timeout: 30_000 });
  // Any exit status proves the tool runs, unless the probe itself must succeed (python3 -c 'import packaging').
  if (!r.error && r.status !== null && (!opts.mustSucceed || r.status === 0)) return false;
  const why = `${tool} is not installed (${install})`;
  if (process.env.CI === 'true') throw new Error(`${why}: under CI every tool the tests need must be installed by .ci/run`);
  return why;
}

let postgres: Promise<string | false> | undefined;

/**
 * The PostgreSQL server the store tests use (DATABASE_URL, else 127.0.0.1:5432, user postgres, database test, trust
 * auth), like `needTool`: unreachable outside CI skips with how to get one; under CI=true it fails (.ci/run starts it).
 */
export function needPostgres(): Promise<string | false> {
  postgres ??= (async () => {
    const url = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
    const { default: pg } = await import('pg');
    const c = new pg.Client({ connectionString: url, connectionTimeoutMillis: 3000 });
    try {
      await c.connect();
      await c.end();
      return false;
    } catch (e) {
      const shown = url.replace(/\/\/[^@/]*@/, '//…@');
      const why = `PostgreSQL is not reachable at ${shown} (${e instanceof Error ? e.message : String(e)}; apt-get install postgresql, then pg_ctlcluster <version> main start and CREATE DATABASE test, or set DATABASE_URL)`;
      if (process.env.CI === 'true') throw new Error(`${why}: under CI the store tests need the server .ci/run starts`);
      return why;
    }
  })();
  return postgres;
}
