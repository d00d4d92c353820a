import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { before, describe, it } from 'node:test';
import { UnreachableError } from '../../src/http/breaker.ts';
import { HttpError, sendWithRetries } from '../../src/http/client.ts';
import { HttpSession } from '../../src/http/session.ts';
import { loadConfig } from '../../src/config/load.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * Issues 11.9 and 20.10: deadlines (connect, first byte, total), retries only for transient failures, and a
 * per-host circuit breaker so that an unreachable or hung registry costs one deadline, not one per lookup.
 */
/** Accepts connections and never answers; counts them. */
async function hungServer(): Promise<{ url: string; connections: () => number; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  let n = 0;
  const s = createServer((sock) => {
    n++;
    sockets.add(sock);
    sock.on('error', () => {});
    sock.on('close', () => sockets.delete(sock));
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(s.address() as { port: number }).port}`,
    connections: () => n,
    close: () => new Promise<void>((r) => {
      for (const x of sockets) x.destroy();
      s.close(() => r());
    }),
  };
}

/** Answers 200 at once, then sends one body byte every 50 ms, forever. */
async function tricklingServer(): Promise<{ url: string; close: () => Promise<void> }> {
  const timers = new Set<NodeJS.Timeout>();
  const s: Server = createHttpServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    const t = setInterval(() => res.write(' '), 50);
    timers.add(t);
    res.on('close', () => {
      clearInterval(t);
      timers.delete(t);
    });
  });
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(s.address() as { port: number }).port}`,
    close: () => new Promise<void>((r) => {
      for (const t of timers) clearInterval(t);
      s.closeAllConnections();
      s.close(() => r());
    }),
  };
}

describe('HTTP deadlines', { timeout: 30_000 }, () => {
  it('a server that accepts and never answers: each attempt ends at the first-byte deadline, the call at the total deadline', async () => {
    const hung = await hungServer();
    try {
      const t0 = Date.now();
      await assert.rejects(sendWithRetries(`${hung.url}/x`, { allowHosts: ['127.0.0.1'], retries: 4, backoffMs: 10, deadlines: { connectMs: 1000, firstByteMs: 200, totalMs: 1500 } }), (e: HttpError) => {
        assert.match(e.message, /^GET http:\/\/127\.0\.0\.1:\d+\/x failed after \d attempts?: (the server sent nothing for 0\.2 s \(http\.firstByteTimeoutSeconds\)|no complete answer within the 1\.5 s deadline \(http\.totalTimeoutSeconds\))$/);
        assert.ok(e.hostLevel, 'a host that does not answer is a host-level failure');
        return true;
      });
      const took = Date.now() - t0;
      assert.ok(took < 2200, `took ${took} ms`);
      assert.ok(hung.connections() >= 2, 'a timeout is transient: it was retried');
    } finally {
      await hung.close();
    }
  });

  it('a server that trickles bytes is cut at the total deadline (the pause between bytes never reaches the first-byte deadline)', async () => {
    const slow = await tricklingServer();
    try {
      const t0 = Date.now();
      await assert.rejects(sendWithRetries(`${slow.url}/x`, { allowHosts: ['127.0.0.1'], retries: 4, backoffMs: 10, deadlines: { connectMs: 1000, firstByteMs: 500, totalMs: 800 } }), /failed after \d attempts?: no complete answer within the 0\.8 s deadline \(http\.totalTimeoutSeconds\)$/);
      assert.ok(Date.now() - t0 < 1500, `took ${Date.now() - t0} ms`);
    } finally {
      await slow.close();
    }
  });

  it('the http: section of depwarden.yaml has documented defaults (10 s / 30 s / 120 s, 4 retries) and takes other values', async () => {
    const dflt = await loadConfig(writeTree({ 'depwarden.yaml': 'version: 1\n' }));
    assert.deepEqual(dflt.config.http, { connectTimeoutSeconds: 10, firstByteTimeoutSeconds: 30, totalTimeoutSeconds: 120, retries: 4 });
    const set = await loadConfig(writeTree({ 'depwarden.yaml': 'http:\n  connectTimeoutSeconds: 2\n  firstByteTimeoutSeconds: 0.5\n  totalTimeoutSeconds: 3\n  retries: 0\n' }));
    assert.deepEqual(set.config.http, { connectTimeoutSeconds: 2, firstByteTimeoutSeconds: 0.5, totalTimeoutSeconds: 3, retries: 0 });
  });
});

