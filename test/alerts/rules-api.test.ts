import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { deliverDue } from '../../src/alerts/delivery.ts';
import { alertsFeature } from '../../src/alerts/feature.ts';
import { evaluateAlerts, type AlertsRepo } from '../../src/alerts/state.ts';
import { recordBuild } from '../../src/builds/store.ts';
import { parseConfig } from '../../src/config/load.ts';
import { appendEvent } from '../../src/governance/audit-log.ts';
import { recordSample } from '../../src/health/store.ts';
import type { Store } from '../../src/store/store.ts';
import { callRoute, pgStore, type Recorded } from '../helpers/request-context.ts';

/**
 * The rules over other stored data, on the real PostgreSQL (the server's dialect; SKIP LOCKED and jsonb
 * containment there): builds failing and recovered, health down inhibiting its error rate, a failed db sync,
 * a broken audit chain; and the API over the resulting state.
 */

let db: { store: Store; dispose(): Promise<void> };
let repos: AlertsRepo[];
const T0 = Date.parse('2026-12-07T10:00:00Z');
const at = (min: number) => new Date(T0 + min * 60_000);

before(async () => {
  db = await pgStore('dw_alerts');
  const c = await parseConfig('depwarden.yaml', 'alerts:\n  rules:\n    health: { minutes: 5 }\n    buildFailing: { consecutive: 2 }\n  owners:\n    api: ["@payments"]\n');
  repos = [{ name: 'fleet', root: '/srv/fleet', branch: 'main', config: c.alerts }];
});
after(async () => db?.dispose());

const evaluate = (min: number) => evaluateAlerts({ store: db.store, repos, now: at(min), defaultLog: { kind: 'log', file: '/dev/null' } });
const build = (commit: string, status: 'success' | 'failure', min: number) => recordBuild(db.store.query, { repo: 'fleet', service: '', commit, branch: 'main', workflow: 'ci', source: 'report', status, url: null, updated: at(min).toISOString() }, at(min).toISOString());
const sample = (status: 'up' | 'down' | 'degraded', min: number, errorRatio?: 'degraded') =>
  recordSample(db.store, { repo: 'fleet', service: 'api', at: at(min).toISOString(), status, reason: `${status} at ${min}`, checks: [{ check: 'http', status, reason: 'probe' }, ...(errorRatio ? [{ check: 'prometheus.errorRatio', status: errorRatio, reason: 'error ratio 0.2 above 0.05', value: 0.2 }] : [])] });

test('builds: failing after N consecutive failures on the default branch, and resolved when green again', async () => {
  await build('a1', 'failure', 0);
  assert.equal((await evaluate(1)).candidates, 0, 'one failure is not yet an alert');
  await build('a2', 'failure', 2);
  const r = await evaluate(3);
  assert.equal(r.messages, 1);
  const list = await callRoute(alertsFeature, 'GET', '/api/v1/alerts', { store: db.store, query: { state: 'active' } });
  assert.equal(list.status, 200);
  assert.deepEqual(list.body.items.map((a: { rule: string; title: string }) => [a.rule, a.title]), [['build.failing', 'fleet: ci failing on main (2 in a row)']]);
  await build('a3', 'success', 4);
  const g = await evaluate(5);
  assert.equal(g.resolved, 1);
  assert.equal(g.messages, 1, 'the recovered message');
  const resolved = await callRoute(alertsFeature, 'GET', '/api/v1/alerts', { store: db.store, query: { state: 'resolved' } });
  assert.equal(resolved.body.items[0].rule, 'build.failing');
});

test('health: down for longer than N minutes pages once; its error-rate alert is inhibited', async () => {
  await sample('up', 0);
  await sample('down', 10, 'degraded');
  assert.equal((await evaluate(12)).candidates, 0, 'down for 2 minutes: not yet');
  const r = await evaluate(16);
  assert.equal(r.candidates, 2);
  assert.equal(r.held, 1);
  assert.equal(r.messages, 1);
  const active = (await callRoute(alertsFeature, 'GET', '/api/v1/alerts', { store: db.store, query: { state: 'active' } })).body.items;
  assert.deepEqual(active.map((a: { rule: string; owners: string[] }) => [a.rule, a.owners]), [['health.down', ['@payments']]]);
  const silenced = (await callRoute(alertsFeature, 'GET', '/api/v1/alerts', { store: db.store, query: { state: 'silenced' } })).body.items;
  assert.equal(silenced.length, 1);
  assert.equal(silenced[0].rule, 'health.error_rate');
  assert.match(silenced[0].silencedBy, /^inhibited:al_/);
});

