import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { advisoryHome, baseEnv, cli, FAST, fixtureRepo, npmLock, get, git, send, serve, stop, tempDir, waitFor, writeServeConfig, type Served } from './serve-helpers.ts';

// One embedded (PGlite) server for the API's behaviour: registration before and while it runs, tokens and scopes,
// validation, limits, ETags, pagination, the OpenAPI document, and a new commit becoming a new snapshot.
describe('depwarden serve (embedded store, real process)', () => {
  const data = tempDir();
  const env = baseEnv();
  const repo = fixtureRepo();
  let s: Served;
  let write: string;
  let read: string;
  let admin: string;

  before(async () => {
    advisoryHome(env.DEPWARDEN_HOME!);
    writeServeConfig(data, `${FAST}limits:\n  bodyBytes: 2048\n  perToken: 200\n  perAddress: 0\n  windowSeconds: 60\n`);
    // Registered and token made before the server starts: written to the embedded store directly.
    const add = cli(['repo', 'add', repo, '--name', 'fixture', '--data', data], env);
    assert.equal(add.code, 0, add.stderr);
    const t = cli(['token', 'create', '--login', 'alice', '--scope', 'write', '--data', data], env);
    assert.equal(t.code, 0, t.stderr);
    write = t.stdout.trim();
    assert.match(t.stdout, /^dw_[0-9a-f]{12}_[A-Za-z0-9_-]{43}\n$/, 'prints only the token');
    const starting = serve(['--listen', '127.0.0.1:0', '--data', data], env);
    // While it starts and runs, the same commands go through it (the embedded store is held by the server).
    const r = cli(['token', 'create', '--login', 'bob', '--scope', 'read', '--data', data], env);
    s = await starting;
    assert.equal(r.code, 0, r.stderr);
    read = r.stdout.trim();
    admin = cli(['token', 'create', '--login', 'root', '--scope', 'admin', '--expires', '1h', '--data', data], env).stdout.trim();
  });
  after(async () => {
    if (s) assert.equal(await stop(s), 0);
  });

  it('answers health and readiness without a token, everything else needs one', async () => {
    assert.deepEqual((await get(`${s.url}/healthz`)).json, { status: 'ok' });
    const ready = await get(`${s.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.deepEqual(ready.json.checks, { store: 'ok', queue: 'ok' });
    const r = await get(`${s.url}/api/v1/repos`);
    assert.equal(r.status, 401);
    assert.match(r.headers.get('www-authenticate')!, /^Bearer/);
    assert.equal((await get(`${s.url}/metrics`)).status, 401, 'metrics are not public by default');
    assert.equal((await get(`${s.url}/api/v1/repos`, 'dw_000000000000_' + 'a'.repeat(43))).status, 401);
    assert.equal((await get(`${s.url}/api/v1/repos`, 'garbage')).status, 401);
  });

  it('sets security headers', async () => {
    const r = await get(`${s.url}/api/v1/repos`, read);
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('x-frame-options'), 'DENY');
    assert.match(r.headers.get('content-security-policy')!, /default-src 'none'/);
  });

  it('shows the first cycle: findings of the registered repository, by a read token', async () => {
    const f = await waitFor('the first check snapshot', async () => {
      const r = await get(`${s.url}/api/v1/repos/fixture/findings`, read);
      return r.status === 200 && r.json;
    });
    assert.equal(f.snapshot.commit, git(repo, 'rev-parse', 'HEAD'));
    const rules = new Set(f.items.map((x: { ruleId: string }) => x.ruleId));
    assert.ok(rules.has('DW006') || rules.has('DW007'), `image pinned by tag is a finding: ${[...rules].join(',')}`);
    assert.ok(f.snapshot.summary.compliance.total > 0);
    const repos = await get(`${s.url}/api/v1/repos`, read);
    assert.deepEqual(repos.json.items.map((r: { name: string }) => r.name), ['fixture']);
    // The audit against the advisory database: the one advisory, with its triage state (none).
    const vulns = await waitFor('the audit snapshot', async () => {
      const r = await get(`${s.url}/api/v1/repos/fixture/vulnerabilities?service=web`, read);
      return r.status === 200 && r.json;
    });
    assert.deepEqual(vulns.items.map((v: { id: string; package: string; version: string; severity: string; triage: unknown }) => [v.id, v.package, v.version, v.severity, v.triage]), [['GHSA-dw00-test-0001', 'leftpad', '1.0.0', 'high', null]]);
    assert.equal(vulns.snapshot.summary.new, 1);
    const sbom = await waitFor('the sbom snapshot', async () => {
      const r = await get(`${s.url}/api/v1/repos/fixture/history?kind=sbom`, read);
      return r.json.items.find((x: { service: string }) => x.service === '');
    });
    const doc = await get(`${s.url}/api/v1/snapshots/${sbom.id}/sbom?format=spdx-json`, read);
    assert.equal(doc.status, 200);
    assert.equal(doc.json.spdxVersion, 'SPDX-2.3');
    const cdx = await get(`${s.url}/api/v1/snapshots/${sbom.id}/sbom`, read);
    assert.equal(cdx.json.bomFormat, 'CycloneDX');
    const deps = await get(`${s.url}/api/v1/repos/fixture/dependencies`, read);
    assert.ok(deps.json.items.some((c: { name: string }) => /python/.test(c.name)), JSON.stringify(deps.json.items));
  });

  it('takes a new commit as a new snapshot, keyed by commit, with the history queryable', async () => {
    writeFileSync(path.join(repo, 'api', 'Dockerfile'), 'FROM python:3.12-slim\nFROM node:22\nRUN true\n');
    writeFileSync(path.join(repo, 'web', 'package-lock.json'), npmLock('1.0.1'));
    git(repo, 'commit', '-qam', 'second');
    const head = git(repo, 'rev-parse', 'HEAD');
    await waitFor('a check snapshot of the new commit', async () => (await get(`${s.url}/api/v1/repos/fixture/findings`, read)).json?.snapshot?.commit === head);
    // The upgrade fixed the vulnerability: fixed since the previous snapshot.
    const audit = await waitFor('the audit of the new commit', async () => {
      const r = (await get(`${s.url}/api/v1/repos/fixture/vulnerabilities?service=web`, read)).json;
      return r?.snapshot?.commit === head && r;
    });
    assert.deepEqual([audit.items.length, audit.snapshot.summary.fixed, audit.snapshot.summary.new], [0, 1, 0]);
    const h = await get(`${s.url}/api/v1/repos/fixture/history?kind=check&service=`, read);
    assert.deepEqual(h.json.items.map((x: { commit: string }) => x.commit).slice(-2), [git(repo, 'rev-parse', 'HEAD~1'), head]);
    const [a, b] = h.json.items.slice(-2);
    assert.ok((b.summary.byRule.DW006 ?? 0) > (a.summary.byRule.DW006 ?? 0), `the second FROM adds a tag-only image: ${JSON.stringify([a.summary.byRule, b.summary.byRule])}`);
    assert.equal(b.summary.byRule.DW201, undefined, 'and the upgrade removed the vulnerability finding');
  });

  it('re-audits every repository at its known commit when the advisory database changes (a db import beside the server)', async () => {
    const head = git(repo, 'rev-parse', 'HEAD');
    const dir = tempDir('dw-osv2-');
    writeFileSync(path.join(dir, 'GHSA-dw00-test-0002.json'), JSON.stringify({ schema_version: '1.6.0', id: 'GHSA-dw00-test-0002', modified: '2024-02-01T00:00:00Z', published: '2024-02-01T00:00:00Z', summary: 'second advisory', affected: [{ package: { ecosystem: 'npm', name: 'leftpad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.2' }] }] }], database_specific: { severity: 'CRITICAL' } }));
    const imp = cli(['db', 'import', dir], env);
    assert.equal(imp.code, 0, imp.stderr);
    // No new commit: the new advisory reaches the history through the re-audit alone.
    const audit = await waitFor('the re-audit after the import', async () => {
      const r = (await get(`${s.url}/api/v1/repos/fixture/vulnerabilities?service=web`, read)).json;
      return r?.snapshot?.commit === head && r.items.some((v: { id: string }) => v.id === 'GHSA-dw00-test-0002') && r;
    });
    assert.equal(audit.snapshot.summary.new, 1);
  });

  it('gives ETags on reads and 304 when the client has the representation', async () => {
    const r = await get(`${s.url}/api/v1/repos`, read);
    const tag = r.headers.get('etag')!;
    assert.match(tag, /^"[A-Za-z0-9_-]+"$/);
    const again = await get(`${s.url}/api/v1/repos`, read, { 'if-none-match': tag });
    assert.equal(again.status, 304);
    assert.equal(again.text, '');
  });

  it('paginates with cursors', async () => {
    const all = (await get(`${s.url}/api/v1/repos/fixture/findings?limit=500`, read)).json.items;
    assert.ok(all.length >= 2);
    const p1 = await get(`${s.url}/api/v1/repos/fixture/findings?limit=1`, read);
    assert.equal(p1.json.items.length, 1);
    const p2 = await get(`${s.url}/api/v1/repos/fixture/findings?limit=1&cursor=${p1.json.next}`, read);
    assert.deepEqual([p1.json.items[0], p2.json.items[0]], all.slice(0, 2));
    assert.equal((await get(`${s.url}/api/v1/repos/fixture/findings?limit=0`, read)).status, 400);
  });

  it('refuses writes to a read token, audits writes with the login, validates bodies with the issue path', async () => {
    const denied = await send('POST', `${s.url}/api/v1/repos/fixture/jobs`, read, { kinds: ['check'] });
    assert.equal(denied.status, 403);
    const bad = await send('POST', `${s.url}/api/v1/repos/fixture/jobs`, write, { kinds: ['nope'] });
    assert.equal(bad.status, 400);
    assert.equal(bad.json.issues[0].path, 'kinds.0');
    assert.equal((await send('POST', `${s.url}/api/v1/repos/fixture/jobs`, write, '{not json', true)).status, 400);
    const ok = await send('POST', `${s.url}/api/v1/repos/fixture/jobs`, write, { kinds: ['conflicts'] });
    assert.equal(ok.status, 201);
    const log = await get(`${s.url}/api/v1/audit-log?limit=500`, read);
    assert.equal(log.json.verification.ok, true);
    const ev = log.json.items.find((e: { kind: string }) => e.kind === 'jobs_requested');
    assert.equal(ev.actor, 'alice');
    assert.deepEqual(ev.payload.kinds, ['conflicts']);
    // Tokens made while the server ran went through it: audited under the data dir's owner.
    assert.ok(log.json.items.some((e: { kind: string; payload: { login: string } }) => e.kind === 'token_created' && e.payload.login === 'bob'));
    // Registering needs admin.
    assert.equal((await send('POST', `${s.url}/api/v1/repos`, write, { spec: repo, name: 'again' })).status, 403);
    assert.equal((await send('POST', `${s.url}/api/v1/repos`, admin, { spec: 'relative/path' })).status, 400);
    assert.equal((await send('POST', `${s.url}/api/v1/repos`, admin, { spec: repo, name: 'fixture' })).status, 409);
  });

  it('limits body size (413)', async () => {
    const r = await send('POST', `${s.url}/api/v1/repos/fixture/jobs`, write, { kinds: ['check'], pad: 'x'.repeat(5000) });
    assert.equal(r.status, 413);
  });

  it('publishes an OpenAPI 3.1 document generated from the routes, whose schemas compile', async () => {
    const r = await get(`${s.url}/api/v1/openapi.json`);
    assert.equal(r.status, 200);
    assert.equal(r.json.openapi, '3.1.0');
    for (const p of ['/healthz', '/readyz', '/metrics', '/api/v1/repos', '/api/v1/repos/{name}/findings', '/api/v1/jobs', '/api/v1/audit-log']) assert.ok(r.json.paths[p], p);
    const findings = r.json.paths['/api/v1/repos/{name}/findings'].get;
    assert.deepEqual(findings.parameters.map((x: { name: string }) => x.name), ['name', 'cursor', 'limit', 'rule', 'service', 'severity']);
    const ajv = new Ajv2020({ strict: false });
    for (const [p, ops] of Object.entries(r.json.paths as Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }>; requestBody?: { content: Record<string, { schema: object }> } }>>)) {
      for (const op of Object.values(ops)) {
        for (const res of Object.values(op.responses)) for (const c of Object.values(res.content ?? {})) if (!('$ref' in c.schema)) ajv.compile(c.schema), p;
        for (const c of Object.values(op.requestBody?.content ?? {})) ajv.compile(c.schema);
      }
    }
  });

  it('lists and revokes tokens through the running server', async () => {
    const list = cli(['token', 'list', '--data', data], env);
    assert.equal(list.code, 0, list.stderr);
    assert.match(list.stdout, /\tbob\tread\t/);
    assert.ok(!list.stdout.includes(read.split('_')[2]!), 'never the secret');
    const id = read.split('_')[1]!;
    assert.equal(cli(['token', 'revoke', id, '--data', data], env).code, 0);
    const r = await get(`${s.url}/api/v1/repos`, read);
    assert.equal(r.status, 401);
    assert.equal(r.json.error, 'token revoked');
  });

  it('rate-limits a token (429 with Retry-After)', async () => {
    let last;
    // The limit is wide (200 a minute) so that the polling waits above, slower on a loaded machine, never reach it.
    for (let i = 0; i < 205; i++) {
      last = await get(`${s.url}/healthz`);
      last = await get(`${s.url}/api/v1/whoami`, write);
      if (last.status === 429) break;
    }
    assert.equal(last!.status, 429);
    assert.ok(Number(last!.headers.get('retry-after')) >= 1);
  });
});

describe('depwarden serve: bad input at start', () => {
  it('refuses a non-loopback address without TLS (exit 2)', () => {
    const r = cli(['serve', '--listen', '0.0.0.0:0', '--data', tempDir()], baseEnv());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without TLS/);
  });

  it('refuses --workers-only on the embedded store (exit 2)', () => {
    const r = cli(['serve', '--workers-only', '--data', tempDir()], baseEnv());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--workers-only needs DATABASE_URL/);
  });

  it('exits 7 with one line when the store is unreachable', () => {
    const r = cli(['serve', '--listen', '127.0.0.1:0', '--data', tempDir()], baseEnv({ DATABASE_URL: 'postgres://postgres@127.0.0.1:1/test' }));
    assert.equal(r.code, 7, r.stderr);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /database: cannot reach 127\.0\.0\.1:1/);
  });

  it('says what is wrong with a bad serve.yaml (exit 2)', () => {
    const d = tempDir();
    writeServeConfig(d, 'jobs:\n  tickSeconds: fast\n');
    const r = cli(['serve', '--listen', '127.0.0.1:0', '--data', d], baseEnv());
    assert.equal(r.code, 2);
    assert.match(r.stderr, /serve\.yaml: jobs\.tickSeconds/);
  });
});
