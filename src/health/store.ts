import type { Store } from '../store/store.ts';
import { encodeCursor } from '../util/cursor.ts';
import type { CheckResult, HealthStatus, ServiceHealth } from './status.ts';

type Q = Store['query'];

/** Appends a sample to the series and makes it the service's current health (newer samples only), in one transaction. */
export async function recordSample(store: Store, h: ServiceHealth): Promise<void> {
  await store.transaction(async (q) => {
    const [row] = await q<{ seq: string | number }>('INSERT INTO health_samples (repo, service, at, status, reason, checks) VALUES ($1,$2,$3,$4,$5,$6::jsonb) RETURNING seq', [h.repo, h.service, h.at, h.status, h.reason, JSON.stringify(h.checks)]);
    await q(
      `INSERT INTO health_current (repo, service, seq, at, status, reason, checks) VALUES ($1,$2,$3,$4,$5,$6,$7::jsonb)
       ON CONFLICT (repo, service) DO UPDATE SET seq = EXCLUDED.seq, at = EXCLUDED.at, status = EXCLUDED.status, reason = EXCLUDED.reason, checks = EXCLUDED.checks
       WHERE health_current.at <= EXCLUDED.at`,
      [h.repo, h.service, row!.seq, h.at, h.status, h.reason, JSON.stringify(h.checks)],
    );
  });
}

/**
 * Claims the probing of a service for one time slot; true for exactly one caller across every process sharing
 * the store (the primary key decides). Claims older than a day are pruned by the winner of slot boundaries.
 */
export async function claimSlot(q: Q, repo: string, service: string, slot: number, now: string): Promise<boolean> {
  const rows = await q('INSERT INTO health_claims (repo, service, slot, claimed) VALUES ($1,$2,$3,$4) ON CONFLICT DO NOTHING RETURNING slot', [repo, service, slot, now]);
  return rows.length > 0;
}

export async function pruneClaims(q: Q, before: string): Promise<void> {
  await q('DELETE FROM health_claims WHERE claimed < $1', [before]);
}

export async function pruneSamples(q: Q, before: string): Promise<void> {
  await q('DELETE FROM health_samples WHERE at < $1', [before]);
}

interface Row {
  seq: string | number;
  repo: string;
  service: string;
  at: string;
  status: HealthStatus;
  reason: string;
  checks: CheckResult[] | string;
}

const toHealth = (r: Row): ServiceHealth => ({ repo: r.repo, service: r.service, at: r.at, status: r.status, reason: r.reason, checks: typeof r.checks === 'string' ? (JSON.parse(r.checks) as CheckResult[]) : r.checks });

/** The latest sample of each service (of one repository, or of all for metrics). */
export async function currentHealth(q: Q, repo?: string): Promise<ServiceHealth[]> {
  const rows = await q<Row>(`SELECT * FROM health_current ${repo === undefined ? '' : 'WHERE repo = $1'} ORDER BY repo, service`, repo === undefined ? [] : [repo]);
  return rows.map(toHealth);
}

/** One service's samples, newest first, optionally since an ISO time. */
export async function healthSeries(q: Q, repo: string, service: string, limit: number, before?: number, since?: string): Promise<{ items: ServiceHealth[]; nextCursor: string | null }> {
  const params: unknown[] = [repo, service];
  let w = 'repo = $1 AND service = $2';
  if (before !== undefined) {
    params.push(before);
    w += ` AND seq < $${params.length}`;
  }
  if (since !== undefined) {
    params.push(since);
    w += ` AND at >= $${params.length}`;
  }
  const rows = await q<Row>(`SELECT * FROM health_samples WHERE ${w} ORDER BY seq DESC LIMIT ${limit + 1}`, params);
  const kept = rows.slice(0, limit);
  return { items: kept.map(toHealth), nextCursor: rows.length > limit && kept.length ? encodeCursor(kept[kept.length - 1]!.seq) : null };
}