test('a failed advisory sync and a broken audit chain are alerts (the latter critical)', async () => {
  await db.store.query("INSERT INTO job_runs (kind, worker, ended, outcome, error) VALUES ('db-sync', 'w:1', now(), 'failed', 'GET https://osv-vulnerabilities.storage.googleapis.com/PyPI/all.zip failed after 5 attempts: HTTP 503')");
  await appendEvent(db.store, { actor: 'alice', kind: 'x', payload: { a: 1 } });
  await appendEvent(db.store, { actor: 'alice', kind: 'y', payload: { a: 2 } });
  assert.equal((await evaluate(17)).messages, 1);
  await db.store.query("UPDATE audit_log SET payload = '{\"a\": 3}' WHERE seq = 1");
  await evaluate(18);
  const items = (await callRoute(alertsFeature, 'GET', '/api/v1/alerts', { store: db.store, query: { state: 'active' } })).body.items as { rule: string; severity: string }[];
  assert.deepEqual(items.map((i) => `${i.rule}:${i.severity}`).sort(), ['audit.chain_broken:critical', 'health.down:critical', 'job.db_sync_failed:high']);
});

test('API: silences are audited, select alerts, and end; the delivery log and one alert read back', async () => {
  const recorded: Recorded = { logs: [], audits: [] };
  const bad = await callRoute(alertsFeature, 'POST', '/api/v1/alerts/silences', { store: db.store, body: { matchers: {}, reason: 'x', expiresAt: at(60).toISOString() }, recorded });
  assert.equal(bad.status, 400);
  const past = await callRoute(alertsFeature, 'POST', '/api/v1/alerts/silences', { store: db.store, body: { matchers: { rule: 'x' }, reason: 'x', expiresAt: '2000-01-01T00:00:00Z' }, recorded });
  assert.equal(past.status, 400);
  const s = await callRoute(alertsFeature, 'POST', '/api/v1/alerts/silences', { store: db.store, body: { matchers: { rule: 'health.*', service: 'api' }, reason: 'maintenance', expiresAt: new Date(Date.now() + 3_600_000).toISOString() }, login: 'alice', recorded });
  assert.equal(s.status, 201);
  assert.equal(s.body.author, 'alice');
  assert.deepEqual(recorded.audits.map((a) => a.kind), ['alert_silenced']);
  const silenced = (await callRoute(alertsFeature, 'GET', '/api/v1/alerts', { store: db.store, query: { state: 'silenced' } })).body.items as { rule: string; silencedBy: string }[];
  assert.equal(silenced.find((a) => a.rule === 'health.down')?.silencedBy, s.body.id);
  assert.equal((await callRoute(alertsFeature, 'GET', '/api/v1/alerts/silences', { store: db.store })).body.items.length, 1);
  assert.equal((await callRoute(alertsFeature, 'DELETE', '/api/v1/alerts/silences/{id}', { store: db.store, params: { id: s.body.id }, recorded })).status, 204);
  assert.equal((await callRoute(alertsFeature, 'DELETE', '/api/v1/alerts/silences/{id}', { store: db.store, params: { id: s.body.id }, recorded })).status, 404);
  assert.deepEqual(recorded.audits.map((a) => a.kind), ['alert_silenced', 'alert_unsilenced']);
  const del = await callRoute(alertsFeature, 'GET', '/api/v1/alerts/deliveries', { store: db.store });
  assert.ok(del.body.items.length >= 4);
  assert.ok(del.body.items.every((d: { status: string; attempts: number }) => d.status === 'pending' && d.attempts === 0));
  const one = del.body.items.find((d: { alertId: string | null }) => d.alertId);
  const a = await callRoute(alertsFeature, 'GET', '/api/v1/alerts/{id}', { store: db.store, params: { id: one.alertId } });
  assert.equal(a.status, 200);
  assert.ok(a.body.deliveries.some((d: { id: number }) => d.id === one.id));
  assert.equal((await callRoute(alertsFeature, 'GET', '/api/v1/alerts/{id}', { store: db.store, params: { id: 'al_nope' } })).status, 404);
  assert.equal((await callRoute(alertsFeature, 'GET', '/api/v1/alerts', { store: db.store, query: { state: 'bogus' } })).status, 400);
  // No channel configured: the log channel takes them all, claimed with SKIP LOCKED.
  const round = await deliverDue({ store: db.store, env: {}, now: () => at(20) });
  assert.ok(round.attempted >= 4);
  assert.equal(round.delivered, round.attempted);
  assert.equal((await deliverDue({ store: db.store, env: {}, now: () => at(21) })).attempted, 0);
});
