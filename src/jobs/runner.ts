import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { GitError } from '../publish/git.ts';
import type { Logger } from '../serve/feature.ts';
import type { ServeConfig } from '../serve/config.ts';
import { getRepo, listRepos, setLastCommit, syncCheckout, type RepoRecord, RepoInputError } from '../serve/repos.ts';
import type { Store } from '../store/store.ts';
import { previousSnapshot, recordSnapshots, type SnapshotInput, type SnapshotKind } from '../history/snapshots.ts';
import { redactSecrets } from '../util/redact.ts';
import { JobFailure, runAudit, runCheck, runConflicts, runOutdated, runSbom, type AnalysisEnv } from './analyses.ts';
import { QUEUES } from './queue.ts';

/**
 * The workers and the scheduler of one serve process. Every job run is a row of `job_runs` (start, end,
 * outcome, error, commit), written by the worker that ran it; an attempt whose worker died stays `running`
 * until its retry marks it `interrupted`.
 */

export interface JobEnv {
  store: Store;
  boss: PgBoss;
  cfg: ServeConfig;
  dataDir: string;
  env: NodeJS.ProcessEnv;
  log: Logger;
  advisoryDb: string;
  cacheDir: string;
  /** Observes every finished run (metrics). */
  observe?(kind: string, outcome: string, seconds: number): void;
}

export const REPO_JOB_KINDS = ['check', 'conflicts', 'audit', 'sbom', 'outdated'] as const;
export type RepoJobKind = (typeof REPO_JOB_KINDS)[number];

export interface RepoJobData {
  repo: string;
  kind: RepoJobKind;
  commit: string;
  reason: 'new-commit' | 'schedule' | 'api' | 'advisories';
}

const WORKER = `${hostname()}:${process.pid}`;

/** One checkout is touched by one job at a time in this process (git's own locks would fail the second). */
const repoLocks = new Map<string, Promise<unknown>>();
async function withRepo<T>(name: string, fn: () => Promise<T>): Promise<T> {
  const before = repoLocks.get(name) ?? Promise.resolve();
  const run = before.catch(() => {}).then(fn);
  repoLocks.set(name, run);
  try {
    return await run;
  } finally {
    if (repoLocks.get(name) === run) repoLocks.delete(name);
  }
}

async function beginRun(store: Store, kind: string, repo: string | null, jobId: string | null, attempt: number): Promise<number> {
  if (jobId) await store.query("UPDATE job_runs SET outcome = 'interrupted', ended = now(), error = 'the worker stopped before the job ended (its lease expired); retried' WHERE job_id = $1 AND outcome = 'running'", [jobId]);
  const r = await store.query<{ id: string | number }>('INSERT INTO job_runs (job_id, kind, repo, attempt, worker) VALUES ($1, $2, $3, $4, $5) RETURNING id', [jobId, kind, repo, attempt, WORKER]);
  return Number(r[0]!.id);
}

async function endRun(q: Store['query'], id: number, outcome: 'succeeded' | 'failed', fields: { commit?: string; error?: string; result?: unknown }): Promise<void> {
  await q('UPDATE job_runs SET ended = now(), outcome = $2, commit = COALESCE($3, commit), error = $4, result = $5 WHERE id = $1', [id, outcome, fields.commit ?? null, fields.error ? redactSecrets(fields.error).slice(0, 2000) : null, fields.result === undefined ? null : JSON.stringify(fields.result)]);
}

const message = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** A failure that another attempt cannot fix (bad input, a missing database): recorded, not retried. */
const permanent = (e: unknown): boolean => e instanceof JobFailure || e instanceof RepoInputError || (e instanceof GitError && !/unable to access|could not read from remote|timed out|Connection/i.test(e.message));

/** Tests of leases and draining hold every job this long (never set in production). */
const holdMs = (env: NodeJS.ProcessEnv): number => Number(env.DEPWARDEN_SERVE_JOB_HOLD_MS ?? 0);

async function timed<T>(je: JobEnv, kind: string, fn: () => Promise<{ outcome: 'succeeded' | 'failed'; value?: T }>): Promise<T | undefined> {
  const t0 = performance.now();
  let outcome = 'failed';
  try {
    const r = await fn();
    outcome = r.outcome;
    return r.value;
  } finally {
    je.observe?.(kind, outcome, (performance.now() - t0) / 1000);
  }
}

