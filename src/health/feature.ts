import { Gauge } from 'prom-client';
import { z } from 'zod';
import type { ApiRoute, MetricsRegistry, ServeFeature } from '../serve/feature.ts';
import { repoRead } from '../serve/repo-route.ts';
import type { Store } from '../store/store.ts';
import { BadCursorError, decodeCursor, pageLimit } from '../util/cursor.ts';
import { startProber } from './prober.ts';
import type { HealthStatus } from './status.ts';
import { currentHealth, healthSeries } from './store.ts';

/** Runtime health inside `depwarden serve`: the prober in the background, the results at the API and /metrics. */

const check = z.object({ check: z.string(), status: z.string(), reason: z.string(), latencyMs: z.number().optional(), value: z.number().optional() });
const healthOut = z.object({ repo: z.string(), service: z.string(), at: z.string(), status: z.enum(['up', 'degraded', 'down', 'unknown']), reason: z.string(), checks: z.array(check) });

const routes: ApiRoute[] = [
  {
    method: 'GET', path: '/api/v1/repos/{name}/health', scope: 'read', tags: ['health'], summary: 'Health of each probed service now (its latest sample)', response: z.object({ items: z.array(healthOut) }),
    handler: repoRead(async (ctx, repo) => ({ items: await currentHealth(ctx.store.query, repo) })),
  },
  {
    method: 'GET', path: '/api/v1/repos/{name}/health/{service}', scope: 'read', tags: ['health'], summary: 'Health samples of one service, newest first',
    query: z.object({ since: z.string().optional(), cursor: z.string().optional(), limit: z.string().optional() }), response: z.object({ items: z.array(healthOut), nextCursor: z.string().nullable() }),
    handler: repoRead(async (ctx, repo) => {
      const since = ctx.query.get('since') ?? undefined;
      if (since !== undefined && Number.isNaN(Date.parse(since))) throw new BadCursorError('since must be an ISO 8601 time');
      return healthSeries(ctx.store.query, repo, ctx.params.service ?? '', pageLimit(ctx.query.get('limit'), 100, 1000), decodeCursor(ctx.query.get('cursor')), since === undefined ? undefined : new Date(since).toISOString());
    }),
  },
];

const STATUSES: HealthStatus[] = ['up', 'degraded', 'down', 'unknown'];

export function healthMetrics(registry: MetricsRegistry, store: Store): void {
  registry.registerMetric(
    new Gauge({
      name: 'depwarden_health_status',
      help: 'Health of each probed service from its latest probe: 1 for its current status, 0 for the others (up, degraded, down, unknown).',
      labelNames: ['repo', 'service', 'status'],
      registers: [],
      async collect() {
        this.reset();
        for (const h of await currentHealth(store.query)) for (const s of STATUSES) this.set({ repo: h.repo, service: h.service, status: s }, h.status === s ? 1 : 0);
      },
    }),
  );
  registry.registerMetric(
    new Gauge({
      name: 'depwarden_health_probe_latency_seconds',
      help: 'Round trip of each check of the latest probe of each service (http, tcp, docker, prometheus.*), when it got an answer.',
      labelNames: ['repo', 'service', 'check'],
      registers: [],
      async collect() {
        this.reset();
        for (const h of await currentHealth(store.query)) for (const c of h.checks) if (c.latencyMs !== undefined) this.set({ repo: h.repo, service: h.service, check: c.check }, c.latencyMs / 1000);
      },
    }),
  );
}

export const healthFeature: ServeFeature = {
  name: 'health',
  routes,
  metrics: healthMetrics,
  start: async (ctx) => startProber({ store: ctx.store, log: ctx.log, signal: ctx.signal, repos: ctx.repos }),
};
