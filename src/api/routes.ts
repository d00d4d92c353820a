import { z } from 'zod';
import { approvalsOf, listChanges } from '../governance/changes.ts';
import { readLog, verifyLog } from '../governance/audit-log.ts';
import { fleetSnapshots, getSnapshot, latestSnapshots, series, snapshotDetail, SNAPSHOT_KINDS, type Snapshot, type SnapshotKind } from '../history/snapshots.ts';
import { QUEUES } from '../jobs/queue.ts';
import { enqueueRepoJob, REPO_JOB_KINDS, type RepoJobKind } from '../jobs/runner.ts';
import type { ApiRoute, RequestContext } from '../serve/feature.ts';
import { getRepo, insertRepo, listRepos, normaliseRepo, removeRepo, RepoInputError, type RepoRecord } from '../serve/repos.ts';
import { createToken, listTokens, parseExpiry, revokeToken, TOKEN_SCOPES } from './tokens.ts';
import { HttpProblem, pageOf, pageQuery, paginate } from './router.ts';
import type { PgBoss } from 'pg-boss';

/** The server's own routes: health, the repositories and their history, governance reads, jobs and tokens. */
export interface RouteDeps {
  dataDir: string;
  boss(): PgBoss | undefined;
  ready(): Promise<{ ok: boolean; checks: Record<string, string> }>;
  openapi(): unknown;
  /** prom-client's text of the registry. */
  metrics(): Promise<{ contentType: string; body: string }>;
}

const repoOut = z.object({ name: z.string(), source: z.enum(['path', 'clone']), root: z.string(), remote: z.string().nullable(), branch: z.string().nullable(), added: z.string(), lastCommit: z.string().nullable() });
const snapshotOut = z.object({ id: z.number(), repo: z.string(), service: z.string(), commit: z.string(), kind: z.enum(SNAPSHOT_KINDS), taken: z.string(), runId: z.number().nullable(), summary: z.record(z.string(), z.unknown()) });
const findingOut = z.object({ ruleId: z.string(), severity: z.string(), message: z.string(), file: z.string(), line: z.number(), column: z.number(), service: z.string().optional(), subject: z.string().optional(), hint: z.string().optional() });
const vulnOut = z.object({ id: z.string(), ids: z.array(z.string()), ecosystem: z.string(), package: z.string(), version: z.string(), severity: z.string(), score: z.number().optional(), fixedIn: z.string().optional(), summary: z.string().optional(), triage: z.unknown(), service: z.string() });
const jobRunOut = z.object({ id: z.number(), kind: z.string(), repo: z.string().nullable(), commit: z.string().nullable(), attempt: z.number(), worker: z.string(), started: z.string(), ended: z.string().nullable(), outcome: z.string(), error: z.string().nullable() });
const SEVERITY = z.enum(['info', 'low', 'medium', 'high', 'critical']);

const publicRepo = (r: RepoRecord): z.infer<typeof repoOut> => ({ name: r.name, source: r.source, root: r.root, remote: r.remote, branch: r.branch, added: r.added, lastCommit: r.lastCommit });

async function repoOr404(ctx: RequestContext, dataDir: string): Promise<RepoRecord> {
  const r = await getRepo(ctx.store, dataDir, ctx.params.name!);
  if (!r) throw new HttpProblem(404, `no repository named ${ctx.params.name}`);
  return r;
}

/** The newest snapshot of a repository for one kind and service ('' by default: the whole repository). */
async function current(ctx: RequestContext, repo: string, kind: SnapshotKind): Promise<Snapshot> {
  const service = ctx.query.get('service') ?? '';
  const s = (await latestSnapshots(ctx.store, repo, kind)).find((x) => x.service === service);
  if (!s) throw new HttpProblem(404, service ? `no ${kind} snapshot of service ${service} in ${repo}` : `no ${kind} snapshot of ${repo} yet (its first job has not run; see /api/v1/jobs?repo=${repo})`);
  return s;
}

