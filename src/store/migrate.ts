import { createHash } from 'node:crypto';
import type { Store } from './store.ts';

/**
 * The tables of the governance store with their keys, parents before children (approvals and reviews refer to
 * changes). Every table the migrations create is here: `copyStore` refuses a source with a table it does not know.
 */
const TABLES: { name: string; key: string; identity?: boolean; serial?: string }[] = [
  // The store's identity (which every governance signature covers) moves with its history: a migrated store is the
  // same store. The target's own fresh identity is replaced, so it is not "history" for the emptiness check.
  { name: 'store_meta', key: 'key', identity: true },
  { name: 'audit_log', key: 'seq' },
  { name: 'changes', key: 'id' },
  { name: 'approvals', key: 'change_id, approver' },
  { name: 'reviews', key: 'change_id' },
  { name: 'known_good', key: 'service, recorded' },
  { name: 'deploys', key: 'id' },
  // A server's CI results and health series (src/builds/, src/health/); `serial` columns get their sequence moved
  // past the copied rows.
  { name: 'builds', key: 'seq', serial: 'seq' },
  { name: 'coverage', key: 'seq', serial: 'seq' },
  { name: 'build_pull_requests', key: 'repo, number' },
  { name: 'webhook_deliveries', key: 'delivery_id' },
  { name: 'health_samples', key: 'seq', serial: 'seq' },
  { name: 'health_current', key: 'repo, service' },
  { name: 'health_claims', key: 'repo, service, slot' },
  // depwarden serve's: registered repositories, API tokens (hashed), job runs and the snapshots of history.
  { name: 'repos', key: 'name' },
  { name: 'api_tokens', key: 'id' },
  { name: 'job_runs', key: 'id', serial: 'id' },
  { name: 'snapshots', key: 'id', serial: 'id' },
  // Alerts (src/alerts/): conditions, silences, the channels delivered to and the delivery log.
  { name: 'alerts', key: 'id' },
  { name: 'alert_silences', key: 'id' },
  { name: 'alert_targets', key: 'fp' },
  { name: 'alert_deliveries', key: 'id', serial: 'id' },
];

/**
 * Tables the migrations create that are not history and are not copied: dashboard sessions are live credentials
 * of one store's signed-in browsers (short-lived, bound to its tokens' ids); a moved store starts signed out.
 */
const TRANSIENT = new Set(['web_sessions']);

export interface CopyReport {
  /** Rows per table, in TABLES order. */
  rows: Record<string, number>;
  /** sha256 over every row of every table in key order, equal for the source and the copy. */
  digest: string;
  /** The copied audit log's last entry. */
  head?: { seq: number; hash: string };
}

/** Thrown when the copy cannot or must not be made; the message says why, nothing was written. */
export class MigrateError extends Error {}

/** A value as the two drivers give it (PGlite: numbers, pg: bigint as strings), made comparable. */
const norm = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : isJson(v) ? JSON.stringify(v) : String(v));

/** A jsonb value as the drivers return it (parsed): written back as JSON text (pg would turn an array into a SQL array). */
const isJson = (v: unknown): boolean => typeof v === 'object' && v !== null && !(v instanceof Date) && !Buffer.isBuffer(v) && !(v instanceof Uint8Array);

async function tableNames(q: Store['query']): Promise<string[]> {
  return (await q<{ t: string }>("SELECT table_name AS t FROM information_schema.tables WHERE table_schema = current_schema() AND table_type = 'BASE TABLE' AND table_name <> 'schema_migrations' ORDER BY table_name")).map((r) => r.t);
}

async function readAll(q: Store['query']): Promise<{ rows: Map<string, Record<string, unknown>[]>; digest: string }> {
  const rows = new Map<string, Record<string, unknown>[]>();
  const h = createHash('sha256');
  for (const t of TABLES) {
    const r = await q<Record<string, unknown>>(`SELECT * FROM ${t.name} ORDER BY ${t.key}`);
    rows.set(t.name, r);
    for (const row of r) h.update(`${t.name}\u0000${JSON.stringify(Object.keys(row).sort().map((k) => [k, norm(row[k])]))}\n`);
  }
  return { rows, digest: h.digest('hex') };
}

/**
 * Copies the whole governance history from one store to another that holds none: every row of every table in
 * one transaction on the target, then both are read back and compared row by row (a digest over all rows).
 * The audit log keeps its sequence numbers and hashes, so a head committed from the source verifies against the
 * copy. Refused when the target already holds any history (nothing is merged or overwritten).
 */
export async function copyStore(from: Store, to: Store): Promise<CopyReport> {
  const unknown = (await tableNames(from.query)).filter((n) => !TRANSIENT.has(n) && !TABLES.some((t) => t.name === n));
  if (unknown.length) throw new MigrateError(`the source store has tables this version of depwarden does not copy (${unknown.join(', ')}): upgrade depwarden first`);
  const source = await readAll(from.query);
  await to.transaction(async (q) => {
    if (to.kind === 'postgres') await q("SELECT pg_advisory_xact_lock(hashtext('depwarden-audit-log'))");
    for (const t of TABLES.filter((x) => !x.identity)) {
      const n = Number((await q<{ n: unknown }>(`SELECT count(*) AS n FROM ${t.name}`))[0]?.n ?? 0);
      if (n) throw new MigrateError(`the target store already holds history (${n} row(s) in ${t.name}): \`store migrate\` copies into an empty store only`);
    }
    for (const t of TABLES) {
      for (const row of source.rows.get(t.name)!) {
        const cols = Object.keys(row);
        const upsert = t.identity ? ` ON CONFLICT (${t.key}) DO UPDATE SET ${cols.filter((c) => c !== t.key).map((c) => `${c} = EXCLUDED.${c}`).join(', ')}` : '';
        await q(`INSERT INTO ${t.name} (${cols.join(', ')}) VALUES (${cols.map((_, i) => `$${i + 1}`).join(', ')})${upsert}`, cols.map((c) => (isJson(row[c]) ? JSON.stringify(row[c]) : row[c])));
      }
      if (t.serial) await q(`SELECT setval(pg_get_serial_sequence('${t.name}', '${t.serial}'), GREATEST((SELECT max(${t.serial}) FROM ${t.name}), 1), (SELECT count(*) > 0 FROM ${t.name}))`);
    }
  });
  const copy = await readAll(to.query);
  if (copy.digest !== source.digest) throw new MigrateError(`the copy differs from the source after writing (digest ${copy.digest.slice(0, 12)} ≠ ${source.digest.slice(0, 12)}): do not switch stores; the target's rows must be removed before trying again`);
  const log = source.rows.get('audit_log')!;
  const last = log[log.length - 1];
  return {
    rows: Object.fromEntries(TABLES.map((t) => [t.name, source.rows.get(t.name)!.length])),
    digest: source.digest,
    ...(last ? { head: { seq: Number(last.seq), hash: String(last.hash) } } : {}),
  };
}
