import assert from 'node:assert/strict';
import net from 'node:net';
import { after, describe, it } from 'node:test';
import { baseEnv, dropSchemas, FAST, get, pgQuery, schemaName, serve, stop, tempDir, waitFor, writeServeConfig } from './serve-helpers.ts';
import { needPostgres } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();

/** A TCP proxy to the real PostgreSQL that the test can cut (every connection dropped, new ones refused) and restore. */
async function cuttableProxy(): Promise<{ port: number; cut(): void; restore(): void; close(): Promise<void> }> {
  let down = false;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((c) => {
    if (down) return c.destroy();
    const up = net.connect(5432, '127.0.0.1');
    sockets.add(c).add(up);
    c.pipe(up).pipe(c);
    const end = (): void => {
      c.destroy();
      up.destroy();
      sockets.delete(c);
      sockets.delete(up);
    };
    c.on('error', end).on('close', end);
    up.on('error', end).on('close', end);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    port: (server.address() as net.AddressInfo).port,
    cut() {
      down = true;
      for (const s of sockets) s.destroy();
    },
    restore() {
      down = false;
    },
    close: () => new Promise((r) => server.close(() => r())),
  };
}

describe('the store lost while serving', { skip: NO_PG }, () => {
  const schema = schemaName('loss');
  after(() => dropSchemas(schema));

  it('fails /readyz while PostgreSQL is unreachable, stays alive, and resumes its jobs when it is back', async () => {
    const proxy = await cuttableProxy();
    const data = tempDir();
    writeServeConfig(data, FAST);
    const s = await serve(['--listen', '127.0.0.1:0', '--data', data], baseEnv({ DATABASE_URL: `postgres://postgres@127.0.0.1:${proxy.port}/test`, DEPWARDEN_DB_SCHEMA: schema }));
    try {
      await waitFor('ready', async () => (await get(`${s.url}/readyz`)).status === 200);
      proxy.cut();
      const r = await waitFor('not ready', async () => {
        const x = await get(`${s.url}/readyz`);
        return x.status === 503 && x;
      }, 20_000);
      assert.notEqual(r.json.checks.store, 'ok');
      assert.equal((await get(`${s.url}/healthz`)).status, 200, 'alive: only not ready');
      await new Promise((res) => setTimeout(res, 3000));
      const cutAt = new Date();
      proxy.restore();
      await waitFor('ready again', async () => (await get(`${s.url}/readyz`)).status === 200, 30_000);
      await waitFor('a poll after the store came back', async () => (await pgQuery(schema, "SELECT 1 FROM job_runs WHERE kind = 'poll' AND started > $1", [cutAt])).length > 0, 30_000);
      assert.equal(s.proc.exitCode, null);
    } finally {
      await stop(s);
      await proxy.close();
    }
  });
});
