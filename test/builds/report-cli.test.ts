import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBuildsFeature } from '../../src/builds/feature.ts';
import { serverStoreDir } from '../../src/serve/data-dir.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { callRoute, type Recorded, tempStore } from '../helpers/request-context.ts';
import { runCli } from '../helpers/run-cli.ts';

const FIX = path.join(import.meta.dirname, '..', 'fixtures', 'coverage');
const C1 = 'a'.repeat(40);
const C2 = 'b'.repeat(40);

describe('depwarden report --data DIR', () => {
  let data: string;
  before(() => (data = mkdtempSync(path.join(tmpdir(), 'dw-data-'))));
  after(() => rmSync(data, { recursive: true, force: true }));

  async function withStore<T>(fn: (s: Store) => Promise<T>): Promise<T> {
    const s = await openStore({ dir: serverStoreDir(data) });
    try {
      return await fn(s);
    } finally {
      await s.close();
    }
  }

  it('report build with JUnit files: status, test counts and failing names in the server store', async () => {
    const r = await runCli(['report', 'build', '--status', 'failure', '--commit', C1, '--branch', 'main', '--workflow', 'ci', '--service', 'api', '--repo', 'shop', '--junit', path.join(FIX, 'pytest-junit.xml'), '--data', data]);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /recorded build aaaaaaaaaaaa on main \(shop\/api, ci\): failure, 478 tests, 2 failed, 0 skipped/);
    const rows = await withStore((s) => s.query<Record<string, unknown>>('SELECT repo, service, branch, workflow, source, status, tests_run, tests_failed, failing_tests FROM builds'));
    assert.equal(rows.length, 1);
    assert.deepEqual({ ...rows[0], failing_tests: (rows[0]!.failing_tests as string[]).length }, { repo: 'shop', service: 'api', branch: 'main', workflow: 'ci', source: 'report', status: 'failure', tests_run: 478, tests_failed: 2, failing_tests: 2 });
  });

  it('a malformed JUnit file: exit 2 naming file and line, nothing stored', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-junit-'));
    writeFileSync(path.join(dir, 'bad.xml'), '<testsuite>\n<testcase name="x">\n');
    const r = await runCli(['report', 'build', '--status', 'success', '--commit', C2, '--repo', 'shop', '--junit', path.join(FIX, 'pytest-junit.xml'), 'bad.xml', '--data', data], { cwd: dir });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /bad\.xml:\d+: not well-formed XML/);
    assert.equal(await withStore(async (s) => (await s.query('SELECT * FROM builds')).length), 1);
    rmSync(dir, { recursive: true, force: true });
  });

  it('report coverage: main, then a branch → delta in points against main\'s latest', async () => {
    const m = await runCli(['report', 'coverage', path.join(FIX, 'jest-lcov.info'), '--commit', C1, '--branch', 'main', '--service', 'api', '--repo', 'shop', '--data', data]);
    assert.equal(m.code, 0, m.stderr);
    assert.match(m.stdout, /lines 78\.57% \(22\/28\), branches 0\.00% \(0\/2\); no coverage on main yet/);
    const b = await runCli(['report', 'coverage', path.join(FIX, 'karma-lcov.info'), '--commit', C2, '--service', 'api', '--repo', 'shop', '--data', data], { env: { GITHUB_HEAD_REF: 'feature' } });
    assert.equal(b.code, 0, b.stderr);
    assert.match(b.stdout, /lines 100\.00% \(5\/5\), branches n\/a; \+21\.43 points against main \(aaaaaaaaaaaa\)/);
    const rows = await withStore((s) => s.query('SELECT commit, branch, base_branch, base_commit, line_delta FROM coverage ORDER BY seq'));
    assert.deepEqual(rows, [
      { commit: C1, branch: 'main', base_branch: 'main', base_commit: null, line_delta: null },
      { commit: C2, branch: 'feature', base_branch: 'main', base_commit: C1, line_delta: 21.43 },
    ]);
  });

  it('bad input: malformed coverage, both or neither target, a bad SHA → exit 2', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-cov-'));
    writeFileSync(path.join(dir, 'lcov.info'), 'SF:a\nDA:1,1\n');
    assert.match((await runCli(['report', 'coverage', 'lcov.info', '--commit', C1, '--repo', 'shop', '--data', data], { cwd: dir })).stderr, /lcov\.info:2: .*truncated/);
    assert.equal((await runCli(['report', 'coverage', 'lcov.info', '--commit', C1, '--repo', 'shop'], { cwd: dir })).code, 2);
    assert.equal((await runCli(['report', 'build', '--status', 'success', '--commit', 'not-a-sha', '--repo', 'shop', '--data', data])).code, 2);
    assert.equal((await runCli(['report', 'build', '--status', 'maybe', '--commit', C1, '--repo', 'shop', '--data', data])).code, 2);
    rmSync(dir, { recursive: true, force: true });
  });
});

