import { createHash } from 'node:crypto';
import type { Store } from '../store/store.ts';

/** Every event of the protocol's governance, in one append-only, hash-chained log. */
export interface AuditEntry {
  seq: number;
  /** Hash of the previous entry ("0"×64 for the first). */
  prev: string;
  hash: string;
  /** ISO time. */
  time: string;
  actor: string;
  /** proposed, tested, approved, rejected, merged, deployed, rolled_back, suppression_added, policy_changed, ... */
  kind: string;
  payload: unknown;
  /** Set when the stored payload is not JSON (the row was edited outside depwarden): why it could not be read. */
  unreadable?: string;
}

/** An audit entry whose stored payload is not JSON, met where the payload itself is needed. */
export class UnreadableEntryError extends Error {}

export const GENESIS = '0'.repeat(64);

/** Canonical JSON: object keys sorted at every level, no whitespace. */
export function canonical(v: unknown): string {
  if (v === null || typeof v !== 'object') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.map(canonical).join(',')}]`;
  const o = v as Record<string, unknown>;
  return `{${Object.keys(o).filter((k) => o[k] !== undefined).sort().map((k) => `${JSON.stringify(k)}:${canonical(o[k])}`).join(',')}}`;
}

export function entryHash(e: Omit<AuditEntry, 'hash'>): string {
  return createHash('sha256').update(canonical({ seq: e.seq, prev: e.prev, time: e.time, actor: e.actor, kind: e.kind, payload: e.payload })).digest('hex');
}

/**
 * Appends one event. The head is read and the row written in one transaction holding a lock (a PostgreSQL
 * advisory lock on a server; PGlite runs in one process and serialises its transactions), so two writers never
 * fork the chain. The entry is acknowledged only after COMMIT: a crash before that loses only the unacknowledged.
 */
export async function appendEvent(store: Store, ev: { actor: string; kind: string; payload: unknown; time?: Date }): Promise<AuditEntry> {
  return store.transaction(async (q) => appendEventIn(q, store.kind, ev));
}

/** The same append inside a caller's transaction (a state change and its event commit together or not at all). */
export async function appendEventIn(q: Store['query'], storeKind: Store['kind'], ev: { actor: string; kind: string; payload: unknown; time?: Date }): Promise<AuditEntry> {
  {
    if (storeKind === 'postgres') await q("SELECT pg_advisory_xact_lock(hashtext('depwarden-audit-log'))");
    const head = (await q<{ seq: string; hash: string }>('SELECT seq, hash FROM audit_log ORDER BY seq DESC LIMIT 1'))[0];
    const base = {
      seq: head ? Number(head.seq) + 1 : 1,
      prev: head?.hash ?? GENESIS,
      time: (ev.time ?? new Date()).toISOString(),
      actor: ev.actor,
      kind: ev.kind,
      payload: ev.payload ?? null,
    };
    const entry: AuditEntry = { ...base, hash: entryHash(base) };
    await q('INSERT INTO audit_log (seq, prev, hash, time, actor, kind, payload) VALUES ($1, $2, $3, $4, $5, $6, $7)', [entry.seq, entry.prev, entry.hash, entry.time, entry.actor, entry.kind, canonical(entry.payload)]);
    return entry;
  }
}

export async function readLog(store: Store): Promise<AuditEntry[]> {
  const rows = await store.query<{ seq: string; prev: string; hash: string; time: string; actor: string; kind: string; payload: string }>('SELECT seq, prev, hash, time, actor, kind, payload FROM audit_log ORDER BY seq');
  return rows.map((r) => {
    const e = { seq: Number(r.seq), prev: r.prev, hash: r.hash, time: r.time, actor: r.actor, kind: r.kind };
    try {
      return { ...e, payload: JSON.parse(r.payload) as unknown };
    } catch (err) {
      // Only a hand-edited row holds non-JSON (appendEvent stores canonical JSON): keep the raw text so that
      // verification names the entry instead of the whole command failing.
      return { ...e, payload: r.payload, unreadable: `its stored payload is not JSON (${err instanceof Error ? err.message : String(err)})` };
    }
  });
}

/** The entries, refusing (naming the first) if any payload could not be read. */
export function readableEntries(entries: AuditEntry[]): AuditEntry[] {
  const bad = entries.find((e) => e.unreadable);
  if (bad) throw new UnreadableEntryError(`audit log entry ${bad.seq} (${bad.kind} by ${bad.actor}): ${bad.unreadable}; it was edited outside depwarden — run \`depwarden audit-log verify\``);
  return entries;
}

