import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deliverDue } from '../../src/alerts/delivery.ts';
import { evaluateAlerts, nextDigest, type AlertsRepo } from '../../src/alerts/state.ts';
import { parseConfig } from '../../src/config/load.ts';
import { recordSnapshots } from '../../src/history/snapshots.ts';
import type { Store } from '../../src/store/store.ts';
import { tempStore } from '../helpers/request-context.ts';
import { type Receiver, startReceiver } from './receiver.ts';

let db: { store: Store; dispose(): Promise<void> };
let hook: Receiver;
let repos: AlertsRepo[];
const env = { HOOK_SECRET: 's' };
const T0 = Date.parse('2026-12-07T10:00:00Z'); // a Monday
const at = (h: number) => new Date(T0 + h * 3_600_000);
const vuln = (id: string) => ({ id, ecosystem: 'npm', package: 'lodash', version: '4.17.0', severity: 'high', triage: null, service: 'api' });

before(async () => {
  db = await tempStore();
  hook = await startReceiver([{ status: 200 }]);
  const c = await parseConfig('depwarden.yaml', `alerts:
  channels:
    now: { kind: webhook, url: "${hook.url}/now", secretEnv: HOOK_SECRET }
    daily: { kind: webhook, url: "${hook.url}/daily", secretEnv: HOOK_SECRET }
  routes:
    - match: { rule: ['vulnerability.*'] }
      channels: [now]
      repeatInterval: 1h
      continue: true
    - match: {}
      channels: [daily]
      digest: daily
`);
  repos = [{ name: 'fleet', root: '/srv', branch: 'main', config: c.alerts }];
});
after(async () => {
  await hook.close();
  await db.dispose();
});

test('nextDigest: 09:00 UTC the same or next day; Mondays for weekly', () => {
  assert.equal(nextDigest(new Date('2026-12-07T08:00:00Z'), 'daily').toISOString(), '2026-12-07T09:00:00.000Z');
  assert.equal(nextDigest(new Date('2026-12-07T10:00:00Z'), 'daily').toISOString(), '2026-12-08T09:00:00.000Z');
  assert.equal(nextDigest(new Date('2026-12-07T10:00:00Z'), 'weekly').toISOString(), '2026-12-14T09:00:00.000Z');
});

test('a condition nobody acts on repeats at a growing interval; a digest route sends one summary at 09:00', async () => {
  await db.store.transaction((q) => recordSnapshots(q, 'fleet', 'c1', 'audit', null, [{ service: 'api', summary: {}, detail: [vuln('GHSA-a'), vuln('GHSA-b')] }]));
  const sends: number[] = [];
  // Evaluated every 30 minutes for 8 hours: sent at 0 h, then 1 h, 2 h and 4 h later (the interval doubles).
  for (let h = 0; h <= 8; h += 0.5) {
    await evaluateAlerts({ store: db.store, repos, now: at(h), defaultLog: { kind: 'log' } });
    const before = hook.requests.length;
    await deliverDue({ store: db.store, env, now: () => at(h) });
    if (hook.requests.slice(before).some((r) => r.url === '/now')) sends.push(h);
  }
  assert.deepEqual(sends, [0, 1, 3, 7]);
  assert.equal(hook.requests.filter((r) => r.url === '/daily').length, 0, 'the digest waits for 09:00');
  await deliverDue({ store: db.store, env, now: () => new Date('2026-12-08T09:00:01Z') });
  const digests = hook.requests.filter((r) => r.url === '/daily');
  assert.equal(digests.length, 1, 'every queued message of the day in one');
  const body = JSON.parse(digests[0]!.body) as { status: string; title: string; alerts: { dedupKey: string }[] };
  assert.equal(body.status, 'digest');
  assert.equal(body.title, 'depwarden daily digest: 2 alerts', 'each condition once, however often it repeated');
  assert.deepEqual(body.alerts.map((a) => a.dedupKey), ['vulnerability:fleet:api:npm:lodash@4.17.0:GHSA-a', 'vulnerability:fleet:api:npm:lodash@4.17.0:GHSA-b']);
});