async function analyse(je: JobEnv, repo: RepoRecord, kind: RepoJobKind, commit: string, q: Store['query']): Promise<SnapshotInput[]> {
  const ae: AnalysisEnv = {
    env: je.env,
    now: new Date(),
    advisoryDb: je.advisoryDb,
    cacheDir: je.cacheDir,
    note: (l) => je.log.info(l, { repo: repo.name, kind }),
    previous: async (service) => (await previousSnapshot(q, repo.name, service, kind as SnapshotKind, commit))?.detail,
  };
  if (kind === 'check') return runCheck(repo.root, ae);
  if (kind === 'conflicts') return runConflicts(repo.root);
  if (kind === 'audit') return runAudit(repo.root, ae);
  if (kind === 'sbom') return runSbom(repo.root, repo.name, ae);
  return runOutdated(repo.root, ae);
}

export async function runRepoJob(je: JobEnv, data: RepoJobData, jobId: string | null, attempt: number): Promise<void> {
  const runId = await beginRun(je.store, data.kind, data.repo, jobId, attempt);
  await timed(je, data.kind, async () => {
    let commit: string | undefined;
    try {
      const repo = await getRepo(je.store, je.dataDir, data.repo);
      if (!repo) throw new JobFailure(`repository ${data.repo} is not registered any more`);
      const snaps = await withRepo(repo.name, async () => {
        commit = await syncCheckout(repo);
        const hold = holdMs(je.env);
        if (hold) await new Promise((r) => setTimeout(r, hold));
        return analyse(je, repo, data.kind, commit, je.store.query);
      });
      // The snapshots and the run's end commit together: a worker killed before this leaves no snapshot.
      await je.store.transaction(async (q) => {
        await recordSnapshots(q, repo.name, commit!, data.kind as SnapshotKind, runId, snaps);
        await endRun(q, runId, 'succeeded', { commit: commit!, result: snaps.find((s) => s.service === '')?.summary });
      });
      return { outcome: 'succeeded' };
    } catch (e) {
      await endRun(je.store.query, runId, 'failed', { ...(commit ? { commit } : {}), error: message(e) });
      je.log.warn('job failed', { kind: data.kind, repo: data.repo, error: redactSecrets(message(e)) });
      if (!permanent(e)) throw e;
      return { outcome: 'failed' };
    }
  });
}

/** The live generation of the advisory database (its CURRENT pointer), or null when there is none yet. */
function advisoryGeneration(dbDir: string): string | null {
  try {
    return readFileSync(path.join(dbDir, 'CURRENT'), 'utf8').trim() || null;
  } catch {
    return null;
  }
}

/**
 * The generation this process saw at its last poll, per database. The first poll only records it (a restart does not
 * re-audit the fleet); pg-boss's singleton key (the generation) keeps replicas from enqueueing the same re-audit twice.
 */
const seenGeneration = new Map<string, string | null>();

/** One tick: each repository's branch head; a new commit enqueues the per-commit jobs (once per commit). */
export async function poll(je: JobEnv, jobId: string | null): Promise<void> {
  const runId = await beginRun(je.store, 'poll', null, jobId, 1);
  await timed(je, 'poll', async () => {
    const repos = await listRepos(je.store, je.dataDir);
    const failed: string[] = [];
    let enqueued = 0;
    await reconcileUpdateSchedules(je, repos);
    // A new advisory database (the db-sync job, or `depwarden db import` beside the server) re-audits every
    // repository at its known commit: a new advisory must reach the history and the alerts without a new commit.
    const gen = advisoryGeneration(je.advisoryDb);
    if (seenGeneration.has(je.advisoryDb) && seenGeneration.get(je.advisoryDb) !== gen && gen) {
      for (const repo of repos) if (repo.lastCommit && (await enqueueRepoJob(je.boss, { repo: repo.name, kind: 'audit', commit: repo.lastCommit, reason: 'advisories' }, `db:${gen}`))) enqueued++;
    }
    seenGeneration.set(je.advisoryDb, gen);
    for (const repo of repos) {
      try {
        const commit = await withRepo(repo.name, () => syncCheckout(repo));
        if (commit === repo.lastCommit) continue;
        for (const kind of je.cfg.jobs.perCommit) if (await enqueueRepoJob(je.boss, { repo: repo.name, kind, commit, reason: 'new-commit' })) enqueued++;
        await setLastCommit(je.store, repo.name, commit);
      } catch (e) {
        // One repository that cannot be fetched is its own failed run; the others go on.
        failed.push(repo.name);
        const id = await beginRun(je.store, 'fetch', repo.name, null, 1);
        await endRun(je.store.query, id, 'failed', { error: message(e) });
      }
    }
    await endRun(je.store.query, runId, failed.length ? 'failed' : 'succeeded', { result: { repos: repos.length, enqueued, failed }, ...(failed.length ? { error: `could not read ${failed.join(', ')}` } : {}) });
    return { outcome: failed.length ? 'failed' : 'succeeded' };
  });
}

