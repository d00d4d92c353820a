import client from 'prom-client';
import { fleetSnapshots } from '../history/snapshots.ts';
import type { Store } from '../store/store.ts';
import type { PgBoss } from 'pg-boss';
import { QUEUES } from '../jobs/queue.ts';
import type { ServeFeature } from './feature.ts';

/**
 * GET /metrics: prom-client's registry. The fleet's state is read from the newest snapshots at scrape time (every
 * replica answers the same, whichever ran the job); job durations and failures are this process's own counters;
 * queue depth is read from pg-boss. Features register theirs on the same registry.
 */
export interface ServerMetrics {
  registry: client.Registry;
  observeJob(kind: string, outcome: string, seconds: number): void;
}

const SEVERITIES = ['critical', 'high', 'medium', 'low', 'info'];

export function createMetrics(store: Store, boss: () => PgBoss | undefined, features: ServeFeature[]): ServerMetrics {
  const registry = new client.Registry();
  client.collectDefaultMetrics({ register: registry, prefix: 'depwarden_process_' });
  const num = (v: unknown): number => (typeof v === 'number' ? v : 0);

  registry.registerMetric(
    new client.Gauge({
      name: 'depwarden_vulnerabilities',
      help: 'Vulnerabilities of the newest audit snapshot, by repository, service and severity (service "" is the whole repository).',
      labelNames: ['repo', 'service', 'severity'],
      registers: [],
      async collect() {
        this.reset();
        for (const s of await fleetSnapshots(store, 'audit')) {
          const by = (s.summary.bySeverity ?? {}) as Record<string, number>;
          for (const sev of SEVERITIES) this.set({ repo: s.repo, service: s.service, severity: sev }, by[sev] ?? 0);
        }
      },
    }),
  );
  registry.registerMetric(
    new client.Gauge({
      name: 'depwarden_findings',
      help: 'Findings of the newest check snapshot, by repository, service and severity.',
      labelNames: ['repo', 'service', 'severity'],
      registers: [],
      async collect() {
        this.reset();
        for (const s of await fleetSnapshots(store, 'check')) {
          const by = (s.summary.bySeverity ?? {}) as Record<string, number>;
          for (const sev of SEVERITIES) this.set({ repo: s.repo, service: s.service, severity: sev }, by[sev] ?? 0);
        }
      },
    }),
  );
  const outdated = new client.Gauge({ name: 'depwarden_outdated_dependencies', help: 'Outdated dependencies of the newest outdated snapshot.', labelNames: ['repo', 'service'], registers: [] });
  const libyears = new client.Gauge({ name: 'depwarden_libyears', help: 'Sum of libyears of the outdated dependencies.', labelNames: ['repo', 'service'], registers: [] });
  registry.registerMetric(
    new client.Gauge({
      name: 'depwarden_outdated_snapshot_age_seconds',
      help: 'Age of the newest outdated snapshot (collecting this also refreshes the outdated and libyears gauges).',
      labelNames: ['repo', 'service'],
      registers: [],
      async collect() {
        this.reset();
        outdated.reset();
        libyears.reset();
        for (const s of await fleetSnapshots(store, 'outdated')) {
          const l = { repo: s.repo, service: s.service };
          outdated.set(l, num(s.summary.outdated));
          libyears.set(l, num(s.summary.libyears));
          this.set(l, (Date.now() - Date.parse(s.taken)) / 1000);
        }
      },
    }),
  );
  registry.registerMetric(outdated);
  registry.registerMetric(libyears);
  registry.registerMetric(
    new client.Gauge({
      name: 'depwarden_pinning_compliance_ratio',
      help: 'Share of dependencies pinned exactly, images by digest and actions by SHA (0–1), newest check snapshot.',
      labelNames: ['repo', 'service'],
      registers: [],
      async collect() {
        this.reset();
        for (const s of await fleetSnapshots(store, 'check')) {
          const c = s.summary.compliance as { percent?: number } | undefined;
          if (c?.percent !== undefined) this.set({ repo: s.repo, service: s.service }, c.percent / 100);
        }
      },
    }),
  );
  registry.registerMetric(
    new client.Gauge({
      name: 'depwarden_sbom_components',
      help: 'Components of the newest SBOM snapshot.',
      labelNames: ['repo', 'service'],
      registers: [],
      async collect() {
        this.reset();
        for (const s of await fleetSnapshots(store, 'sbom')) this.set({ repo: s.repo, service: s.service }, num(s.summary.components));
      },
    }),
  );
  registry.registerMetric(
    new client.Gauge({
      name: 'depwarden_job_runs_failed_last_day',
      help: 'Failed job runs in the last 24 hours (all replicas), by kind.',
      labelNames: ['kind'],
      registers: [],
      async collect() {
        this.reset();
        for (const r of await store.query<{ kind: string; n: string | number }>("SELECT kind, count(*) AS n FROM job_runs WHERE outcome = 'failed' AND started > now() - interval '1 day' GROUP BY kind")) this.set({ kind: r.kind }, Number(r.n));
      },
    }),
  );
  registry.registerMetric(
    new client.Gauge({
      name: 'depwarden_queue_depth',
      help: 'Jobs waiting in the queue (created or retry), by queue.',
      labelNames: ['queue'],
      registers: [],
      async collect() {
        this.reset();
        const b = boss();
        if (!b) return;
        for (const q of await b.getQueues(Object.values(QUEUES))) this.set({ queue: q.name }, q.queuedCount ?? 0);
      },
    }),
  );
  const durations = new client.Histogram({ name: 'depwarden_job_duration_seconds', help: 'Job run durations in this process, by kind and outcome.', labelNames: ['kind', 'outcome'], buckets: [0.1, 0.5, 1, 5, 15, 60, 300, 900], registers: [registry] });
  const failures = new client.Counter({ name: 'depwarden_job_failures_total', help: 'Failed job runs in this process, by kind.', labelNames: ['kind'], registers: [registry] });
  for (const f of features) f.metrics?.(registry, store);
  return {
    registry,
    observeJob(kind, outcome, seconds) {
      durations.observe({ kind, outcome }, seconds);
      if (outcome === 'failed') failures.inc({ kind });
    },
  };
}
