/**
 * Alerts (issue 14 benchmarks): evaluating every rule after a full-fleet snapshot of 200 services, with the
 * vulnerabilities drawn from a pool of shared advisories (the same library is in many services, as in a real
 * fleet), plus outdated snapshots, builds and health samples. Measures the evaluation time (first: everything new;
 * then the steady state: nothing new), memory, and how many messages the grouping leaves of the per-alert ones.
 *
 *   node bench/alerts.ts [--services 200] [--repos 4] [--advisories 400] [--per-service 12] [--postgres]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { evaluateAlerts, type AlertsRepo } from '../src/alerts/state.ts';
import { parseConfig } from '../src/config/load.ts';
import { recordSnapshots } from '../src/history/snapshots.ts';
import { openStore } from '../src/store/store.ts';

const { values } = parseArgs({ options: { services: { type: 'string', default: '200' }, repos: { type: 'string', default: '4' }, advisories: { type: 'string', default: '400' }, 'per-service': { type: 'string', default: '12' }, postgres: { type: 'boolean', default: false } } });
const nServices = Number(values.services);
const nRepos = Number(values.repos);
const nAdvisories = Number(values.advisories);
const perService = Number(values['per-service']);
const dir = mkdtempSync(path.join(tmpdir(), 'dw-bench-alerts-'));
const schema = `dw_bench_alerts_${process.pid}`;
const store = values.postgres ? await openStore({ databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema, dir: '' }) : await openStore({ dir: path.join(dir, 'store') });

// Deterministic pseudo-random numbers (the same fleet every run).
let seed = 42;
const rnd = (): number => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
const SEVERITIES = ['low', 'medium', 'medium', 'high', 'high', 'critical'];
const advisories = Array.from({ length: nAdvisories }, (_, i) => ({ id: `GHSA-bench-${String(i).padStart(4, '0')}`, package: `lib-${i % 150}`, version: `1.${i % 7}.0`, severity: SEVERITIES[i % SEVERITIES.length]!, fixedIn: i % 3 ? `1.${i % 7}.9` : undefined }));
// A skewed pick: popular libraries are in many services.
const pick = () => advisories[Math.floor(rnd() ** 2 * advisories.length)]!;

const yaml = `alerts:
  channels:
    chat: { kind: slack, webhookUrlEnv: SLACK_URL }
    mail: { kind: email, smtp: { host: 127.0.0.1 }, from: a@example.com, to: [b@example.com] }
    board: { kind: github-issue, repo: acme/fleet }
  routes:
    - match: { severity: high }
      channels: [chat, mail, board]
`;
const config = (await parseConfig('depwarden.yaml', yaml)).alerts;
const repos: AlertsRepo[] = Array.from({ length: nRepos }, (_, i) => ({ name: `fleet-${i}`, root: '/srv/fleet', branch: 'main', config }));

const t0 = performance.now();
let vulnRecords = 0;
for (let r = 0; r < nRepos; r++) {
  const services = Array.from({ length: Math.ceil(nServices / nRepos) }, (_, i) => `svc-${r}-${i}`);
  const audit = services.map((service) => {
    const mine = new Map<string, ReturnType<typeof pick>>();
    while (mine.size < perService) {
      const a = pick();
      mine.set(a.id, a);
    }
    const detail = [...mine.values()].map((a) => ({ id: a.id, ids: [a.id], ecosystem: 'PyPI', package: a.package, version: a.version, severity: a.severity, ...(a.fixedIn ? { fixedIn: a.fixedIn } : {}), summary: `Advisory ${a.id}`, triage: null, service }));
    vulnRecords += detail.length;
    return { service, summary: { vulnerabilities: detail.length }, detail };
  });
  await store.transaction((q) => recordSnapshots(q, `fleet-${r}`, 'c1', 'audit', null, [...audit, { service: '', summary: {}, detail: audit.flatMap((a) => a.detail) }]));
  const outdated = services.map((service) => ({ service, summary: { outdated: 6, libyears: Math.round(rnd() * 2000) / 100 }, detail: Array.from({ length: 6 }, (_, k) => ({ service, name: `dep-${k}`, current: '1.0.0', latest: k % 2 ? '3.0.0' : '1.2.0', updateType: k % 2 ? 'major' : 'minor' })) }));
  await store.transaction((q) => recordSnapshots(q, `fleet-${r}`, 'c1', 'outdated', null, outdated));
}
const seeded = performance.now() - t0;

const rss0 = process.memoryUsage().rss;
const now = new Date('2026-12-07T10:00:00Z');
const first = await evaluateAlerts({ store, repos, now, defaultLog: { kind: 'log' } });
const rss1 = process.memoryUsage().rss;
const steady = await evaluateAlerts({ store, repos, now: new Date(now.getTime() + 60_000), defaultLog: { kind: 'log' } });
const steady2 = await evaluateAlerts({ store, repos, now: new Date(now.getTime() + 120_000), defaultLog: { kind: 'log' } });
const advisoriesFiring = (await store.query<{ n: string | number }>("SELECT count(DISTINCT group_key) AS n FROM alerts WHERE rule = 'vulnerability.new' AND state = 'firing'"))[0]!.n;
console.log(JSON.stringify({
  store: store.kind,
  services: nServices,
  repos: nRepos,
  vulnerabilityRecords: vulnRecords,
  seedMs: Math.round(seeded),
  first: { ...first, rssDeltaMB: Math.round((rss1 - rss0) / 1e6) },
  steady: [steady, steady2],
  distinctAdvisoriesFiring: Number(advisoriesFiring),
  rssMB: Math.round(process.memoryUsage().rss / 1e6),
  heapUsedMB: Math.round(process.memoryUsage().heapUsed / 1e6),
}, null, 2));
if (values.postgres) await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
await store.close();
rmSync(dir, { recursive: true, force: true });
