import path from 'node:path';
import { z } from 'zod';
import type { AlertsConfig } from '../config/sections/alerts.ts';
import type { ApiRoute, FeatureContext, Logger, RegisteredRepo, ServeFeature } from '../serve/feature.ts';
import type { Store } from '../store/store.ts';
import { deliverDue } from './delivery.ts';
import { type AlertState, getAlert, listAlerts, listDeliveries } from './queries.ts';
import { createSilence, deleteSilence, getSilence, listSilences, SilenceError } from './silences.ts';
import { type AlertsRepo, evaluateAlerts } from './state.ts';

/**
 * Alerts inside `depwarden serve`: the rules are evaluated after every job run, snapshot, build, health sample or
 * deploy the store records (and once a minute for conditions that depend on time), and the delivery queue is worked
 * in the background. The API reads the same state the CLI's `alerts list --data` reads.
 */

const severity = z.enum(['low', 'medium', 'high', 'critical']);
const alertOut = z.object({
  id: z.string(), rule: z.string(), severity: z.string(), state: z.enum(['active', 'silenced', 'resolved']), title: z.string(), text: z.string(), repo: z.string().nullable(), service: z.string().nullable(),
  dedupKey: z.string(), groupKey: z.string(), firstSeen: z.string(), lastSeen: z.string(), lastSent: z.string().nullable(), silencedBy: z.string().optional(), fields: z.record(z.string(), z.string()), owners: z.array(z.string()), channels: z.array(z.string()),
});
const deliveryOut = z.object({ id: z.number(), alertId: z.string().nullable(), groupKey: z.string(), channel: z.string(), kind: z.string(), attempts: z.number(), status: z.enum(['pending', 'delivered', 'dead']), lastStatus: z.number().nullable(), lastError: z.string().nullable(), updatedAt: z.string(), nextAt: z.string() });
const matchers = z.object({ rule: z.string().min(1).optional(), service: z.string().min(1).optional(), repo: z.string().min(1).optional(), severity: severity.optional(), dedupKey: z.string().min(1).optional() }).strict();
const silenceIn = z.object({ matchers, reason: z.string().min(1).max(1000), expiresAt: z.string() }).strict();
const silenceOut = z.object({ id: z.string(), matchers, reason: z.string(), author: z.string(), created: z.string(), expiresAt: z.string(), deletedAt: z.string().nullable(), active: z.boolean() });

const bad = (error: string) => ({ status: 400, body: { error } });

export const alertRoutes: ApiRoute[] = [
  {
    method: 'GET', path: '/api/v1/alerts/silences', scope: 'read', tags: ['alerts'], summary: 'Silences: active ones, or every one with ?all=true',
    query: z.object({ all: z.enum(['true', 'false']).optional() }), response: z.object({ items: z.array(silenceOut) }),
    handler: async (ctx) => ({ status: 200, body: { items: await listSilences(ctx.store, new Date(), ctx.query.get('all') === 'true') } }),
  },
  {
    method: 'POST', path: '/api/v1/alerts/silences', scope: 'write', tags: ['alerts'], summary: 'Silence the alerts a matcher selects until expiresAt (an audit event)',
    body: silenceIn, response: silenceOut,
    async handler(ctx) {
      const b = ctx.body as z.infer<typeof silenceIn>;
      try {
        const s = await createSilence(ctx.store, { matchers: b.matchers, reason: b.reason, author: ctx.login ?? 'unknown', expiresAt: b.expiresAt }, new Date());
        await ctx.audit('alert_silenced', { silence: s.id, matchers: s.matchers, reason: s.reason, expiresAt: s.expiresAt, login: ctx.login ?? null });
        return { status: 201, body: s };
      } catch (e) {
        if (e instanceof SilenceError) return bad(e.message);
        throw e;
      }
    },
  },
  {
    method: 'DELETE', path: '/api/v1/alerts/silences/{id}', scope: 'write', tags: ['alerts'], summary: 'End a silence now (an audit event)',
    async handler(ctx) {
      const id = ctx.params.id ?? '';
      if (!(await deleteSilence(ctx.store, id, new Date()))) return { status: 404, body: { error: (await getSilence(ctx.store, id, new Date())) ? `silence ${id} has already ended` : `no silence ${id}` } };
      await ctx.audit('alert_unsilenced', { silence: id, login: ctx.login ?? null });
      return { status: 204 };
    },
  },
  {
    method: 'GET', path: '/api/v1/alerts/deliveries', scope: 'read', tags: ['alerts'], summary: 'The delivery log: each message to each channel, its attempts and outcome, newest first',
    query: z.object({ status: z.enum(['pending', 'delivered', 'dead']).optional(), channel: z.string().optional(), limit: z.string().regex(/^\d{1,4}$/).optional() }), response: z.object({ items: z.array(deliveryOut) }),
    async handler(ctx) {
      const status = ctx.query.get('status') ?? undefined;
      if (status && !['pending', 'delivered', 'dead'].includes(status)) return bad('status is pending, delivered or dead');
      const limit = ctx.query.get('limit');
      if (limit && !/^\d{1,4}$/.test(limit)) return bad('limit is a number up to 9999');
      return { status: 200, body: { items: await listDeliveries(ctx.store, { ...(status ? { status } : {}), ...(ctx.query.get('channel') ? { channel: ctx.query.get('channel')! } : {}), limit: limit ? Number(limit) : 200 }) } };
    },
  },
  {
    method: 'GET', path: '/api/v1/alerts', scope: 'read', tags: ['alerts'], summary: 'Alerts by state: active (firing, not silenced), silenced (or inhibited), resolved',
    query: z.object({ state: z.enum(['active', 'silenced', 'resolved']).optional() }), response: z.object({ items: z.array(alertOut) }),
    async handler(ctx) {
      const state = ctx.query.get('state') ?? undefined;
      if (state && !['active', 'silenced', 'resolved'].includes(state)) return bad('state is active, silenced or resolved');
      return { status: 200, body: { items: await listAlerts(ctx.store, new Date(), state as AlertState | undefined) } };
    },
  },
  {
    method: 'GET', path: '/api/v1/alerts/{id}', scope: 'read', tags: ['alerts'], summary: 'One alert with its deliveries', response: alertOut.extend({ deliveries: z.array(deliveryOut) }),
    async handler(ctx) {
      const a = await getAlert(ctx.store, ctx.params.id ?? '', new Date());
      return a ? { status: 200, body: a } : { status: 404, body: { error: `no alert ${ctx.params.id}` } };
    },
  },
];

