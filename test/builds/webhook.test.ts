import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createBuildsFeature } from '../../src/builds/feature.ts';
import { sign } from '../../src/builds/webhook.ts';
import type { RegisteredRepo } from '../../src/serve/feature.ts';
import type { Store } from '../../src/store/store.ts';
import { callRoute, pgStore, type Recorded, tempStore } from '../helpers/request-context.ts';
import { needPostgres } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();

const FIXTURES = path.join(import.meta.dirname, '..', 'fixtures', 'github-webhooks');
const payload = (name: string): Buffer => readFileSync(path.join(FIXTURES, `${name}.json`));

const HELLO_SECRET = 'hello-secret-0f3a9c';
const DEFAULT_SECRET = 'default-secret-77b1';
const env = { HELLO_SECRET, DEPWARDEN_WEBHOOK_SECRET: DEFAULT_SECRET };

let checkout: string;
let repos: RegisteredRepo[];
const feature = createBuildsFeature({ env, servicesOf: async () => [{ name: 'api', root: 'services/api' }, { name: 'web', root: 'services/web' }] });

let deliveries = 0;
async function deliver(store: Store, event: string, body: Buffer, o: { secret?: string | null; delivery?: string; recorded?: Recorded } = {}) {
  const headers: Record<string, string> = { 'X-GitHub-Event': event, 'X-GitHub-Delivery': o.delivery ?? `d-${++deliveries}-${process.pid}` };
  const secret = o.secret === undefined ? HELLO_SECRET : o.secret;
  if (secret !== null) headers['X-Hub-Signature-256'] = sign(secret, body);
  return callRoute(feature, 'POST', '/api/v1/webhooks/github', { store, repos, headers, body, ...(o.recorded ? { recorded: o.recorded } : {}) });
}

