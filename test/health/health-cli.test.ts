import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { closedPort } from '../helpers/closed-port.ts';
import { runCli } from '../helpers/run-cli.ts';

describe('depwarden health check', () => {
  let server: Server;
  let port: number;
  let dir: string;
  before(async () => {
    server = createServer((_req, res) => res.end('ok'));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    dir = mkdtempSync(path.join(tmpdir(), 'dw-health-'));
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('probes each configured service once: exit 0 when all are up, 1 otherwise, with the reasons', async () => {
    const closed = await closedPort();
    writeFileSync(path.join(dir, 'depwarden.yaml'), `health:\n  api:\n    http:\n      url: http://127.0.0.1:${port}/healthz\n      expectBody: ok\n  db:\n    tcp:\n      host: 127.0.0.1\n      port: ${closed}\n`);
    const all = await runCli(['health', 'check', dir]);
    assert.equal(all.code, 1, all.stderr);
    assert.match(all.stdout, /^api +up +http: HTTP 200 in \d+ ms$/m);
    assert.match(all.stdout, new RegExp(`^db +down +tcp: 127\\.0\\.0\\.1:${closed}: ECONNREFUSED$`, 'm'));
    const one = await runCli(['health', 'check', dir, '--service', 'api', '--json']);
    assert.equal(one.code, 0);
    const parsed = JSON.parse(one.stdout);
    assert.deepEqual(parsed.map((r: { service: string; status: string }) => [r.service, r.status]), [['api', 'up']]);
    assert.equal((await runCli(['health', 'check', dir, '--service', 'nope'])).code, 2);
  });

  it('no health: section, or a bad one → exit 2 with the file and key', async () => {
    const empty = mkdtempSync(path.join(tmpdir(), 'dw-health-'));
    writeFileSync(path.join(empty, 'depwarden.yaml'), 'version: 1\n');
    const r = await runCli(['health', 'check', empty]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no health: section/);
    writeFileSync(path.join(empty, 'depwarden.yaml'), 'health:\n  api:\n    http:\n      url: not-a-url\n');
    const bad = await runCli(['health', 'check', empty]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /health\.api\.http\.url/);
    rmSync(empty, { recursive: true, force: true });
  });
});
