import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createDatasources } from '../../src/datasources/index.ts';
import { createAuth } from '../../src/http/auth.ts';
import { HttpSession } from '../../src/http/session.ts';
import { etagOf, type StandIn, startStandIn } from '../helpers/registry-stand-in.ts';

const packument = JSON.parse(readFileSync(new URL('../fixtures/registries/npm/left-pad.json', import.meta.url), 'utf8'));

function filesUnder(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((f) => path.join(dir, f))
    .filter((f) => statSync(f).isFile());
}

describe('HTTP session: cache, retries, allow-list, concurrency', () => {
  let reg: StandIn;
  let dir: string;
  before(async () => {
    reg = await startStandIn((req) => {
      if (req.url === '/left-pad') return { headers: { etag: etagOf(packument), 'last-modified': 'Wed, 04 Dec 2024 23:03:58 GMT' }, body: packument };
      if (req.url.startsWith('/slow/')) return { body: { ok: req.url } };
      return undefined;
    });
    dir = mkdtempSync(path.join(tmpdir(), 'dw-http-cache-'));
  });
  after(async () => {
    await reg.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const opts = () => ({ allowHosts: ['127.0.0.1'], env: { DEPWARDEN_AUTH_127_0_0_1: 'Bearer tok-SECRET-123' }, npmrcTexts: [], netrcText: '', npmRegistry: reg.url, cacheDir: dir });

  it('the second call is conditional (If-None-Match) and its 304 is answered from disk; no secret is stored', async () => {
    const ds = createDatasources(opts());
    const first = await ds.npm('left-pad');
    assert.equal(reg.requests.at(-1)!.headers['if-none-match'], undefined);
    assert.equal(reg.requests.at(-1)!.authorization, true);
    const again = await createDatasources(opts()).npm('left-pad');
    const last = reg.requests.at(-1)!;
    assert.equal(last.headers['if-none-match'], etagOf(packument));
    assert.equal(last.headers['if-modified-since'], 'Wed, 04 Dec 2024 23:03:58 GMT');
    assert.deepEqual(again, first);
    assert.deepEqual(ds.stats(), { requests: 1, cacheHits: 0, notModified: 0 });
    const files = filesUnder(dir);
    assert.equal(files.length, 1);
    const stored = readFileSync(files[0]!, 'utf8');
    assert.doesNotMatch(stored, /SECRET|authorization/i);
    assert.match(stored, /"etag"/);
  });

  it('a 304 counts as notModified; with maxAgeSeconds a fresh entry answers without any request', async () => {
    const ds = createDatasources(opts());
    await ds.npm('left-pad');
    assert.deepEqual(ds.stats(), { requests: 1, cacheHits: 0, notModified: 1 });
    const n = reg.requests.length;
    const fresh = createDatasources({ ...opts(), maxAgeSeconds: 3600 });
    await fresh.npm('left-pad');
    assert.equal(reg.requests.length, n);
    assert.deepEqual(fresh.stats(), { requests: 0, cacheHits: 1, notModified: 0 });
    // Past max-age it asks again.
    const later = createDatasources({ ...opts(), maxAgeSeconds: 60, now: () => Date.now() + 120_000 });
    await later.npm('left-pad');
    assert.equal(reg.requests.length, n + 1);
  });

  it('offline answers from the cache; an empty cache gives a clear error', async () => {
    const ds = createDatasources({ ...opts(), offline: true });
    assert.equal((await ds.npm('left-pad')).latestTag, '1.3.0');
    const empty = mkdtempSync(path.join(tmpdir(), 'dw-http-empty-'));
    try {
      const off = createDatasources({ ...opts(), cacheDir: empty, offline: true });
      await assert.rejects(off.npm('left-pad'), /offline: no cached answer for GET http:\/\/127\.0\.0\.1:\d+\/left-pad \(the cache .*dw-http-empty-.*\); run once online with the same cache directory/);
      const none = createDatasources({ ...opts(), cacheDir: undefined, offline: true });
      await assert.rejects(none.npm('left-pad'), /offline: .*no cache directory configured/);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });

  it('retries 503 with backoff, then answers', async () => {
    const s = new HttpSession({ allowHosts: ['127.0.0.1'], retries: 3, backoffMs: 5 });
    reg.failNext(2, 503);
    const t0 = Date.now();
    const res = await s.request(`${reg.url}/left-pad`);
    assert.equal(res.status, 200);
    assert.equal(s.stats().requests, 3);
    assert.ok(Date.now() - t0 >= 5, 'waited between attempts');
  });

  it('honours Retry-After on 429 and reports the failure after the last retry', async () => {
    const s = new HttpSession({ allowHosts: ['127.0.0.1'], retries: 1, backoffMs: 1 });
    reg.failNext(2, 429, '1');
    const t0 = Date.now();
    await assert.rejects(s.request(`${reg.url}/left-pad?token=abc`), (e: Error & { status?: number }) => {
      assert.match(e.message, /^GET http:\/\/127\.0\.0\.1:\d+\/left-pad\?… failed after 2 attempts: GET .*: HTTP 429$/);
      assert.equal(e.status, 429);
      return true;
    });
    assert.ok(Date.now() - t0 >= 950, `waited for Retry-After (${Date.now() - t0} ms)`);
  });

  it('refuses hosts that are not allowed, before any request', async () => {
    const ds = createDatasources({ ...opts(), allowHosts: ['registry.npmjs.org'] });
    const n = reg.requests.length;
    await assert.rejects(ds.npm('left-pad'), /127\.0\.0\.1 is not a configured host \(allowed: registry\.npmjs\.org\)/);
    assert.equal(reg.requests.length, n);
  });

  it('keeps at most `concurrency` requests in flight', async () => {
    const slow = await startStandIn((req) => ({ body: { url: req.url } }), { delayMs: 30 });
    try {
      const s = new HttpSession({ allowHosts: ['127.0.0.1'], concurrency: 3 });
      const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => s.request(`${slow.url}/slow/${i}`)));
      assert.equal(answers.length, 12);
      assert.equal(slow.requests.length, 12);
      assert.equal(slow.maxInFlight, 3);
    } finally {
      await slow.close();
    }
  });

  it('credentials: URL, env (with port first), GITHUB_TOKEN only for the API host, .npmrc prefix, netrc', () => {
    const auth = createAuth({
      env: { DEPWARDEN_AUTH_REG_EXAMPLE_COM_8443: 'u1:p1', DEPWARDEN_AUTH_REG_EXAMPLE_COM: 'Bearer host-wide', GITHUB_TOKEN: 'ghp_x', NPM_TOKEN: 'npm_y' },
      netrcText: 'machine files.example.org\n  login bob\n  password hunter2\nmacdef init\ncd /pub\n\ndefault login anon password guest\n',
      npmrcTexts: ['//npm.example.com/team/:_authToken=${NPM_TOKEN}\n'],
      githubApiHosts: ['api.github.com'],
    });
    const basic = (s: string) => `Basic ${Buffer.from(s).toString('base64')}`;
    assert.equal(auth.headerFor('https://a:b@reg.example.com/x'), basic('a:b'));
    assert.equal(auth.headerFor('https://reg.example.com:8443/x'), basic('u1:p1'));
    assert.equal(auth.headerFor('https://reg.example.com/x'), 'Bearer host-wide');
    assert.equal(auth.headerFor('https://api.github.com/repos/a/b'), 'Bearer ghp_x');
    assert.equal(auth.headerFor('https://github.com/a/b'), basic('anon:guest'), 'GITHUB_TOKEN is not sent to other hosts');
    assert.equal(auth.headerFor('https://npm.example.com/team/pkg'), 'Bearer npm_y');
    assert.equal(auth.headerFor('https://files.example.org/f'), basic('bob:hunter2'));
  });
});
