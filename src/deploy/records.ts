import type { Store } from '../store/store.ts';

/** One rollout as stored (`deploys` table, migration 040) and listed by `depwarden deploys list`. */
export type Outcome = 'running' | 'succeeded' | 'rolled_back' | 'failed' | 'interrupted';

export interface DeployRecord {
  id: string;
  service: string;
  driver: string;
  strategy: string;
  /** Image digests before (empty for a first deploy) and the one deployed. */
  from: string;
  to: string;
  change: string | null;
  outcome: Outcome;
  gates: unknown[];
  started: string;
  finished: string | null;
  durationMs: number | null;
  detail: string;
}

export async function startRecord(store: Store, r: Pick<DeployRecord, 'id' | 'service' | 'driver' | 'strategy' | 'from' | 'to' | 'change' | 'started'>): Promise<void> {
  await store.query('INSERT INTO deploys (id, service, driver, strategy, from_image, to_image, change_id, outcome, gates, started) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)', [r.id, r.service, r.driver, r.strategy, r.from, r.to, r.change, 'running', '[]', r.started]);
}

export async function finishRecord(store: Store, id: string, f: { outcome: Outcome; gates: unknown[]; finished: string; durationMs: number; detail: string }): Promise<void> {
  await store.query('UPDATE deploys SET outcome = $2, gates = $3, finished = $4, duration_ms = $5, detail = $6 WHERE id = $1', [id, f.outcome, JSON.stringify(f.gates), f.finished, f.durationMs, f.detail]);
}

function row(r: Record<string, unknown>): DeployRecord {
  return {
    id: String(r.id),
    service: String(r.service),
    driver: String(r.driver),
    strategy: String(r.strategy),
    from: String(r.from_image),
    to: String(r.to_image),
    change: r.change_id == null ? null : String(r.change_id),
    outcome: r.outcome as Outcome,
    gates: JSON.parse(String(r.gates)) as unknown[],
    started: String(r.started),
    finished: r.finished == null ? null : String(r.finished),
    durationMs: r.duration_ms == null ? null : Number(r.duration_ms),
    detail: String(r.detail ?? ''),
  };
}

export async function listRecords(store: Store, opts: { service?: string; limit?: number } = {}): Promise<DeployRecord[]> {
  const rows = opts.service ? await store.query('SELECT * FROM deploys WHERE service = $1 ORDER BY started, id', [opts.service]) : await store.query('SELECT * FROM deploys ORDER BY started, id');
  const all = rows.map(row);
  return opts.limit ? all.slice(-opts.limit) : all;
}

/** Deploys that were started and never finished (the process died): what `deploy --resume` brings to an end. */
export async function unfinished(store: Store): Promise<DeployRecord[]> {
  return (await store.query("SELECT * FROM deploys WHERE outcome = 'running' ORDER BY started, id")).map(row);
}