/**
 * Each repository's update schedule follows its depwarden.yaml (`updates.schedule`, `updates.timezone`): a pg-boss
 * cron schedule keyed by the repository, changed when the file changes, removed with the repository.
 */
async function reconcileUpdateSchedules(je: JobEnv, repos: RepoRecord[]): Promise<void> {
  const have = new Map((await je.boss.getSchedules(QUEUES.update)).map((s) => [s.key, s]));
  const { loadConfig } = await import('../config/load.ts');
  for (const repo of repos) {
    let cron: string;
    let tz: string;
    try {
      const { config } = await loadConfig(repo.root);
      cron = config.updates.schedule;
      tz = config.updates.timezone;
    } catch {
      continue; // not cloned yet, or a config the check job reports
    }
    const s = have.get(repo.name);
    have.delete(repo.name);
    if (s && s.cron === cron && (s.options as { tz?: string } | undefined)?.tz === tz) continue;
    await je.boss.schedule(QUEUES.update, cron, { repo: repo.name }, { tz, key: repo.name }).catch((e: unknown) => je.log.warn('cannot schedule the update run', { repo: repo.name, error: message(e) }));
  }
  for (const key of have.keys()) await je.boss.unschedule(QUEUES.update, key);
}

/**
 * The weekly update: the CLI's own `depwarden update` on the checkout, in a child process (relocks run real
 * Poetry and npm for minutes; a child keeps them off the server's event loop and is bounded by the lease).
 */
async function updateRun(je: JobEnv, data: { repo: string }, jobId: string | null, attempt: number): Promise<void> {
  const runId = await beginRun(je.store, 'update', data.repo, jobId, attempt);
  await timed(je, 'update', async () => {
    let commit: string | undefined;
    try {
      const repo = await getRepo(je.store, je.dataDir, data.repo);
      if (!repo) throw new JobFailure(`repository ${data.repo} is not registered any more`);
      const u = je.cfg.jobs.update;
      const out = await withRepo(repo.name, async () => {
        commit = await syncCheckout(repo);
        const args = ['update', repo.root, ...(u.mode === 'dry-run' ? ['--dry-run'] : u.mode === 'github' ? ['--publish', 'github', '--base', u.base] : ['--local']), '--actor', 'depwarden-serve'];
        return runCli(args, je.env, je.cfg.jobs.leaseSeconds * 1000);
      });
      // Exit 1 is a run that completed with failed changes (in the plan); 5 a registry that could not be reached.
      if (out.code !== 0 && out.code !== 1) throw new JobFailure(`depwarden update exited ${out.code}: ${out.stderr.trim().split('\n').slice(-3).join(' | ')}`);
      await endRun(je.store.query, runId, 'succeeded', { commit: commit!, result: { exit: out.code, plan: out.stdout.slice(0, 20_000) } });
      return { outcome: 'succeeded' };
    } catch (e) {
      await endRun(je.store.query, runId, 'failed', { ...(commit ? { commit } : {}), error: message(e) });
      if (!permanent(e)) throw e;
      return { outcome: 'failed' };
    }
  });
}

const BIN = new URL('../../bin/depwarden.js', import.meta.url);

function runCli(args: string[], env: NodeJS.ProcessEnv, timeoutMs: number): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [fileURLToPath(BIN), ...args], { env, timeout: timeoutMs, maxBuffer: 1 << 26, encoding: 'utf8' }, (err, stdout, stderr) => {
      const e = err as (Error & { code?: unknown; killed?: boolean; signal?: string }) | null;
      const code = !e ? 0 : typeof e.code === 'number' ? e.code : -1;
      const why = e && code === -1 ? (e.killed ? `stopped after ${timeoutMs / 1000} s (the job's lease)` : `ended by ${e.signal ?? e.message}`) : '';
      resolve({ code, stdout, stderr: redactSecrets(why ? `${stderr}\n${why}` : stderr) });
    });
  });
}

export async function enqueueRepoJob(boss: PgBoss, d: RepoJobData, slot?: string): Promise<string | null> {
  // Once per repository, kind and commit (and schedule occurrence): replicas that both see a new head enqueue it once.
  return boss.send(QUEUES.repo, { ...d }, { singletonKey: `${d.repo}:${d.kind}:${d.commit}${slot ? `:${slot}` : ''}` });
}