/** The version of everything snapshot-based reads show: the newest snapshot and the registered repositories. */
const snapshotVersion = async (ctx: RequestContext): Promise<string> => {
  const r = (await ctx.store.query<{ s: string | null; r: string; l: string | null }>('SELECT (SELECT max(id) FROM snapshots)::text AS s, (SELECT count(*) FROM repos)::text AS r, (SELECT max(last_commit) FROM repos) AS l'))[0]!;
  return `${r.s}:${r.r}:${r.l}`;
};

const serviceQuery = z.object({ service: z.string().max(200).optional().describe('a service of the repository (default: the whole repository)') });

export function coreRoutes(d: RouteDeps): ApiRoute[] {
  const items = <T>(page: { items: T[]; next: string | null }, extra: Record<string, unknown> = {}) => ({ status: 200, body: { ...extra, ...page } });
  return [
    { method: 'GET', path: '/healthz', scope: 'public', summary: 'Liveness: the process answers', tags: ['health'], response: z.object({ status: z.literal('ok') }), handler: async () => ({ status: 200, body: { status: 'ok' } }) },
    {
      method: 'GET',
      path: '/readyz',
      scope: 'public',
      summary: 'Readiness: the store and the job queue are reachable',
      tags: ['health'],
      response: z.object({ status: z.enum(['ready', 'unavailable']), checks: z.record(z.string(), z.string()) }),
      handler: async () => {
        const r = await d.ready();
        return { status: r.ok ? 200 : 503, body: { status: r.ok ? 'ready' : 'unavailable', checks: r.checks } };
      },
    },
    // Its scope becomes public with `metrics.public` (the router's option).
    {
      method: 'GET',
      path: '/metrics',
      scope: 'read',
      summary: 'Prometheus metrics (public when metrics.public is set)',
      tags: ['metrics'],
      handler: async () => {
        const m = await d.metrics();
        return { status: 200, body: m.body, contentType: m.contentType };
      },
    },
    { method: 'GET', path: '/api/v1/openapi.json', scope: 'public', summary: 'This document', tags: ['meta'], handler: async () => ({ status: 200, body: d.openapi() }) },
    {
      method: 'GET',
      path: '/api/v1/whoami',
      scope: 'read',
      summary: "The calling token's login and the governance roles it holds in each registered repository's policy",
      tags: ['meta'],
      handler: async (ctx) => {
        const { loadConfig } = await import('../config/load.ts');
        const { rolesOf } = await import('../governance/changes.ts');
        const roles: Record<string, string[] | { error: string }> = {};
        for (const r of await listRepos(ctx.store, d.dataDir)) {
          try {
            roles[r.name] = rolesOf((await loadConfig(r.root)).config, ctx.login!);
          } catch (e) {
            roles[r.name] = { error: e instanceof Error ? e.message : String(e) };
          }
        }
        return { status: 200, body: { login: ctx.login, roles } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/repos',
      scope: 'read',
      summary: 'Registered repositories',
      tags: ['repos'],
      query: pageQuery,
      response: pageOf(repoOut),
      handler: async (ctx) => items(paginate((await listRepos(ctx.store, d.dataDir)).map(publicRepo), (r) => r.name, ctx.query)),
    },
    {
      method: 'POST',
      path: '/api/v1/repos',
      scope: 'admin',
      summary: 'Register a repository (a path on the server, or a git URL cloned into its data dir)',
      tags: ['repos'],
      body: z.object({ spec: z.string().min(1).max(2000).describe('absolute path or git URL'), name: z.string().max(100).optional(), branch: z.string().max(200).optional(), webhookSecretEnv: z.string().max(100).optional() }).strict(),
      response: z.object({ repo: repoOut, notes: z.array(z.string()) }),
      handler: async (ctx) => {
        const b = ctx.body as { spec: string; name?: string; branch?: string; webhookSecretEnv?: string };
        let n;
        try {
          if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(b.spec) && !b.spec.startsWith('/') && !/^[^/\s@]+@[^/\s:]+:/.test(b.spec)) throw new RepoInputError('a path must be absolute (the server does not know the caller\'s working directory)');
          n = normaliseRepo(b, '/');
        } catch (e) {
          if (e instanceof RepoInputError) throw new HttpProblem(400, e.message);
          throw e;
        }
        if (!(await insertRepo(ctx.store, n))) throw new HttpProblem(409, `a repository named ${n.name} is already registered`);
        await ctx.audit('repo_added', { name: n.name, source: n.path ? 'path' : 'clone', remote: n.remote });
        d.boss()?.send('dw-poll', {}).catch(() => {});
        return { status: 201, body: { repo: publicRepo((await getRepo(ctx.store, d.dataDir, n.name))!), notes: n.notes } };
      },
    },
    { method: 'GET', path: '/api/v1/repos/{name}', scope: 'read', summary: 'One repository', tags: ['repos'], response: repoOut, handler: async (ctx) => ({ status: 200, body: publicRepo(await repoOr404(ctx, d.dataDir)) }) },
    {
      method: 'DELETE',
      path: '/api/v1/repos/{name}',
      scope: 'admin',
      summary: 'Unregister a repository (its history stays)',
      tags: ['repos'],
      handler: async (ctx) => {
        if (!(await removeRepo(ctx.store, d.dataDir, ctx.params.name!))) throw new HttpProblem(404, `no repository named ${ctx.params.name}`);
        await ctx.audit('repo_removed', { name: ctx.params.name });
        return { status: 204 };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/repos/{name}/jobs',
      scope: 'write',
      summary: 'Run jobs of a repository now (at its last polled commit)',
      tags: ['jobs'],
      body: z.object({ kinds: z.array(z.enum([...REPO_JOB_KINDS, 'update'])).min(1).default([...REPO_JOB_KINDS]).describe('jobs to run; `update` is the weekly update run, now') }).strict(),
      handler: async (ctx) => {
        const repo = await repoOr404(ctx, d.dataDir);
        const boss = d.boss();
        if (!boss) throw new HttpProblem(503, 'the job queue is not running in this process');
        const kinds = (ctx.body as { kinds: (RepoJobKind | 'update')[] }).kinds;
        const slot = `api:${Date.now()}`;
        const ids = [];
        for (const kind of kinds) ids.push(kind === 'update' ? await boss.send(QUEUES.update, { repo: repo.name }) : await enqueueRepoJob(boss, { repo: repo.name, kind, commit: repo.lastCommit ?? 'unknown', reason: 'api' }, slot));
        await ctx.audit('jobs_requested', { repo: repo.name, kinds });
        return { status: 201, body: { enqueued: ids.filter(Boolean).length } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/repos/{name}/services',
      scope: 'read',
      summary: "The repository's services with their newest numbers (findings, vulnerabilities, outdated, components, compliance)",
      tags: ['repos'],
      cacheVersion: snapshotVersion,
      handler: async (ctx) => {
        const repo = await repoOr404(ctx, d.dataDir);
        const by = new Map<string, Record<string, unknown>>();
        for (const kind of SNAPSHOT_KINDS) for (const s of await latestSnapshots(ctx.store, repo.name, kind)) if (s.service) (by.get(s.service) ?? by.set(s.service, { name: s.service }).get(s.service)!)[kind] = { commit: s.commit, taken: s.taken, ...s.summary };
        return { status: 200, body: { items: [...by.values()].sort((a, b) => String(a.name).localeCompare(String(b.name))) } };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/repos/{name}/findings',
      scope: 'read',
      summary: 'Findings of the newest check snapshot',
      tags: ['findings'],
      query: serviceQuery.extend({ severity: SEVERITY.optional(), rule: z.string().max(20).optional() }).extend(pageQuery.shape),
      response: pageOf(findingOut).extend({ snapshot: snapshotOut }),
      cacheVersion: snapshotVersion,
      handler: async (ctx) => {
        const repo = await repoOr404(ctx, d.dataDir);
        const s = await current(ctx, repo.name, 'check');
        const all = ((await snapshotDetail<z.infer<typeof findingOut>[]>(ctx.store, s.id)) ?? []).filter((f) => (!ctx.query.get('severity') || f.severity === ctx.query.get('severity')) && (!ctx.query.get('rule') || f.ruleId === ctx.query.get('rule')));
        const keyed = all.map((f, i) => ({ f, k: String(i).padStart(9, '0') }));
        const page = paginate(keyed, (x) => x.k, ctx.query);
        return items({ items: page.items.map((x) => x.f), next: page.next }, { snapshot: s });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/repos/{name}/vulnerabilities',
      scope: 'read',
      summary: 'Vulnerabilities of the newest audit snapshot, with their triage (.depwarden/vex.yaml)',
      tags: ['vulnerabilities'],
      query: serviceQuery.extend({ severity: SEVERITY.optional() }).extend(pageQuery.shape),
      response: pageOf(vulnOut).extend({ snapshot: snapshotOut }),
      cacheVersion: snapshotVersion,
      handler: async (ctx) => {
        const repo = await repoOr404(ctx, d.dataDir);
        const s = await current(ctx, repo.name, 'audit');
        const all = ((await snapshotDetail<z.infer<typeof vulnOut>[]>(ctx.store, s.id)) ?? []).filter((v) => !ctx.query.get('severity') || v.severity === ctx.query.get('severity'));
        return items(paginate(all, (v) => `${v.service}\0${v.ecosystem}\0${v.package}\0${v.version}\0${v.id}`, ctx.query), { snapshot: s });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/repos/{name}/outdated',
      scope: 'read',
      summary: 'Outdated dependencies of the newest outdated snapshot',
      tags: ['outdated'],
      query: serviceQuery.extend(pageQuery.shape),
      cacheVersion: snapshotVersion,
      handler: async (ctx) => {
        const repo = await repoOr404(ctx, d.dataDir);
        const s = await current(ctx, repo.name, 'outdated');
        const all = (await snapshotDetail<{ service: string; file: string; name: string }[]>(ctx.store, s.id)) ?? [];
        return items(paginate(all, (e) => `${e.service}\0${e.file}\0${e.name}`, ctx.query), { snapshot: s });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/repos/{name}/dependencies',
      scope: 'read',
      summary: 'Components of the newest SBOM snapshot (name, version, purl, licence)',
      tags: ['dependencies'],
      query: serviceQuery.extend(pageQuery.shape),
      cacheVersion: snapshotVersion,
      handler: async (ctx) => {
        const repo = await repoOr404(ctx, d.dataDir);
        const s = await current(ctx, repo.name, 'sbom');
        const doc = JSON.parse((await snapshotDetail<{ 'cyclonedx-json': string }>(ctx.store, s.id))!['cyclonedx-json']) as { components?: { name: string; version?: string; purl?: string; type?: string; group?: string; licenses?: { license?: { id?: string; name?: string }; expression?: string }[] }[] };
        const licence = (ls: { license?: { id?: string; name?: string }; expression?: string }[] | undefined): string | null => (ls ?? []).map((l) => l.expression ?? l.license?.id ?? l.license?.name).filter(Boolean).join(' AND ') || null;
        const comps = (doc.components ?? []).map((c) => ({ name: c.group ? `${c.group}/${c.name}` : c.name, version: c.version ?? null, purl: c.purl ?? null, type: c.type ?? null, license: licence(c.licenses) }));
        comps.sort((a, b) => (a.purl ?? a.name).localeCompare(b.purl ?? b.name));
        return items(paginate(comps, (c) => `${c.purl ?? c.name}\0${c.version}`, ctx.query), { snapshot: s });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/repos/{name}/history',
      scope: 'read',
      summary: 'Series: every snapshot of one kind (summaries only), oldest first',
      tags: ['history'],
      query: z.object({ kind: z.enum(SNAPSHOT_KINDS), service: z.string().max(200).optional() }).extend(pageQuery.shape),
      response: pageOf(snapshotOut),
      cacheVersion: snapshotVersion,
      handler: async (ctx) => {
        const repo = await repoOr404(ctx, d.dataDir);
        const limit = Number(ctx.query.get('limit') ?? 100);
        const cursor = ctx.query.get('cursor');
        const after = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) || 0 : 0;
        const rows = await series(ctx.store, repo.name, ctx.query.get('kind') as SnapshotKind, ctx.query.get('service') ?? undefined, after, limit + 1);
        const page = rows.slice(0, limit);
        return items({ items: page, next: rows.length > limit ? Buffer.from(String(page.at(-1)!.id)).toString('base64url') : null });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/snapshots/{id}/sbom',
      scope: 'read',
      summary: 'The SBOM document of a snapshot (CycloneDX 1.6 JSON or SPDX 2.3 JSON)',
      tags: ['sbom'],
      query: z.object({ format: z.enum(['cyclonedx-json', 'spdx-json']).optional().describe('default cyclonedx-json') }),
      handler: async (ctx) => {
        const id = Number(ctx.params.id);
        const s = Number.isSafeInteger(id) ? await getSnapshot(ctx.store, id) : undefined;
        if (!s || s.kind !== 'sbom') throw new HttpProblem(404, `no SBOM snapshot ${ctx.params.id}`);
        const format = (ctx.query.get('format') ?? 'cyclonedx-json') as 'cyclonedx-json' | 'spdx-json';
        const detail = (await snapshotDetail<Record<string, string>>(ctx.store, id))!;
        return { status: 200, body: detail[format], contentType: format === 'spdx-json' ? 'application/spdx+json' : 'application/vnd.cyclonedx+json; version=1.6' };
      },
    },
    {
      method: 'GET',
      path: '/api/v1/services',
      scope: 'read',
      summary: 'The fleet: every repository and service with its newest numbers',
      tags: ['repos'],
      query: pageQuery,
      cacheVersion: snapshotVersion,
      handler: async (ctx) => {
        const by = new Map<string, Record<string, unknown>>();
        for (const kind of SNAPSHOT_KINDS) {
          for (const s of await fleetSnapshots(ctx.store, kind)) {
            const k = `${s.repo}\0${s.service}`;
            (by.get(k) ?? by.set(k, { repo: s.repo, service: s.service }).get(k)!)[kind] = { commit: s.commit, taken: s.taken, ...s.summary };
          }
        }
        const page = paginate([...by.entries()].sort(([a], [b]) => (a < b ? -1 : 1)), ([k]) => k, ctx.query);
        return items({ items: page.items.map(([, v]) => v), next: page.next });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/changes',
      scope: 'read',
      summary: 'Update changes with their approvals and state (the governance store of this server)',
      tags: ['governance'],
      query: pageQuery,
      handler: async (ctx) => {
        const changes = await listChanges(ctx.store);
        const page = paginate(changes, (c) => `${c.created}\0${c.id}`, ctx.query);
        const out = [];
        for (const c of page.items) out.push({ ...c, approvals: (await approvalsOf(ctx.store, c.id)).map((a) => ({ approver: a.approver, roles: a.roles, time: a.time, signature: a.signature })) });
        return items({ items: out, next: page.next });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/audit-log',
      scope: 'read',
      summary: 'The hash-chained audit log and whether its chain verifies',
      tags: ['governance'],
      query: pageQuery,
      handler: async (ctx) => {
        const entries = await readLog(ctx.store);
        const tampering = verifyLog(entries);
        const page = paginate(entries, (e) => String(e.seq).padStart(12, '0'), ctx.query);
        return items(page, { verification: { ok: tampering.length === 0, entries: entries.length, problems: tampering } });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/jobs',
      scope: 'read',
      summary: 'Job runs, newest first',
      tags: ['jobs'],
      query: z.object({ repo: z.string().max(100).optional(), kind: z.string().max(40).optional(), outcome: z.enum(['running', 'succeeded', 'failed', 'interrupted']).optional() }).extend(pageQuery.shape),
      response: pageOf(jobRunOut),
      handler: async (ctx) => {
        const limit = Number(ctx.query.get('limit') ?? 100);
        const cursor = ctx.query.get('cursor');
        const before = cursor ? Number(Buffer.from(cursor, 'base64url').toString('utf8')) || Number.MAX_SAFE_INTEGER : Number.MAX_SAFE_INTEGER;
        const rows = await ctx.store.query<Record<string, unknown>>(
          'SELECT id, kind, repo, commit, attempt, worker, started, ended, outcome, error FROM job_runs WHERE id < $1 AND ($2::text IS NULL OR repo = $2) AND ($3::text IS NULL OR kind = $3) AND ($4::text IS NULL OR outcome = $4) ORDER BY id DESC LIMIT $5',
          [before, ctx.query.get('repo'), ctx.query.get('kind'), ctx.query.get('outcome'), limit + 1],
        );
        const page = rows.slice(0, limit).map((r) => ({ ...r, id: Number(r.id), attempt: Number(r.attempt), started: new Date(r.started as string).toISOString(), ended: r.ended ? new Date(r.ended as string).toISOString() : null }));
        return items({ items: page, next: rows.length > limit ? Buffer.from(String(page.at(-1)!.id)).toString('base64url') : null });
      },
    },
    {
      method: 'GET',
      path: '/api/v1/schedules',
      scope: 'read',
      summary: "The cron schedules: daily snapshots and advisory sync, and each repository's update run (its updates.schedule and timezone)",
      tags: ['jobs'],
      response: z.object({ items: z.array(z.object({ queue: z.string(), key: z.string(), cron: z.string(), timezone: z.string() })) }),
      handler: async () => {
        const boss = d.boss();
        if (!boss) throw new HttpProblem(503, 'the job queue is not running in this process');
        const all = await boss.getSchedules();
        const items = all.map((x) => ({ queue: x.name, key: x.key, cron: x.cron, timezone: (x.options as { tz?: string } | undefined)?.tz ?? 'UTC' })).sort((a, b) => `${a.queue}\0${a.key}`.localeCompare(`${b.queue}\0${b.key}`));
        return { status: 200, body: { items } };
      },
    },
    {
      method: 'POST',
      path: '/api/v1/tokens',
      scope: 'admin',
      summary: 'Create an API token (the answer is the only time it is shown)',
      tags: ['tokens'],
      body: z.object({ login: z.string().min(1).max(100), scope: z.enum(TOKEN_SCOPES as ['read', 'write', 'admin']).default('read'), expires: z.string().max(20).default('90d').describe('90d, 12h, 30m or never') }).strict(),
      handler: async (ctx) => {
        const b = ctx.body as { login: string; scope: 'read' | 'write' | 'admin'; expires: string };
        let expires: Date | null;
        try {
          expires = parseExpiry(b.expires, new Date());
          const t = await createToken(ctx.store, b.login, b.scope, expires);
          await ctx.audit('token_created', { id: t.info.id, login: t.info.login, scope: t.info.scope, expires: t.info.expires });
          return { status: 201, body: { token: t.token, ...t.info } };
        } catch (e) {
          if (e instanceof RangeError) throw new HttpProblem(400, e.message);
          throw e;
        }
      },
    },
    { method: 'GET', path: '/api/v1/tokens', scope: 'admin', summary: 'API tokens (never their secrets)', tags: ['tokens'], handler: async (ctx) => ({ status: 200, body: { items: await listTokens(ctx.store) } }) },
    {
      method: 'DELETE',
      path: '/api/v1/tokens/{id}',
      scope: 'admin',
      summary: 'Revoke a token',
      tags: ['tokens'],
      handler: async (ctx) => {
        if (!(await revokeToken(ctx.store, ctx.params.id!))) throw new HttpProblem(404, `no active token ${ctx.params.id}`);
        await ctx.audit('token_revoked', { id: ctx.params.id });
        return { status: 204 };
      },
    },
  ];
}