export interface Tampering {
  seq: number;
  kind: 'edited' | 'deleted' | 'inserted' | 'reordered' | 'truncated' | 'head-mismatch';
  message: string;
}

/**
 * Checks the chain in sequence order and names every break: an entry whose content no longer matches its hash
 * (edited), a gap in the sequence (deleted), an entry whose predecessor link does not match the entry before it
 * (inserted, or reordered when the hash it points to sits elsewhere in the log), and — against a head recorded
 * elsewhere (the repository's .depwarden/audit-head) — a shortened or rewritten tail.
 */
export function verifyLog(entries: AuditEntry[], head?: { seq: number; hash: string }): Tampering[] {
  const out: Tampering[] = [];
  const byHash = new Map(entries.map((e) => [e.hash, e]));
  let prev: AuditEntry | undefined;
  entries.forEach((e, i) => {
    if (prev && e.seq <= prev.seq) {
      out.push({ seq: e.seq, kind: 'reordered', message: `entry ${e.seq} comes after entry ${prev.seq} at position ${i + 1}: entries were reordered` });
      return;
    }
    const expectedSeq = prev ? prev.seq + 1 : 1;
    if (e.unreadable) out.push({ seq: e.seq, kind: 'edited', message: `entry ${e.seq} (${e.kind} by ${e.actor}) was edited: ${e.unreadable}` });
    else if (entryHash(e) !== e.hash) out.push({ seq: e.seq, kind: 'edited', message: `entry ${e.seq} (${e.kind} by ${e.actor}) was edited: its content no longer matches its hash` });
    if (e.seq > expectedSeq) out.push({ seq: expectedSeq, kind: 'deleted', message: `entr${e.seq - expectedSeq > 1 ? `ies ${expectedSeq}–${e.seq - 1} were` : `y ${expectedSeq} was`} deleted (the sequence jumps from ${expectedSeq - 1} to ${e.seq})` });
    const expectedPrev = prev?.hash ?? GENESIS;
    if (e.prev !== expectedPrev && e.seq <= expectedSeq) {
      const pointed = byHash.get(e.prev);
      if (pointed && pointed.seq !== e.seq - 1) out.push({ seq: e.seq, kind: 'reordered', message: `entry ${e.seq} follows entry ${pointed.seq} in the chain but sits at position ${i + 1}: entries were reordered` });
      else out.push({ seq: e.seq, kind: 'inserted', message: `entry ${e.seq} does not continue the chain from entry ${prev?.seq ?? 0}: it was inserted or replaced` });
    }
    prev = e;
  });
  if (head) {
    const last = entries[entries.length - 1];
    const at = entries.find((e) => e.seq === head.seq);
    // Not called tampering: switching stores (the embedded one to PostgreSQL) looks exactly like this too.
    if (!at) out.push({ seq: head.seq, kind: 'truncated', message: `this store does not hold the history the head was written from: the recorded head is entry ${head.seq} (${head.hash.slice(0, 12)}…) and this store ${last ? `ends at entry ${last.seq}` : 'has no entries'}. If the history is in another store, use that store or copy it with \`depwarden store migrate --to <url>\`; if not, entries were removed from the end of this one` });
    else if (at.hash !== head.hash) out.push({ seq: head.seq, kind: 'head-mismatch', message: `entry ${head.seq} does not have the hash recorded as the head: history was rewritten` });
  }
  return out;
}

export function exportJsonl(entries: AuditEntry[]): string {
  return entries.map((e) => canonical(e)).join('\n') + (entries.length ? '\n' : '');
}
