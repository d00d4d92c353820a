import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { deliverDue } from '../../src/alerts/delivery.ts';
import { createSilence, deleteSilence } from '../../src/alerts/silences.ts';
import { type AlertsRepo, evaluateAlerts } from '../../src/alerts/state.ts';
import { parseConfig } from '../../src/config/load.ts';
import { recordSnapshots } from '../../src/history/snapshots.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { type Receiver, startReceiver } from './receiver.ts';

/**
 * End to end from stored snapshots: an advisory sync brings a new critical advisory into three services of two
 * repositories; the rules, the state, grouping, silences and the delivery queue take it to real loopback channels.
 */

let store: Store;
let hook: Receiver;
let slack: Receiver;
let flaky: Receiver;
const env = { HOOK_SECRET: 'k', SLACK_URL: '' };

const vuln = (service: string, id = 'GHSA-crit-0001', severity = 'critical') => ({ id, ids: [id, 'CVE-2026-1'], ecosystem: 'PyPI', package: 'urllib3', version: '1.26.0', severity, fixedIn: '1.26.19', summary: 'Proxy-Authorization leak', triage: null, service });

async function audit(repo: string, commit: string, services: Record<string, ReturnType<typeof vuln>[]>): Promise<void> {
  await store.transaction((q) => recordSnapshots(q, repo, commit, 'audit', null, [...Object.entries(services).map(([service, detail]) => ({ service, summary: { vulnerabilities: detail.length }, detail })), { service: '', summary: {}, detail: Object.values(services).flat() }]));
}

async function repos(extra = ''): Promise<AlertsRepo[]> {
  const yaml = `alerts:
  channels:
    hook: { kind: webhook, url: "${hook.url}/h", secretEnv: HOOK_SECRET }
    chat: { kind: slack, webhookUrlEnv: SLACK_URL }
  routes:
    - match: { severity: high }
      channels: [hook, chat]
  delivery: { maxAttempts: 3, backoffSeconds: 1, timeoutSeconds: 2 }
${extra}`;
  const config = await parseConfig('depwarden.yaml', yaml);
  // Two repositories with the same channels: their alerts group into the same messages.
  return ['fleet-a', 'fleet-b'].map((name) => ({ name, root: '/srv/shared', branch: 'main', config: config.alerts }));
}

let clock = Date.parse('2026-12-07T10:00:00Z');
const now = () => new Date(clock);
const deliveries = async () => store.query<{ channel: string; status: string; attempts: number; last_status: number | null; kind: string }>('SELECT channel, status, attempts, last_status, kind FROM alert_deliveries ORDER BY id');

before(async () => {
  store = await openStore({ dir: path.join(mkdtempSync(path.join(tmpdir(), 'dw-alerts-')), 'store') });
  hook = await startReceiver([{ status: 200 }]);
  slack = await startReceiver([{ status: 200 }]);
  flaky = await startReceiver([{ status: 500 }, { status: 200 }]);
  env.SLACK_URL = `${slack.url}/services/T/B/x`;
});
after(async () => {
  await store.close();
  await hook.close();
  await slack.close();
  await flaky.close();
});

test('a new critical advisory in three services of two repositories: one grouped message per channel; the same sync again: nothing', async () => {
  await audit('fleet-a', 'c1', { api: [vuln('api')], web: [vuln('web'), vuln('web', 'GHSA-low-0002', 'low')] });
  await audit('fleet-b', 'c9', { worker: [vuln('worker')] });
  const r = await evaluateAlerts({ store, repos: await repos(), now: now(), defaultLog: { kind: 'log' } });
  assert.equal(r.candidates, 3, 'the low one is below the route and the rule threshold');
  assert.equal(r.itemsDue, 6, 'three alerts, two channels');
  assert.equal(r.messages, 2, 'one message per channel');
  const round = await deliverDue({ store, env, now });
  assert.deepEqual(round, { attempted: 2, delivered: 2, retried: 0, dead: 0 });
  assert.equal(hook.requests.length, 1);
  assert.equal(slack.requests.length, 1);
  const body = JSON.parse(hook.requests[0]!.body) as { title: string; alerts: { repo: string; service: string }[] };
  assert.equal(body.title, 'GHSA-crit-0001: urllib3 1.26.0 (critical) (3 services in 2 repositories)');
  assert.deepEqual(body.alerts.map((a) => `${a.repo}/${a.service}`), ['fleet-a/api', 'fleet-a/web', 'fleet-b/worker']);
  // The scheduled re-run of the same snapshots, later the same day: nothing new to say.
  clock += 30 * 60_000;
  await audit('fleet-a', 'c1', { api: [vuln('api')], web: [vuln('web')] });
  const again = await evaluateAlerts({ store, repos: await repos(), now: now(), defaultLog: { kind: 'log' } });
  assert.equal(again.messages, 0);
  assert.equal((await deliverDue({ store, env, now })).attempted, 0);
  assert.equal(hook.requests.length, 1);
});

