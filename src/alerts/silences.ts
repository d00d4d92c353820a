import { randomBytes } from 'node:crypto';
import type { Store } from '../store/store.ts';
import { severityRank } from './message.ts';

/**
 * Silences: a matcher (rule, service, repo, severity, dedupKey — every given one must hold), a reason, an author
 * and an expiry. While one matches, a firing alert is not sent; when it expires (or is deleted) with the condition
 * still true, the alert is sent again at the next evaluation. Creation and deletion are audit events (the API
 * and CLI append them).
 */

export interface Matchers {
  rule?: string | undefined;
  service?: string | undefined;
  repo?: string | undefined;
  /** At or above. */
  severity?: string | undefined;
  dedupKey?: string | undefined;
}

export interface Silence {
  id: string;
  matchers: Matchers;
  reason: string;
  author: string;
  created: string;
  expiresAt: string;
  deletedAt: string | null;
  active: boolean;
}

interface Row {
  id: string;
  matchers: Matchers | string;
  reason: string;
  author: string;
  created: string | Date;
  expires_at: string | Date;
  deleted_at: string | Date | null;
}

const iso = (v: string | Date): string => new Date(v).toISOString();

function toSilence(r: Row, now: Date): Silence {
  const expiresAt = iso(r.expires_at);
  return { id: r.id, matchers: typeof r.matchers === 'string' ? (JSON.parse(r.matchers) as Matchers) : r.matchers, reason: r.reason, author: r.author, created: iso(r.created), expiresAt, deletedAt: r.deleted_at ? iso(r.deleted_at) : null, active: !r.deleted_at && Date.parse(expiresAt) > now.getTime() };
}

export function silenceMatches(m: Matchers, a: { rule: string; service?: string | null | undefined; repo?: string | null | undefined; severity: string; dedupKey: string }): boolean {
  if (m.rule !== undefined && !(m.rule.endsWith('*') ? a.rule.startsWith(m.rule.slice(0, -1)) : a.rule === m.rule)) return false;
  if (m.service !== undefined && (a.service ?? '') !== m.service) return false;
  if (m.repo !== undefined && (a.repo ?? '') !== m.repo) return false;
  if (m.severity !== undefined && severityRank(a.severity) < severityRank(m.severity)) return false;
  if (m.dedupKey !== undefined && a.dedupKey !== m.dedupKey) return false;
  return true;
}

export class SilenceError extends Error {}

export async function createSilence(store: Store, s: { matchers: Matchers; reason: string; author: string; expiresAt: string }, now: Date): Promise<Silence> {
  const matchers = Object.fromEntries(Object.entries(s.matchers).filter(([, v]) => v !== undefined && v !== '')) as Matchers;
  if (Object.keys(matchers).length === 0) throw new SilenceError('a silence needs at least one matcher (rule, service, repo, severity or dedupKey)');
  const expires = Date.parse(s.expiresAt);
  if (Number.isNaN(expires)) throw new SilenceError(`expiresAt ${s.expiresAt} is not an ISO 8601 time`);
  if (expires <= now.getTime()) throw new SilenceError('expiresAt is in the past');
  if (!s.reason.trim()) throw new SilenceError('a silence needs a reason');
  const id = `sil_${randomBytes(6).toString('hex')}`;
  await store.query('INSERT INTO alert_silences (id, matchers, reason, author, created, expires_at) VALUES ($1, $2, $3, $4, $5, $6)', [id, JSON.stringify(matchers), s.reason, s.author, now.toISOString(), new Date(expires).toISOString()]);
  return (await getSilence(store, id, now))!;
}

export async function getSilence(store: Store, id: string, now: Date): Promise<Silence | undefined> {
  const r = (await store.query<Row>('SELECT * FROM alert_silences WHERE id = $1', [id]))[0];
  return r ? toSilence(r, now) : undefined;
}

/** Active silences, or all of them (deleted and expired too) with `all`. */
export async function listSilences(store: Store, now: Date, all = false): Promise<Silence[]> {
  const rows = await store.query<Row>('SELECT * FROM alert_silences ORDER BY created, id');
  return rows.map((r) => toSilence(r, now)).filter((s) => all || s.active);
}

/** Ends a silence now; false when there is no active one with that id. */
export async function deleteSilence(store: Store, id: string, now: Date): Promise<boolean> {
  const r = await store.query<{ id: string }>('UPDATE alert_silences SET deleted_at = $2 WHERE id = $1 AND deleted_at IS NULL AND expires_at > $2 RETURNING id', [id, now.toISOString()]);
  return r.length > 0;
}
