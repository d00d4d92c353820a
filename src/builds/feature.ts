import { Gauge } from 'prom-client';
import { z } from 'zod';
import type { ApiResponse, ApiRoute, MetricsRegistry, RequestContext, ServeFeature } from '../serve/feature.ts';
import type { Store } from '../store/store.ts';
import { repoRead } from '../serve/repo-route.ts';
import { decodeCursor, pageLimit } from '../util/cursor.ts';
import { reportedBuildSchema, reportedCoverageSchema, storeReportedBuild, storeReportedCoverage } from './reported.ts';
import { servicesOfCheckout } from './services.ts';
import { latestBuilds, latestCompletedBuilds, latestCoverage, listBuilds, listCoverage } from './store.ts';
import { handleWebhook, MAX_WEBHOOK_BYTES, type WebhookOptions } from './webhook.ts';

/** CI build status and test coverage inside `depwarden serve` (docs/builds.md). */

const pageQuery = z.object({ cursor: z.string().optional(), limit: z.string().regex(/^\d+$/).optional() });
const buildQuery = pageQuery.extend({ branch: z.string().optional(), commit: z.string().optional(), service: z.string().optional(), workflow: z.string().optional() });
const coverageQuery = pageQuery.extend({ branch: z.string().optional(), commit: z.string().optional(), service: z.string().optional() });

const buildOut = z.object({
  repo: z.string(),
  service: z.string(),
  commit: z.string(),
  branch: z.string().nullable(),
  workflow: z.string(),
  source: z.string(),
  status: z.string(),
  url: z.string().nullable(),
  updated: z.string(),
  recorded: z.string(),
  tests: z.object({ run: z.number(), failed: z.number(), skipped: z.number(), failing: z.array(z.string()) }).optional(),
});
const coverageOut = z.object({
  repo: z.string(),
  service: z.string(),
  commit: z.string(),
  branch: z.string().nullable(),
  format: z.string(),
  linesCovered: z.number(),
  linesTotal: z.number(),
  branchesCovered: z.number().nullable(),
  branchesTotal: z.number().nullable(),
  lineRate: z.number().nullable(),
  branchRate: z.number().nullable(),
  baseBranch: z.string(),
  baseCommit: z.string().nullable(),
  lineDelta: z.number().nullable(),
  branchDelta: z.number().nullable(),
  recorded: z.string(),
});
const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), nextCursor: z.string().nullable() });

function optional(q: URLSearchParams, key: string): string | undefined {
  return q.get(key) ?? undefined;
}

/** A write of a report: the repository must be registered; the write is an audit-log event. */
function reportWrite(kind: string, store: (ctx: RequestContext) => Promise<unknown>): (ctx: RequestContext) => Promise<ApiResponse> {
  return async (ctx) => {
    const repo = (ctx.body as { repo?: string }).repo ?? '';
    if (!(await ctx.repos()).some((r) => r.name === repo)) return { status: 404, body: { error: `no registered repository ${repo}` } };
    const stored = await store(ctx);
    const b = ctx.body as { commit: string; service?: string; status?: string };
    await ctx.audit(kind, { repo, commit: b.commit, service: b.service ?? '', ...(b.status ? { status: b.status } : {}), login: ctx.login ?? null });
    return { status: 201, body: stored ?? { ok: true } };
  };
}

export interface BuildsFeatureOptions {
  env?: NodeJS.ProcessEnv;
  maxWebhookBytes?: number;
  now?: () => string;
  servicesOf?: WebhookOptions['servicesOf'];
}