const count = async (store: Store, table: string): Promise<number> => Number((await store.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`))[0]!.n);

before(() => {
  checkout = mkdtempSync(path.join(tmpdir(), 'dw-checkout-'));
  mkdirSync(path.join(checkout, '.github', 'workflows'), { recursive: true });
  // The recorded workflow_run is of .github/workflows/test.yml: here it only runs for services/api.
  writeFileSync(path.join(checkout, '.github', 'workflows', 'test.yml'), 'on:\n  push:\n    paths: ["services/api/**", "!services/api/docs/**"]\n  pull_request:\n    paths: ["services/api/src/*.ts"]\njobs: {}\n');
  repos = [
    { name: 'hello', root: checkout, branch: 'master', remote: 'git@github.com:Codertocat/Hello-World.git', webhookSecretEnv: 'HELLO_SECRET' },
    { name: 'octo', root: checkout, branch: 'master', remote: 'https://github.com/octo-org/octo-repo', webhookSecretEnv: null },
  ];
});
after(() => rmSync(checkout, { recursive: true, force: true }));

describe('GitHub webhook, recorded payloads (embedded store)', { skip: NO_PG }, () => {
  let s: Awaited<ReturnType<typeof tempStore>>;
  before(async () => (s = await tempStore()));
  after(async () => s.dispose());

  it('workflow_run: requested then completed → one build, success, of the service its paths filter names', async () => {
    const r1 = await deliver(s.store, 'workflow_run', payload('workflow_run.requested.payload'), { secret: DEFAULT_SECRET });
    assert.equal(r1.status, 202, JSON.stringify(r1.body));
    const r2 = await deliver(s.store, 'workflow_run', payload('workflow_run.completed.payload'), { secret: DEFAULT_SECRET });
    assert.equal(r2.status, 202);
    const rows = await s.store.query<Record<string, unknown>>(`SELECT repo, service, commit, branch, workflow, source, status, url FROM builds WHERE repo = 'octo'`);
    assert.deepEqual(rows, [{ repo: 'octo', service: 'api', commit: '3484a3fb816e0859fd6e1cea078d76385ff50625', branch: 'master', workflow: 'test', source: 'workflow_run', status: 'success', url: 'https://github.com/octo-org/octo-repo/actions/runs/289782451' }]);
  });

  it('an older event delivered late does not overwrite a newer one', async () => {
    const late = JSON.parse(payload('workflow_run.requested.payload').toString());
    late.workflow_run.updated_at = '2020-10-05T16:00:00Z';
    const r = await deliver(s.store, 'workflow_run', Buffer.from(JSON.stringify(late)), { secret: DEFAULT_SECRET });
    assert.equal(r.status, 202);
    assert.equal(r.body.stored, 0);
    assert.deepEqual(await s.store.query(`SELECT status FROM builds WHERE repo = 'octo'`), [{ status: 'success' }]);
  });

  it('check_suite, check_run, status → builds per commit and workflow; status on a commit no branch heads has no branch', async () => {
    for (const [event, file] of [['check_run', 'check_run.created.payload'], ['check_run', 'check_run.completed.payload'], ['check_suite', 'check_suite.completed.payload'], ['status', 'status.payload']] as const) {
      const r = await deliver(s.store, event, payload(file));
      assert.equal(r.status, 202, `${file}: ${JSON.stringify(r.body)}`);
    }
    const rows = await s.store.query(`SELECT commit, branch, workflow, source, status FROM builds WHERE repo = 'hello' ORDER BY workflow`);
    assert.deepEqual(rows, [
      { commit: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', branch: 'changes', workflow: 'Octocoders-linter', source: 'check_run', status: 'success' },
      { commit: '6113728f27ae82c7b1a177c8d03f9e96e0adf246', branch: null, workflow: 'default', source: 'status', status: 'success' },
      { commit: 'ec26c3e57ca3a959ca5aad62de7213c562f8c821', branch: 'changes', workflow: 'octocoders-linter', source: 'check_suite', status: 'success' },
    ]);
  });

  it('pull_request: records the head and base branch, which then is the coverage base of that branch', async () => {
    assert.equal((await deliver(s.store, 'pull_request', payload('pull_request.opened.payload'))).status, 202);
    assert.deepEqual(await s.store.query(`SELECT number, head_branch, base_branch, state FROM build_pull_requests`), [{ number: 2, head_branch: 'changes', base_branch: 'master', state: 'open' }]);
    const { baseBranchOf } = await import('../../src/builds/store.ts');
    assert.equal(await baseBranchOf(s.store.query, 'hello', 'changes'), 'master');
    assert.equal(await baseBranchOf(s.store.query, 'hello', 'other'), 'main');
  });

  it('ping → 200 and nothing stored', async () => {
    const before = await count(s.store, 'builds');
    const r = await deliver(s.store, 'ping', payload('ping.payload'), { secret: DEFAULT_SECRET });
    // The recorded ping is of Octocoders/Hello-World, which is not registered here.
    assert.equal(r.status, 404);
    const orgPing = JSON.parse(payload('ping.payload').toString());
    delete orgPing.repository;
    assert.equal((await deliver(s.store, 'ping', Buffer.from(JSON.stringify(orgPing)), { secret: DEFAULT_SECRET })).status, 200);
    assert.equal(await count(s.store, 'builds'), before);
  });

  it('refusals: wrong and missing signature, replay, malformed, oversized, unknown event, unregistered repo — 4xx, nothing stored, no secret logged', async () => {
    const rec: Recorded = { logs: [], audits: [] };
    const body = payload('check_run.completed.payload');
    const builds = await count(s.store, 'builds');
    const seen = await count(s.store, 'webhook_deliveries');
    assert.equal((await deliver(s.store, 'check_run', body, { secret: 'wrong', recorded: rec })).status, 401);
    // Signed with the other repository's secret: still wrong for this one.
    assert.equal((await deliver(s.store, 'check_run', body, { secret: DEFAULT_SECRET, recorded: rec })).status, 401);
    assert.equal((await deliver(s.store, 'check_run', body, { secret: null, recorded: rec })).status, 401);
    const tampered = Buffer.from(body.toString().replace('"success"', '"failure"'));
    const sigOfOriginal = sign(HELLO_SECRET, body);
    const t = await callRoute(feature, 'POST', '/api/v1/webhooks/github', { store: s.store, repos, headers: { 'x-github-event': 'check_run', 'x-github-delivery': 'tampered-1', 'x-hub-signature-256': sigOfOriginal }, body: tampered, recorded: rec });
    assert.equal(t.status, 401);
    assert.equal((await deliver(s.store, 'check_run', Buffer.from('{"repository": '), { recorded: rec })).status, 400);
    const missing = JSON.parse(body.toString());
    delete missing.check_run.head_sha;
    const m = await deliver(s.store, 'check_run', Buffer.from(JSON.stringify(missing)), { recorded: rec, delivery: 'fixable-1' });
    assert.equal(m.status, 400);
    assert.match(m.body.error, /check_run\.head_sha/);
    assert.equal((await deliver(s.store, 'issues', body, { recorded: rec })).status, 400);
    const small = createBuildsFeature({ env, maxWebhookBytes: 1000, servicesOf: async () => [] });
    const big = await callRoute(small, 'POST', '/api/v1/webhooks/github', { store: s.store, repos, headers: { 'x-github-event': 'check_run', 'x-github-delivery': 'big-1', 'x-hub-signature-256': sign(HELLO_SECRET, body) }, body, recorded: rec });
    assert.equal(big.status, 413);
    const stranger = Buffer.from(body.toString().replaceAll('Codertocat/Hello-World', 'someone/else'));
    // An unregistered repository is named only to a sender who signs with the server's own secret; to anyone else
    // it is the refusal of a wrong signature, so registrations cannot be probed.
    assert.equal((await deliver(s.store, 'check_run', stranger, { secret: DEFAULT_SECRET, recorded: rec })).status, 404);
    assert.equal((await deliver(s.store, 'check_run', stranger, { recorded: rec })).status, 401);
    assert.equal((await callRoute(feature, 'POST', '/api/v1/webhooks/github', { store: s.store, repos, headers: { 'x-github-delivery': 'no-event' }, body, recorded: rec })).status, 400);
    assert.equal(await count(s.store, 'builds'), builds);
    assert.equal(await count(s.store, 'webhook_deliveries'), seen, 'a refused delivery is not claimed');
    // The malformed delivery was not claimed: GitHub's redelivery of it (same id) is accepted once fixed.
    assert.equal((await deliver(s.store, 'check_run', body, { delivery: 'fixable-1' })).status, 202);
    const replay = await deliver(s.store, 'check_run', body, { delivery: 'fixable-1', recorded: rec });
    assert.equal(replay.status, 409);
    const logged = JSON.stringify(rec.logs);
    for (const secret of [HELLO_SECRET, DEFAULT_SECRET, sigOfOriginal.slice(7)]) assert.ok(!logged.includes(secret), 'a secret or signature was logged');
    assert.ok(rec.logs.length >= 10 && rec.logs.every((l) => l.level === 'warn' && typeof l.fields.reason === 'string'));
  });

  it('a repository whose secret variable is unset → 503 saying which variable, nothing stored', async () => {
    const bare = createBuildsFeature({ env: {}, servicesOf: async () => [] });
    const body = payload('check_run.completed.payload');
    const r = await callRoute(bare, 'POST', '/api/v1/webhooks/github', { store: s.store, repos, headers: { 'x-github-event': 'check_run', 'x-github-delivery': 'nosecret-1', 'x-hub-signature-256': sign(HELLO_SECRET, body) }, body });
    assert.equal(r.status, 503);
    assert.match(r.body.error, /HELLO_SECRET/);
  });

  it('read routes: history with cursor pagination, latest per branch, unknown repository, bad cursor', async () => {
    const seen: string[] = [];
    let cursor: string | undefined;
    for (let i = 0; i < 5; i++) {
      const r = await callRoute(feature, 'GET', '/api/v1/repos/{name}/builds', { store: s.store, repos, params: { name: 'hello' }, query: { limit: '2', ...(cursor ? { cursor } : {}) } });
      assert.equal(r.status, 200);
      seen.push(...r.body.items.map((b: { workflow: string }) => b.workflow));
      cursor = r.body.nextCursor ?? undefined;
      if (!cursor) break;
    }
    assert.deepEqual([...seen].sort(), ['Octocoders-linter', 'default', 'octocoders-linter']);
    const latest = await callRoute(feature, 'GET', '/api/v1/repos/{name}/builds/latest', { store: s.store, repos, params: { name: 'hello' } });
    assert.deepEqual(latest.body.items.map((b: { branch: string; workflow: string }) => `${b.branch}:${b.workflow}`), ['changes:Octocoders-linter', 'changes:octocoders-linter']);
    assert.equal((await callRoute(feature, 'GET', '/api/v1/repos/{name}/builds', { store: s.store, repos, params: { name: 'nope' } })).status, 404);
    assert.equal((await callRoute(feature, 'GET', '/api/v1/repos/{name}/builds', { store: s.store, repos, params: { name: 'hello' }, query: { cursor: 'garbage' } })).status, 400);
  });
});

describe('GitHub webhook on PostgreSQL: concurrent deliveries', { skip: NO_PG }, () => {
  let p: Awaited<ReturnType<typeof pgStore>>;
  before(async () => (p = await pgStore('dw_webhook')));
  after(async () => p.dispose());

  it('the same delivery sent 8 times at once is stored exactly once; the others are refused as replays', async () => {
    const body = payload('check_run.completed.payload');
    const results = await Promise.all(Array.from({ length: 8 }, () => deliver(p.store, 'check_run', body, { delivery: 'same-delivery' })));
    assert.deepEqual(results.map((r) => r.status).sort(), [202, 409, 409, 409, 409, 409, 409, 409]);
    assert.equal(await count(p.store, 'builds'), 1);
    assert.equal(await count(p.store, 'webhook_deliveries'), 1);
  });
});
