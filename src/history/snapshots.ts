import type { Store } from '../store/store.ts';

/**
 * History: one snapshot per repository, service, commit and kind of result (check, conflicts, audit, outdated, sbom), written
 * by the job that computed it. `summary` holds the numbers series are drawn from (findings by rule and severity,
 * vulnerabilities by severity, outdated count and libyears, component count, pinning compliance); `detail` the
 * records themselves (findings, vulnerabilities, outdated entries, the SBOM documents). Service '' is the whole
 * repository. A job writes all its snapshots in one transaction: a killed job leaves none, its retry writes once;
 * a scheduled re-run on the same commit replaces that commit's row (newer advisories, same code).
 */

export const SNAPSHOT_KINDS = ['check', 'conflicts', 'audit', 'outdated', 'sbom'] as const;
export type SnapshotKind = (typeof SNAPSHOT_KINDS)[number];

export interface SnapshotInput {
  service: string;
  summary: Record<string, unknown>;
  detail: unknown;
}

export interface Snapshot {
  id: number;
  repo: string;
  service: string;
  commit: string;
  kind: SnapshotKind;
  taken: string;
  runId: number | null;
  summary: Record<string, unknown>;
}

interface Row {
  id: string | number;
  repo: string;
  service: string;
  commit: string;
  kind: SnapshotKind;
  taken: string | Date;
  run_id: string | number | null;
  summary: Record<string, unknown> | string;
  detail?: unknown;
}

const json = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

function toSnapshot(r: Row): Snapshot {
  return { id: Number(r.id), repo: r.repo, service: r.service, commit: r.commit, kind: r.kind, taken: new Date(r.taken).toISOString(), runId: r.run_id === null ? null : Number(r.run_id), summary: json(r.summary) };
}

export async function recordSnapshots(q: Store['query'], repo: string, commit: string, kind: SnapshotKind, runId: number | null, items: SnapshotInput[]): Promise<void> {
  for (const s of items) {
    await q('DELETE FROM snapshots WHERE repo = $1 AND service = $2 AND commit = $3 AND kind = $4', [repo, s.service, commit, kind]);
    await q('INSERT INTO snapshots (repo, service, commit, kind, run_id, summary, detail) VALUES ($1, $2, $3, $4, $5, $6, $7)', [repo, s.service, commit, kind, runId, JSON.stringify(s.summary), JSON.stringify(s.detail)]);
  }
}

/** The newest snapshot of each service of a repository for one kind (the repository's current state). */
export async function latestSnapshots(store: Store, repo: string, kind: SnapshotKind): Promise<Snapshot[]> {
  const rows = await store.query<Row>(
    'SELECT DISTINCT ON (service) id, repo, service, commit, kind, taken, run_id, summary FROM snapshots WHERE repo = $1 AND kind = $2 ORDER BY service, id DESC',
    [repo, kind],
  );
  return rows.map(toSnapshot);
}

/** Newest snapshot of every repository and service for one kind (the fleet's state: metrics, overviews). */
export async function fleetSnapshots(store: Store, kind: SnapshotKind): Promise<Snapshot[]> {
  const rows = await store.query<Row>('SELECT DISTINCT ON (repo, service) id, repo, service, commit, kind, taken, run_id, summary FROM snapshots WHERE kind = $1 ORDER BY repo, service, id DESC', [kind]);
  return rows.map(toSnapshot);
}

export async function snapshotDetail<T>(store: Store, id: number): Promise<T | undefined> {
  const r = (await store.query<{ detail: unknown }>('SELECT detail FROM snapshots WHERE id = $1', [id]))[0];
  return r ? json(r.detail as T) : undefined;
}

export async function getSnapshot(store: Store, id: number): Promise<Snapshot | undefined> {
  const r = (await store.query<Row>('SELECT id, repo, service, commit, kind, taken, run_id, summary FROM snapshots WHERE id = $1', [id]))[0];
  return r ? toSnapshot(r) : undefined;
}

/** A series: every snapshot of one repository (and service) of one kind, oldest first, after `afterId`. */
export async function series(store: Store, repo: string, kind: SnapshotKind, service: string | undefined, afterId: number, limit: number): Promise<Snapshot[]> {
  const rows = await store.query<Row>(
    `SELECT id, repo, service, commit, kind, taken, run_id, summary FROM snapshots WHERE repo = $1 AND kind = $2 AND id > $3 ${service === undefined ? '' : 'AND service = $5'} ORDER BY id LIMIT $4`,
    service === undefined ? [repo, kind, afterId, limit] : [repo, kind, afterId, limit, service],
  );
  return rows.map(toSnapshot);
}

/** The snapshot of the same repository, service and kind before this one (for "new / fixed since"). */
export async function previousSnapshot(q: Store['query'], repo: string, service: string, kind: SnapshotKind, commit: string): Promise<{ id: number; detail: unknown } | undefined> {
  const r = (await q<{ id: string | number; detail: unknown }>('SELECT id, detail FROM snapshots WHERE repo = $1 AND service = $2 AND kind = $3 AND commit <> $4 ORDER BY id DESC LIMIT 1', [repo, service, kind, commit]))[0];
  return r ? { id: Number(r.id), detail: json(r.detail) } : undefined;
}

/**
 * Newest snapshot of every repository and service for one kind, with its records (the alert rules read these).
 * The repository's own snapshot ('') repeats its services' records: left out where the repository has services.
 */
export async function fleetSnapshotDetails<T>(store: Store, kind: SnapshotKind): Promise<(Snapshot & { detail: T })[]> {
  const rows = await store.query<Row>(
    `SELECT DISTINCT ON (repo, service) id, repo, service, commit, kind, taken, run_id, summary, detail FROM snapshots s WHERE kind = $1
       AND (service <> '' OR NOT EXISTS (SELECT 1 FROM snapshots o WHERE o.repo = s.repo AND o.kind = $1 AND o.service <> ''))
     ORDER BY repo, service, id DESC`,
    [kind],
  );
  return rows.map((r) => ({ ...toSnapshot(r), detail: json(r.detail as T) }));
}
