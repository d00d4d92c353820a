import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Store } from '../store/store.ts';
import type { Scope } from '../serve/feature.ts';

/**
 * API tokens: `dw_<id>_<secret>` with a 256-bit random secret. Only sha256 of the whole token is stored (a
 * high-entropy secret needs no slow hash), looked up by its id and compared in constant time. The token is shown
 * once, at creation.
 */

export type TokenScope = Exclude<Scope, 'public'>;
export const TOKEN_SCOPES: TokenScope[] = ['read', 'write', 'admin'];
const RANK: Record<Scope, number> = { public: 0, read: 1, write: 2, admin: 3 };

export function scopeAllows(have: Scope, need: Scope): boolean {
  return RANK[have] >= RANK[need];
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface TokenInfo {
  id: string;
  login: string;
  scope: TokenScope;
  created: string;
  expires: string | null;
  revoked: string | null;
  lastUsed: string | null;
}

/** "90d", "12h", "30m", "never". */
export function parseExpiry(s: string, now: Date): Date | null {
  if (s === 'never') return null;
  const m = /^(\d{1,5})([dhm])$/.exec(s);
  if (!m) throw new RangeError(`invalid --expires ${JSON.stringify(s)}: a number of days, hours or minutes (90d, 12h, 30m) or "never"`);
  const ms = Number(m[1]) * (m[2] === 'd' ? 86_400_000 : m[2] === 'h' ? 3_600_000 : 60_000);
  return new Date(now.getTime() + ms);
}

export const LOGIN = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,99}$/;

export async function createToken(store: Store, login: string, scope: TokenScope, expires: Date | null): Promise<{ token: string; info: TokenInfo }> {
  if (!LOGIN.test(login)) throw new RangeError(`invalid login ${JSON.stringify(login)}`);
  const id = randomBytes(6).toString('hex');
  const token = `dw_${id}_${randomBytes(32).toString('base64url')}`;
  const row = (await store.query<Row>('INSERT INTO api_tokens (id, login, scope, hash, expires) VALUES ($1, $2, $3, $4, $5) RETURNING *', [id, login, scope, sha256(token), expires?.toISOString() ?? null]))[0]!;
  return { token, info: toInfo(row) };
}

interface Row {
  id: string;
  login: string;
  scope: TokenScope;
  hash: string;
  created: string | Date;
  expires: string | Date | null;
  revoked: string | Date | null;
  last_used: string | Date | null;
}

const iso = (d: string | Date | null): string | null => (d === null ? null : new Date(d).toISOString());
const toInfo = (r: Row): TokenInfo => ({ id: r.id, login: r.login, scope: r.scope, created: iso(r.created)!, expires: iso(r.expires), revoked: iso(r.revoked), lastUsed: iso(r.last_used) });

export async function listTokens(store: Store): Promise<TokenInfo[]> {
  return (await store.query<Row>('SELECT * FROM api_tokens ORDER BY created, id')).map(toInfo);
}

export async function revokeToken(store: Store, id: string): Promise<boolean> {
  return (await store.query('UPDATE api_tokens SET revoked = now() WHERE id = $1 AND revoked IS NULL RETURNING id', [id])).length === 1;
}

/** The token's owner and scope, or why it is refused. */
export async function verifyToken(store: Store, token: string, now: Date): Promise<{ ok: true; id: string; login: string; scope: TokenScope } | { ok: false; reason: string }> {
  const m = /^dw_([0-9a-f]{12})_[A-Za-z0-9_-]{43}$/.exec(token);
  if (!m) return { ok: false, reason: 'malformed token' };
  const row = (await store.query<Row>('SELECT * FROM api_tokens WHERE id = $1', [m[1]]))[0];
  // Compared even when there is no row, so timing says nothing about which ids exist.
  const want = Buffer.from(row?.hash ?? '0'.repeat(64), 'hex');
  const got = Buffer.from(sha256(token), 'hex');
  if (!row || !timingSafeEqual(want, got)) return { ok: false, reason: 'unknown token' };
  if (row.revoked) return { ok: false, reason: 'token revoked' };
  if (row.expires && new Date(row.expires) <= now) return { ok: false, reason: 'token expired' };
  // Coarse (once a minute) so reads do not turn into a write each.
  if (!row.last_used || now.getTime() - new Date(row.last_used).getTime() > 60_000) await store.query('UPDATE api_tokens SET last_used = $2 WHERE id = $1', [row.id, now.toISOString()]);
  return { ok: true, id: row.id, login: row.login, scope: row.scope };
}