export function createBuildsFeature(o: BuildsFeatureOptions = {}): ServeFeature {
  const now = o.now ?? (() => new Date().toISOString());
  const webhook: WebhookOptions = { env: o.env ?? process.env, maxBytes: o.maxWebhookBytes ?? MAX_WEBHOOK_BYTES, now, servicesOf: o.servicesOf ?? ((r) => servicesOfCheckout(r.root)) };
  const routes: ApiRoute[] = [
    { method: 'POST', path: '/api/v1/webhooks/github', scope: 'public', rawBody: true, tags: ['builds'], summary: 'GitHub webhook: workflow_run, check_suite, check_run, status, pull_request (signed with the repository\'s secret)', handler: (ctx) => handleWebhook(ctx, webhook) },
    { method: 'POST', path: '/api/v1/builds', scope: 'write', tags: ['builds'], summary: 'Report a build (depwarden report build)', body: reportedBuildSchema, handler: reportWrite('build.reported', (ctx) => storeReportedBuild(ctx.store, ctx.body, now())) },
    { method: 'POST', path: '/api/v1/coverage', scope: 'write', tags: ['builds'], summary: 'Report coverage (depwarden report coverage)', body: reportedCoverageSchema, response: coverageOut, handler: reportWrite('coverage.reported', (ctx) => storeReportedCoverage(ctx.store, ctx.body, now())) },
    {
      method: 'GET', path: '/api/v1/repos/{name}/builds', scope: 'read', tags: ['builds'], summary: 'Builds of a repository, most recently changed first', query: buildQuery, response: pageOf(buildOut),
      handler: repoRead((ctx, repo) => listBuilds(ctx.store.query, { repo, branch: optional(ctx.query, 'branch'), commit: optional(ctx.query, 'commit'), service: optional(ctx.query, 'service'), workflow: optional(ctx.query, 'workflow') }, pageLimit(ctx.query.get('limit')), decodeCursor(ctx.query.get('cursor')))),
    },
    {
      method: 'GET', path: '/api/v1/repos/{name}/builds/latest', scope: 'read', tags: ['builds'], summary: 'The latest build of each branch, workflow and service', query: z.object({ branch: z.string().optional() }), response: z.object({ items: z.array(buildOut) }),
      handler: repoRead(async (ctx, repo) => ({ items: await latestBuilds(ctx.store.query, { repo, ...(ctx.query.get('branch') ? { branch: ctx.query.get('branch')! } : {}) }) })),
    },
    {
      method: 'GET', path: '/api/v1/repos/{name}/coverage', scope: 'read', tags: ['builds'], summary: 'Coverage reports of a repository, newest first', query: coverageQuery, response: pageOf(coverageOut),
      handler: repoRead((ctx, repo) => listCoverage(ctx.store.query, { repo, service: optional(ctx.query, 'service'), branch: optional(ctx.query, 'branch'), commit: optional(ctx.query, 'commit') }, pageLimit(ctx.query.get('limit')), decodeCursor(ctx.query.get('cursor')))),
    },
    {
      method: 'GET', path: '/api/v1/repos/{name}/coverage/latest', scope: 'read', tags: ['builds'], summary: 'The latest coverage of each service and branch', query: z.object({ service: z.string().optional() }), response: z.object({ items: z.array(coverageOut) }),
      handler: repoRead(async (ctx, repo) => ({ items: await latestCoverage(ctx.store.query, { repo, ...(ctx.query.get('service') ? { service: ctx.query.get('service')! } : {}) }) })),
    },
  ];
  return { name: 'builds', routes, metrics: buildMetrics };
}

/** Gauges read from the store at scrape time. */
export function buildMetrics(registry: MetricsRegistry, store: Store): void {
  registry.registerMetric(
    new Gauge({
      name: 'depwarden_build_passing',
      help: 'Latest completed build of each repository, branch, workflow and service: 1 success, 0 otherwise (failure, cancelled, timed out, ...).',
      labelNames: ['repo', 'branch', 'workflow', 'service'],
      registers: [],
      async collect() {
        this.reset();
        for (const b of await latestCompletedBuilds(store.query)) this.set({ repo: b.repo, branch: b.branch ?? '', workflow: b.workflow, service: b.service }, b.status === 'success' || b.status === 'skipped' || b.status === 'neutral' ? 1 : 0);
      },
    }),
  );
  for (const [name, help, pick] of [
    ['depwarden_coverage_line_ratio', 'Line coverage (0..1) of the latest report of each repository, service and branch.', (c: Awaited<ReturnType<typeof latestCoverage>>[number]) => c.lineRate],
    ['depwarden_coverage_branch_ratio', 'Branch coverage (0..1) of the latest report of each repository, service and branch (absent without branch data).', (c: Awaited<ReturnType<typeof latestCoverage>>[number]) => c.branchRate],
  ] as const) {
    registry.registerMetric(
      new Gauge({
        name,
        help,
        labelNames: ['repo', 'service', 'branch'],
        registers: [],
        async collect() {
          this.reset();
          for (const c of await latestCoverage(store.query, {})) {
            const v = pick(c);
            if (v !== null) this.set({ repo: c.repo, service: c.service, branch: c.branch ?? '' }, v);
          }
        },
      }),
    );
  }
}

export const buildsFeature: ServeFeature = createBuildsFeature();