test('a silence holds the alert until it expires; then it is sent again while still firing', async () => {
  await createSilence(store, { matchers: { rule: 'vulnerability.*', repo: 'fleet-b' }, reason: 'upgrade scheduled', author: 'alice', expiresAt: new Date(clock + 3_600_000).toISOString() }, now());
  // fleet-b's worker gets a second advisory: silenced.
  await audit('fleet-b', 'c10', { worker: [vuln('worker'), vuln('worker', 'GHSA-high-0003', 'high')] });
  const held = await evaluateAlerts({ store, repos: await repos(), now: now(), defaultLog: { kind: 'log' } });
  assert.equal(held.messages, 0);
  assert.equal(held.held, 2);
  clock += 61 * 60_000;
  const resent = await evaluateAlerts({ store, repos: await repos(), now: now(), defaultLog: { kind: 'log' } });
  assert.equal(resent.messages, 4, 'both fleet-b alerts again (two advisories, two channels)');
  await deliverDue({ store, env, now });
  assert.equal(hook.requests.length, 3);
  const titles = hook.requests.slice(1).map((r) => (JSON.parse(r.body) as { title: string }).title).sort();
  assert.deepEqual(titles, ['GHSA-crit-0001: urllib3 1.26.0 (critical)', 'GHSA-high-0003: urllib3 1.26.0 (high)']);
  const s = await createSilence(store, { matchers: { dedupKey: 'x' }, reason: 'r', author: 'a', expiresAt: new Date(clock + 60_000).toISOString() }, now());
  assert.equal(await deleteSilence(store, s.id, now()), true);
  assert.equal(await deleteSilence(store, s.id, now()), false);
});

test('resolved: the fixed vulnerability sends one resolved message per channel', async () => {
  clock += 60_000;
  await audit('fleet-b', 'c11', { worker: [] });
  const r = await evaluateAlerts({ store, repos: await repos(), now: now(), defaultLog: { kind: 'log' } });
  assert.equal(r.resolved, 2);
  assert.equal(r.messages, 4);
  await deliverDue({ store, env, now });
  const last = JSON.parse(hook.requests.at(-1)!.body) as { status: string; title: string };
  assert.equal(last.status, 'resolved');
  assert.match(last.title, /^Resolved: /);
});

test('a channel answering 500 then 200: delivered once, the log shows 2 attempts; a channel down for good: dead letter, the others unaffected', async () => {
  const down = await startReceiver([{ status: 503, headers: { 'retry-after': '1' } }]);
  const extra = await parseConfig('depwarden.yaml', `alerts:
  channels:
    flaky: { kind: webhook, url: "${flaky.url}/h", secretEnv: HOOK_SECRET }
    dead: { kind: webhook, url: "${down.url}/h", secretEnv: HOOK_SECRET }
    hook: { kind: webhook, url: "${hook.url}/h", secretEnv: HOOK_SECRET }
  delivery: { maxAttempts: 3, backoffSeconds: 1, timeoutSeconds: 2 }
`);
  const r3 = [{ name: 'fleet-c', root: '/srv/c', branch: 'main', config: extra.alerts }];
  await audit('fleet-c', 'c1', { pay: [vuln('pay', 'GHSA-new-0004')] });
  const before = (await deliveries()).length;
  const e = await evaluateAlerts({ store, repos: [...(await repos()), ...r3], now: now(), defaultLog: { kind: 'log' } });
  assert.equal(e.messages, 3, 'no routes: every channel of fleet-c');
  const hookBefore = hook.requests.length;
  const first = await deliverDue({ store, env, now });
  assert.deepEqual(first, { attempted: 3, delivered: 1, retried: 2, dead: 0 });
  assert.equal(hook.requests.length, hookBefore + 1, 'the healthy channel got its message at once');
  for (let i = 0; i < 4; i++) {
    clock += 10_000;
    await deliverDue({ store, env, now });
  }
  const mine = (await deliveries()).slice(before);
  const by = Object.fromEntries(mine.map((d) => [d.channel, d]));
  assert.deepEqual({ status: by.flaky!.status, attempts: by.flaky!.attempts, last: by.flaky!.last_status }, { status: 'delivered', attempts: 2, last: 200 });
  assert.equal(flaky.requests.length, 2);
  assert.deepEqual({ status: by.dead!.status, attempts: by.dead!.attempts, last: by.dead!.last_status }, { status: 'dead', attempts: 3, last: 503 });
  assert.equal(down.requests.length, 3);
  assert.equal(by.hook!.status, 'delivered');
  await down.close();
});