async function scheduledSnapshots(je: JobEnv, slot: string): Promise<void> {
  const runId = await beginRun(je.store, 'schedule', null, null, 1);
  let n = 0;
  for (const repo of await listRepos(je.store, je.dataDir)) {
    for (const kind of new Set([...je.cfg.jobs.perCommit, 'outdated' as const])) if (await enqueueRepoJob(je.boss, { repo: repo.name, kind, commit: repo.lastCommit ?? 'unknown', reason: 'schedule' }, slot)) n++;
  }
  await endRun(je.store.query, runId, 'succeeded', { result: { enqueued: n } });
}

async function dbSync(je: JobEnv, jobId: string | null, attempt: number): Promise<void> {
  const runId = await beginRun(je.store, 'db-sync', null, jobId, attempt);
  await timed(je, 'db-sync', async () => {
    try {
      const { syncDb, DEFAULT_OSV_BASE } = await import('../vulns/sync.ts');
      const r = await syncDb({ dbDir: je.advisoryDb, base: je.cfg.advisories.source ?? DEFAULT_OSV_BASE, ecosystems: je.cfg.advisories.ecosystems, log: (l) => je.log.info(l, { kind: 'db-sync' }) });
      await endRun(je.store.query, runId, 'succeeded', { result: { advisories: r.advisories, mode: r.mode, written: r.written } });
      return { outcome: 'succeeded' };
    } catch (e) {
      await endRun(je.store.query, runId, 'failed', { error: message(e) });
      throw e;
    }
  });
}

/** Handlers running in this process: draining waits for them (pg-boss's graceful stop is bounded by a timeout). */
const inflight = new Set<Promise<unknown>>();
function tracked<T>(p: Promise<T>): Promise<T> {
  inflight.add(p);
  void p.finally(() => inflight.delete(p)).catch(() => {});
  return p;
}

export async function drainInflight(timeoutMs: number): Promise<boolean> {
  const all = Promise.allSettled([...inflight]).then(() => true);
  return Promise.race([all, new Promise<boolean>((r) => setTimeout(() => r(false), timeoutMs).unref())]);
}

/** The workers of this process (every queue), `jobs.concurrency` repository jobs at a time. */
export async function startWorkers(je: JobEnv): Promise<void> {
  const poll1 = { pollingIntervalSeconds: Math.max(0.5, Math.min(2, je.cfg.jobs.tickSeconds / 2)), includeMetadata: true as const };
  await je.boss.work<Record<string, never>>(QUEUES.poll, poll1, async ([job]) => tracked(poll(je, job!.id)));
  await je.boss.work<RepoJobData>(QUEUES.repo, { ...poll1, localConcurrency: je.cfg.jobs.concurrency }, async ([job]) => tracked(runRepoJob(je, job!.data, job!.id, job!.retryCount + 1)));
  await je.boss.work(QUEUES.snapshots, poll1, async ([job]) => tracked(scheduledSnapshots(je, job!.id)));
  await je.boss.work(QUEUES.dbSync, poll1, async ([job]) => tracked(dbSync(je, job!.id, job!.retryCount + 1)));
  await je.boss.work<{ repo: string }>(QUEUES.update, poll1, async ([job]) => tracked(updateRun(je, job!.data, job!.id, job!.retryCount + 1)));
}

/**
 * The tick: every process offers a poll each `tickSeconds`, throttled by pg-boss to one job per slot (a
 * singleton key and slot in the queue's table), so N replicas poll once per tick and a restarted one carries on.
 * The daily schedules are pg-boss cron schedules, stored in the database (a restart resumes them).
 */
export async function startScheduler(je: JobEnv): Promise<() => void> {
  const { tz } = { tz: je.cfg.jobs.schedule.timezone };
  await je.boss.schedule(QUEUES.snapshots, je.cfg.jobs.schedule.snapshots, {}, { tz });
  await je.boss.schedule(QUEUES.dbSync, je.cfg.jobs.schedule.dbSync, {}, { tz });
  const tick = je.cfg.jobs.tickSeconds;
  const offer = (): void => {
    je.boss.send(QUEUES.poll, {}, { singletonKey: 'tick', singletonSeconds: tick }).catch((e: unknown) => je.log.warn('could not offer the poll', { error: redactSecrets(message(e)) }));
  };
  offer();
  const timer = setInterval(offer, Math.max(500, (tick * 1000) / 4));
  timer.unref();
  return () => clearInterval(timer);
}

export const dataPaths = (dataDir: string) => ({ store: path.join(dataDir, 'store'), repos: path.join(dataDir, 'repos'), cache: path.join(dataDir, 'cache', 'http') });
