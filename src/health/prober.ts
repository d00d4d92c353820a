import type { ServiceHealthConfig } from '../config/sections/health.ts';
import type { Logger, RegisteredRepo } from '../serve/feature.ts';
import type { Store } from '../store/store.ts';
import { probeService } from './probe.ts';
import type { ServiceHealth } from './status.ts';
import { claimSlot, pruneClaims, pruneSamples, recordSample } from './store.ts';

/** Samples older than this are removed (hourly): a service probed every minute keeps ~43,000 rows. */
export const SAMPLE_RETENTION_DAYS = 30;

/** What is probed: each registered repository's `health:` section. */
export interface ProbeTarget {
  repo: string;
  service: string;
  cfg: ServiceHealthConfig;
}

export async function targetsOf(repos: RegisteredRepo[], log: Logger): Promise<ProbeTarget[]> {
  const { loadConfig } = await import('../config/load.ts');
  const out: ProbeTarget[] = [];
  for (const r of repos) {
    try {
      const { config } = await loadConfig(r.root);
      for (const [service, cfg] of Object.entries(config.health ?? {}).sort(([a], [b]) => (a < b ? -1 : 1))) out.push({ repo: r.name, service, cfg });
    } catch (e) {
      // One repository's broken config stops its probes, not the others'.
      log.warn('health: cannot read the config of a repository', { repo: r.name, error: e instanceof Error ? e.message.split('\n')[0] : String(e) });
    }
  }
  return out;
}

/**
 * One probing round at time `nowMs`: each target whose interval slot (floor(now / interval)) has not been probed
 * is claimed in the store, and only the claimant probes and records it. Replicas on one PostgreSQL therefore
 * probe each service once per interval; on the embedded store there is one process anyway.
 */
export async function probeRound(store: Store, targets: ProbeTarget[], nowMs: number, log: Logger, done: Map<string, number>): Promise<ServiceHealth[]> {
  const iso = new Date(nowMs).toISOString();
  const due = targets.filter((t) => (done.get(`${t.repo}\0${t.service}`) ?? -1) < Math.floor(nowMs / (t.cfg.intervalSeconds * 1000)));
  const results = await Promise.all(
    due.map(async (t) => {
      const slot = Math.floor(nowMs / (t.cfg.intervalSeconds * 1000));
      done.set(`${t.repo}\0${t.service}`, slot);
      try {
        if (!(await claimSlot(store.query, t.repo, t.service, slot, iso))) return undefined;
        const h = await probeService(t.repo, t.service, t.cfg);
        await recordSample(store, h);
        if (h.status !== 'up') log.warn('health: service not up', { repo: t.repo, service: t.service, status: h.status, reason: h.reason });
        return h;
      } catch (e) {
        // The store lost (PostgreSQL restarting): this slot is skipped, the next round tries again.
        log.error('health: probe round failed', { repo: t.repo, service: t.service, error: e instanceof Error ? e.message : String(e) });
        done.delete(`${t.repo}\0${t.service}`);
        return undefined;
      }
    }),
  );
  return results.filter((h): h is ServiceHealth => h !== undefined);
}

export interface ProberOptions {
  store: Store;
  log: Logger;
  signal: AbortSignal;
  repos(): Promise<RegisteredRepo[]>;
  /** How often the loop wakes to see what is due (ms). */
  tickMs?: number;
  /** How often the repositories' configs are re-read (ms). */
  reloadMs?: number;
}

/** The background loop of `depwarden serve`; resolves the returned stop function once the round in flight ends. */
export function startProber(o: ProberOptions): () => Promise<void> {
  const tickMs = o.tickMs ?? 1000;
  const reloadMs = o.reloadMs ?? 60_000;
  const done = new Map<string, number>();
  let targets: ProbeTarget[] = [];
  let loadedAt = -Infinity;
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let lastPrune = 0;
  const tick = async (): Promise<void> => {
    try {
      if (Date.now() - loadedAt > reloadMs) {
        targets = await targetsOf(await o.repos(), o.log);
        loadedAt = Date.now();
      }
      await probeRound(o.store, targets, Date.now(), o.log, done);
      if (Date.now() - lastPrune > 3_600_000) {
        lastPrune = Date.now();
        await pruneClaims(o.store.query, new Date(Date.now() - 86_400_000).toISOString());
        await pruneSamples(o.store.query, new Date(Date.now() - SAMPLE_RETENTION_DAYS * 86_400_000).toISOString());
      }
    } catch (e) {
      o.log.error('health: prober round failed', { error: e instanceof Error ? e.message : String(e) });
    }
  };
  const loop = (): void => {
    if (stopped || o.signal.aborted) return;
    inFlight = tick().finally(() => {
      if (!stopped && !o.signal.aborted) timer = setTimeout(loop, tickMs);
    });
  };
  loop();
  return async () => {
    stopped = true;
    if (timer) clearTimeout(timer);
    await inFlight;
  };
}