/** Each registered repository's `alerts:` section; one that does not load is logged (once per distinct error) and skipped. */
export async function repoAlertConfigs(repos: RegisteredRepo[], log: Logger, seen: Set<string> = new Set()): Promise<AlertsRepo[]> {
  const { loadConfig } = await import('../config/load.ts');
  const out: AlertsRepo[] = [];
  for (const r of repos) {
    try {
      const { config } = await loadConfig(r.root);
      out.push({ name: r.name, root: r.root, branch: r.branch, config: config.alerts as AlertsConfig });
    } catch (e) {
      const msg = `${r.name}: ${e instanceof Error ? e.message : String(e)}`;
      if (!seen.has(msg)) log.error('alerts: the repository config does not load; its alerts are not evaluated', { repo: r.name, error: msg });
      seen.add(msg);
    }
  }
  return out;
}

/** What changed in the store since the last evaluation: any new job run end, snapshot, build, health sample or deploy. */
async function watermark(store: Store): Promise<string> {
  const r = await store.query<Record<string, unknown>>(
    `SELECT (SELECT max(id) FROM job_runs WHERE ended IS NOT NULL) AS j, (SELECT count(*) FROM job_runs WHERE ended IS NOT NULL) AS jn, (SELECT max(id) FROM snapshots) AS s, (SELECT max(seq) FROM builds) AS b,
       (SELECT max(seq) FROM coverage) AS c, (SELECT max(seq) FROM health_samples) AS h, (SELECT max(finished) FROM deploys) AS d, (SELECT max(seq) FROM audit_log) AS a, (SELECT count(*) FROM alert_silences) AS si`,
  );
  return JSON.stringify(r[0]);
}


export function startAlerts(ctx: FeatureContext): () => Promise<void> {
  const tickMs = Number(ctx.env.DEPWARDEN_ALERTS_TICK_MS ?? 2000);
  const fullMs = Number(ctx.env.DEPWARDEN_ALERTS_EVALUATE_MS ?? 60_000);
  const defaultLog = { kind: 'log' as const, file: path.join(ctx.dataDir, 'alerts.log') };
  const seenErrors = new Set<string>();
  let mark = '';
  let lastFull = 0;
  let running: Promise<void> | undefined;
  let stopped = false;
  const round = async (): Promise<void> => {
    try {
      const m = await watermark(ctx.store);
      if (m !== mark || Date.now() - lastFull >= fullMs) {
        const repos = await repoAlertConfigs(await ctx.repos(), ctx.log, seenErrors);
        const r = await evaluateAlerts({ store: ctx.store, repos, now: new Date(), defaultLog });
        mark = m;
        lastFull = Date.now();
        if (r.messages || r.resolved) ctx.log.info('alerts evaluated', { ...r });
      }
      const d = await deliverDue({ store: ctx.store, env: ctx.env, stderr: (s) => ctx.log.warn(s.trim()) });
      if (d.attempted) ctx.log.info('alerts delivered', { ...d });
    } catch (e) {
      if (!stopped) ctx.log.error('alerts round failed', { error: e instanceof Error ? e.message : String(e) });
    }
  };
  const timer = setInterval(() => {
    if (running || stopped || ctx.signal.aborted) return;
    running = round().finally(() => (running = undefined));
  }, tickMs);
  timer.unref();
  return async () => {
    stopped = true;
    clearInterval(timer);
    await running;
  };
}

export const alertsFeature: ServeFeature = {
  name: 'alerts',
  routes: alertRoutes,
  start: async (ctx) => {
    // A broken alerts config is said at start, not at 3 a.m.
    await repoAlertConfigs(await ctx.repos(), ctx.log);
    return startAlerts(ctx);
  },
};