describe('depwarden report --server URL (through the feature routes on a loopback server)', () => {
  let s: Awaited<ReturnType<typeof tempStore>>;
  let url: string;
  let close: () => Promise<void>;
  const rec: Recorded = { logs: [], audits: [] };
  const seen: { auth?: string; status: number }[] = [];
  let failNext = 0;
  before(async () => {
    s = await tempStore();
    const feature = createBuildsFeature({ env: {} });
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c) => chunks.push(c));
      req.on('end', async () => {
        // Stands in for the server's auth: the bearer token must be the one issued.
        const send = (status: number, body: unknown) => {
          seen.push({ auth: req.headers.authorization, status });
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
        };
        if (failNext > 0) return failNext--, send(503, { error: 'busy' });
        if (req.headers.authorization !== 'Bearer tok-123') return send(401, { error: 'invalid token' });
        const r = await callRoute(feature, 'POST', req.url!, { store: s.store, repos: [{ name: 'shop', root: '/', branch: 'main', remote: null, webhookSecretEnv: null }], body: Buffer.concat(chunks), recorded: rec });
        send(r.status, r.body);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => new Promise((r) => server.close(() => r()));
  });
  after(async () => {
    await close();
    await s.dispose();
  });

  it('sends build and coverage with the bearer token, retries a 503, and the write is audited', async () => {
    failNext = 1;
    const b = await runCli(['report', 'build', '--status', 'success', '--commit', C1, '--branch', 'main', '--repo', 'shop', '--server', url], { env: { DEPWARDEN_TOKEN: 'tok-123' } });
    assert.equal(b.code, 0, b.stderr);
    assert.deepEqual(seen.map((x) => x.status), [503, 201]);
    const c = await runCli(['report', 'coverage', path.join(FIX, 'coveragepy-cobertura.xml'), '--commit', C1, '--branch', 'main', '--repo', 'shop', '--server', url], { env: { DEPWARDEN_TOKEN: 'tok-123' } });
    assert.equal(c.code, 0, c.stderr);
    assert.match(c.stdout, /lines 85\.42% \(82\/96\)/);
    assert.deepEqual(await s.store.query('SELECT status, source FROM builds'), [{ status: 'success', source: 'report' }]);
    assert.deepEqual(rec.audits.map((a) => a.kind), ['build.reported', 'coverage.reported']);
  });

  it('a refused token, an unregistered repository, no token → clear errors, nothing stored', async () => {
    const bad = await runCli(['report', 'build', '--status', 'success', '--commit', C2, '--repo', 'shop', '--server', url], { env: { DEPWARDEN_TOKEN: 'wrong' } });
    assert.equal(bad.code, 5);
    assert.match(bad.stderr, /HTTP 401\): invalid token/);
    assert.ok(!bad.stderr.includes('wrong'), 'the token is not echoed');
    const unknown = await runCli(['report', 'build', '--status', 'success', '--commit', C2, '--repo', 'nope', '--server', url], { env: { DEPWARDEN_TOKEN: 'tok-123' } });
    assert.match(unknown.stderr, /HTTP 404\): no registered repository nope/);
    assert.equal((await runCli(['report', 'build', '--status', 'success', '--commit', C2, '--repo', 'shop', '--server', url])).code, 2);
    assert.equal((await s.store.query('SELECT * FROM builds')).length, 1);
  });
});
