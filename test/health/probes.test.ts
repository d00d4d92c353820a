import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serviceHealth } from '../../src/config/sections/health.ts';
import { probeService } from '../../src/health/probe.ts';
import { probeDocker } from '../../src/health/probes/docker.ts';
import { probeHttp } from '../../src/health/probes/http.ts';
import { probeTcp } from '../../src/health/probes/tcp.ts';
import { combine } from '../../src/health/status.ts';
import { closedPort } from '../helpers/closed-port.ts';

const cfg = (x: unknown) => serviceHealth.parse(x);

describe('HTTP and TCP probes against loopback servers', () => {
  let server: Server;
  let base: string;
  let port: number;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/ok') return void res.end('{"status":"ok"}');
      if (req.url === '/sick') return void res.writeHead(503).end('down for maintenance');
      if (req.url === '/slow') return void setTimeout(() => res.end('ok'), 300);
      if (req.url === '/hang') return; // never answers
      res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    port = (server.address() as AddressInfo).port;
    base = `http://127.0.0.1:${port}`;
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('up, wrong status, wrong body, slow → degraded, no answer in time → down, refused → down', async () => {
    const http = (x: object) => probeHttp(cfg({ http: x }).http!);
    const up = await http({ url: `${base}/ok`, expectBody: '"ok"' });
    assert.equal(up.status, 'up');
    assert.ok(up.latencyMs! >= 0);
    assert.deepEqual([(await http({ url: `${base}/sick` })).status, (await http({ url: `${base}/sick` })).reason], ['down', 'HTTP 503, expected 200']);
    assert.equal((await http({ url: `${base}/sick`, expectStatus: [200, 503] })).status, 'up');
    assert.match((await http({ url: `${base}/ok`, expectBody: 'healthy' })).reason, /does not contain "healthy"/);
    assert.equal((await http({ url: `${base}/slow`, degradedAboveSeconds: 0.1 })).status, 'degraded');
    const hung = await http({ url: `${base}/hang`, timeoutSeconds: 0.3 });
    assert.equal(hung.status, 'down');
    assert.match(hung.reason, /0\.3 s/);
    const refused = await http({ url: `http://127.0.0.1:${await closedPort()}/` });
    assert.equal(refused.status, 'down');
    assert.match(refused.reason, /ECONNREFUSED|refused/i);
  });

  it('TCP: open port up, closed port down', async () => {
    assert.equal((await probeTcp(cfg({ tcp: { host: '127.0.0.1', port } }).tcp!)).status, 'up');
    const closed = await probeTcp(cfg({ tcp: { host: '127.0.0.1', port: await closedPort() } }).tcp!);
    assert.deepEqual([closed.status, /ECONNREFUSED/.test(closed.reason)], ['down', true]);
  });

  it('a service with several probes: the worst decides, with its reason', async () => {
    const h = await probeService('shop', 'api', cfg({ http: { url: `${base}/ok` }, tcp: { host: '127.0.0.1', port: await closedPort() } }), () => '2026-01-01T00:00:00.000Z');
    assert.equal(h.status, 'down');
    assert.match(h.reason, /^tcp: 127\.0\.0\.1:\d+: ECONNREFUSED$/);
    assert.deepEqual(h.checks.map((c) => `${c.check}=${c.status}`), ['http=up', 'tcp=down']);
  });

  it('combine: down > degraded > unknown > up; none → unknown', () => {
    const c = (status: 'up' | 'down' | 'degraded' | 'unknown') => ({ check: status, status, reason: status });
    assert.equal(combine([c('up'), c('unknown')]).status, 'unknown');
    assert.equal(combine([c('unknown'), c('degraded')]).status, 'degraded');
    assert.equal(combine([c('degraded'), c('down'), c('up')]).status, 'down');
    assert.equal(combine([]).status, 'unknown');
  });

  it('config: a service needs a probe; thresholds and URLs are validated', () => {
    assert.throws(() => cfg({ intervalSeconds: 30 }), /at least one probe/);
    assert.throws(() => cfg({ http: { url: 'ftp://x/' } }));
    assert.throws(() => cfg({ prometheus: { url: 'http://p:9090' } }), /at least one of latencyP95/);
    assert.equal(cfg({ tcp: { host: 'db', port: 5432 } }).intervalSeconds, 60);
  });
});

describe('Docker probe against a stand-in of the Engine API on a unix socket (recorded/schema bodies, see fixtures/docker)', () => {
  const FIX = path.join(import.meta.dirname, '..', 'fixtures', 'docker');
  let dir: string;
  let socket: string;
  let server: Server;
  const asked: string[] = [];
  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dw-docker-'));
    socket = path.join(dir, 'docker.sock');
    server = createServer((req, res) => {
      asked.push(`${req.method} ${req.url}`);
      const m = /^\/containers\/([^/]+)\/json$/.exec(req.url ?? '');
      const name = m ? decodeURIComponent(m[1]!) : '';
      const file = { web: 'healthy.json', webservice: 'unhealthy.json', booting: 'starting.json', plain: 'no-healthcheck.json', dead: 'exited.json' }[name];
      if (name === 'garbage') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"not": "inspect"}');
      if (!file) return void res.writeHead(404, { 'content-type': 'application/json' }).end(readFileSync(path.join(FIX, 'no-such-container.json')));
      res.writeHead(200, { 'content-type': 'application/json' }).end(readFileSync(path.join(FIX, file)));
    });
    await new Promise<void>((r) => server.listen(socket, r));
  });
  after(() => {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('healthy → up, unhealthy → down with the last check output, starting → unknown, exited → down, no HEALTHCHECK → up while running', async () => {
    const probe = (container: string) => probeDocker(cfg({ docker: { container, socket } }).docker!);
    assert.deepEqual(await probe('web').then((r) => [r.status, r.reason]), ['up', 'healthy']);
    const sick = await probe('webservice');
    assert.equal(sick.status, 'down');
    assert.match(sick.reason, /^unhealthy \(20 failed checks in a row\): .*curl: \(22\) The requested URL returned error: 404 NOT FOUND$/s);
    assert.equal((await probe('booting')).status, 'unknown');
    assert.deepEqual(await probe('dead').then((r) => [r.status, r.reason]), ['down', 'container dead is exited (exit code 137)']);
    assert.equal((await probe('plain')).status, 'up');
    assert.deepEqual(await probe('missing').then((r) => [r.status, r.reason]), ['down', 'no container missing']);
    assert.equal((await probe('garbage')).status, 'unknown');
    assert.ok(asked.includes('GET /containers/webservice/json'));
  });

  it('the Engine unreachable (no socket) → unknown with the reason, no crash', async () => {
    const r = await probeDocker(cfg({ docker: { container: 'web', socket: path.join(dir, 'nothing.sock') } }).docker!);
    assert.equal(r.status, 'unknown');
    assert.match(r.reason, /Docker Engine API at .*nothing\.sock unreachable/);
  });
});