describe('HTTP retries and the per-host circuit breaker', { timeout: 30_000 }, () => {
  let port: number;
  before(async () => {
    port = await closedPort();
  });

  it('a connection refused is not retried; the breaker then answers every later call to that host without asking', async () => {
    const session = new HttpSession({ allowHosts: ['127.0.0.1'], concurrency: 1, backoffMs: 10 });
    const results = await Promise.allSettled(Array.from({ length: 30 }, (_, i) => session.request(`http://127.0.0.1:${port}/p${i}`)));
    assert.ok(results.every((r) => r.status === 'rejected'));
    const errors = results.map((r) => (r as PromiseRejectedResult).reason as HttpError);
    assert.match(errors[0]!.message, /failed after 1 attempt: fetch failed \(connect ECONNREFUSED 127\.0\.0\.1:\d+\)$/);
    assert.ok(errors.slice(1).every((e) => e instanceof UnreachableError && /^not asked: 127\.0\.0\.1:\d+ is unreachable this run \(GET .*ECONNREFUSED/.test(e.message)));
    assert.equal(session.stats().requests, 1, 'one network attempt for 30 calls');
    assert.deepEqual(session.unreachable().map((h) => [h.host, h.transport, h.refused]), [[`127.0.0.1:${port}`, 'ECONNREFUSED', 29]]);
  });

  it('a connection reset is transient: retried with backoff, and the host stays open', async () => {
    let n = 0;
    const s = createHttpServer((req, res) => {
      if (n++ === 0) return void req.socket.destroy();
      res.writeHead(200).end('{}');
    });
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    try {
      const session = new HttpSession({ allowHosts: ['127.0.0.1'], backoffMs: 10 });
      const url = `http://127.0.0.1:${(s.address() as { port: number }).port}/x`;
      assert.equal((await session.request(url)).status, 200);
      assert.equal(session.stats().requests, 2);
      assert.deepEqual(session.unreachable(), []);
    } finally {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });

  it('outdated offline: 80 lookups, one line naming the host and the count, exit 5, in seconds (not one failure per lookup)', async () => {
    const reqs = Array.from({ length: 80 }, (_, i) => `pkg${String(i).padStart(2, '0')}==1.0.0`).join('\n');
    const repo = writeTree({ 'svc/requirements.txt': `${reqs}\n`, 'depwarden.yaml': `updates:\n  registries:\n    pypi: http://127.0.0.1:${port}/pypi\n` });
    const t0 = Date.now();
    const r = await runCli(['outdated', repo]);
    const took = Date.now() - t0;
    assert.equal(r.code, 5, r.stderr + r.stdout);
    assert.ok(took < 5000, `took ${took} ms`);
    const lines = r.stderr.trim().split('\n').filter((l) => /could not be reached/.test(l));
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, new RegExp(`^depwarden: network: 127\\.0\\.0\\.1:${port} could not be reached: 80 lookups not done; first failure: GET http://127\\.0\\.0\\.1:${port}/pypi/pkg\\d\\d/json failed after 1 attempt: fetch failed \\(connect ECONNREFUSED 127\\.0\\.0\\.1:${port}\\) — `));
    assert.doesNotMatch(r.stdout, /LOOKUP FAILED/);
    assert.match(r.stdout, new RegExp(`^UNREACHABLE  127\\.0\\.0\\.1:${port}: 80 lookups not done: `, 'm'));
    assert.match(r.stdout, /80 checked, .*; 80 lookups not done \(127\.0\.0\.1:\d+ unreachable\)\.$/m);
    const json = JSON.parse((await runCli(['outdated', repo, '-f', 'json'])).stdout) as { failures: unknown[]; unreachable: { host: string; lookups: number }[] };
    assert.deepEqual(json.failures, []);
    assert.deepEqual(json.unreachable.map((h) => [h.host, h.lookups]), [[`127.0.0.1:${port}`, 80]]);
  });

  it('outdated against a hung registry: 9 packages cost one total deadline (configured in depwarden.yaml), not 9 × the retries', async () => {
    const hung = await hungServer();
    try {
      const reqs = Array.from({ length: 9 }, (_, i) => `pkg${i}==1.0.0`).join('\n');
      const repo = writeTree({ 'svc/requirements.txt': `${reqs}\n`, 'depwarden.yaml': `updates:\n  concurrency: 4\n  registries:\n    pypi: ${hung.url}/pypi\nhttp:\n  connectTimeoutSeconds: 1\n  firstByteTimeoutSeconds: 0.3\n  totalTimeoutSeconds: 1\n` });
      const t0 = Date.now();
      const r = await runCli(['outdated', repo]);
      const took = Date.now() - t0;
      assert.equal(r.code, 5, r.stderr + r.stdout);
      assert.ok(took < 3500, `took ${took} ms`);
      assert.match(r.stderr, /could not be reached: 9 lookups not done; first failure: GET .* failed after \d attempts?: (the server sent nothing for 0\.3 s|no complete answer within the 1 s deadline)/);
      // The first 4 (the concurrency) waited for their deadline; the breaker answered the other 5 at once.
      assert.ok(hung.connections() <= 4 * 4, `${hung.connections()} connections`);
    } finally {
      await hung.close();
    }
  });
});


describe('HTTP: a failing server is not an unreachable host', { timeout: 30_000 }, () => {
  it('503 until the deadline: retried, reported with its status, and the host stays open', async () => {
    const s = createHttpServer((_req, res) => void res.writeHead(503).end('busy'));
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    try {
      const session = new HttpSession({ allowHosts: ['127.0.0.1'], backoffMs: 100, deadlines: { totalMs: 500 } });
      const url = `http://127.0.0.1:${(s.address() as { port: number }).port}/x`;
      await assert.rejects(session.request(url), (e: HttpError) => e.status === 503 && !e.hostLevel && /failed after [2-4] attempts: GET .*: HTTP 503$/.test(e.message));
      assert.deepEqual(session.unreachable(), []);
    } finally {
      s.closeAllConnections();
      await new Promise<void>((r) => s.close(() => r()));
    }
  });
});
