import { PgBoss } from 'pg-boss';
import type { Store } from '../store/store.ts';
import type { ServeConfig } from '../serve/config.ts';

/**
 * The job queue: pg-boss, in the same PostgreSQL as everything else. On a server (DATABASE_URL) it keeps its own
 * pool and schema (`<schema>_boss`, or `pgboss`), and every replica shares it: a job is claimed by exactly one
 * worker (SKIP LOCKED), a claim that outlives its lease (`jobs.leaseSeconds`) is retried by another, throttled
 * sends give one job per tick across replicas. Embedded, pg-boss runs on the same PGlite through its `pglite`
 * backend and our store's query function (PGlite is one connection in this process; pg-boss supports it as is).
 */

export const QUEUES = {
  /** One per tick: compares each repository's branch head with the last commit its jobs ran on. */
  poll: 'dw-poll',
  /** One per repository, kind and commit: check, conflicts, audit, sbom, outdated. */
  repo: 'dw-repo',
  /** The schedules' occurrences: every repository snapshotted again; the advisory database synced. */
  snapshots: 'dw-snapshots',
  dbSync: 'dw-db-sync',
  /** Each repository's weekly update run, a cron schedule per repository (its `updates.schedule` and `timezone`). */
  update: 'dw-update',
} as const;

export function bossSchema(env: NodeJS.ProcessEnv): string {
  return env.DEPWARDEN_DB_SCHEMA ? `${env.DEPWARDEN_DB_SCHEMA}_boss` : 'pgboss';
}

export async function openQueue(store: Store, env: NodeJS.ProcessEnv, cfg: ServeConfig, opts: { schedule: boolean; onError(e: Error): void }): Promise<PgBoss> {
  const common = {
    supervise: true,
    superviseIntervalSeconds: cfg.jobs.superviseSeconds,
    monitorIntervalSeconds: Math.max(1, Math.min(cfg.jobs.superviseSeconds, 60)),
    schedule: opts.schedule,
    cronWorkerIntervalSeconds: 5,
    migrate: true,
  };
  const boss =
    store.kind === 'postgres'
      ? new PgBoss({ ...common, connectionString: env.DATABASE_URL!, schema: bossSchema(env), max: 4, application_name: 'depwarden-serve' })
      : new PgBoss({ ...common, backend: 'pglite', schema: 'pgboss', db: { executeSql: async (text: string, values?: unknown[]) => ({ rows: await store.query(text, values ?? []) }) } });
  boss.on('error', opts.onError);
  await boss.start();
  const queue = { expireInSeconds: cfg.jobs.leaseSeconds, retryLimit: cfg.jobs.retryLimit, retryDelay: cfg.jobs.retryDelaySeconds, retryBackoff: cfg.jobs.retryDelaySeconds > 0 };
  for (const name of Object.values(QUEUES)) {
    if (!(await boss.getQueue(name))) await boss.createQueue(name, name === QUEUES.poll ? { ...queue, retryLimit: 0 } : queue).catch(async (e: unknown) => {
      // Two replicas creating the same queue at once: the loser finds it made.
      if (!(await boss.getQueue(name))) throw e;
    });
    else await boss.updateQueue(name, name === QUEUES.poll ? { ...queue, retryLimit: 0 } : queue);
  }
  return boss;
}
