import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Scope } from '../serve/feature.ts';
import type { Store } from '../store/store.ts';
import { verifyToken } from '../api/tokens.ts';

/**
 * Dashboard sessions: a person signs in with an API token (`depwarden token create`) and the browser gets an
 * HttpOnly cookie holding a fresh 256-bit secret instead of the token. The store keeps sha256 of the secret and
 * the token's id; the session acts with the token's login and scope, and ends when the token is revoked or
 * expires, at its own expiry (12 h), or at sign-out. Kept in PostgreSQL like the tokens, so any replica accepts
 * it. Each session has its own CSRF secret, sent back by the page in `x-csrf-token` on every write.
 */

export const SESSION_COOKIE = 'dw_session';
const LIFETIME_MS = 12 * 3_600_000;

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export interface Session {
  id: string;
  tokenId: string;
  login: string;
  scope: Exclude<Scope, 'public'>;
  csrf: string;
  expires: string;
}

/** Opens a session for a valid token; the cookie value is returned once, never stored. */
export async function openSession(store: Store, token: string, now = new Date()): Promise<{ ok: true; cookie: string; session: Session } | { ok: false; reason: string }> {
  const v = await verifyToken(store, token.trim(), now);
  if (!v.ok) return v;
  const tok = (await store.query<{ expires: string | Date | null }>('SELECT expires FROM api_tokens WHERE id = $1', [v.id]))[0];
  const ends = Math.min(now.getTime() + LIFETIME_MS, tok?.expires ? new Date(tok.expires).getTime() : Infinity);
  const id = randomBytes(9).toString('base64url');
  const secret = randomBytes(32).toString('base64url');
  const csrf = randomBytes(32).toString('base64url');
  const expires = new Date(ends).toISOString();
  // Sessions past their expiry are removed here rather than by a job: sign-ins are rare and this keeps the table small.
  await store.query('DELETE FROM web_sessions WHERE expires < $1', [now.toISOString()]);
  await store.query('INSERT INTO web_sessions (id, hash, token_id, csrf, expires) VALUES ($1, $2, $3, $4, $5)', [id, sha256(`${id}.${secret}`), v.id, csrf, expires]);
  return { ok: true, cookie: `${id}.${secret}`, session: { id, tokenId: v.id, login: v.login, scope: v.scope, csrf, expires } };
}

interface Row {
  id: string;
  hash: string;
  token_id: string;
  csrf: string;
  expires: string | Date;
  login: string | null;
  scope: Session['scope'] | null;
  t_expires: string | Date | null;
  revoked: string | Date | null;
}

/** The session a cookie value names, or why not (unknown, expired, its token revoked or expired). */
export async function readSession(store: Store, cookie: string, now = new Date()): Promise<{ ok: true; session: Session } | { ok: false; reason: string }> {
  const m = /^([A-Za-z0-9_-]{12})\.[A-Za-z0-9_-]{43}$/.exec(cookie);
  if (!m) return { ok: false, reason: 'malformed session cookie' };
  const r = (await store.query<Row>('SELECT s.id, s.hash, s.token_id, s.csrf, s.expires, t.login, t.scope, t.expires AS t_expires, t.revoked FROM web_sessions s LEFT JOIN api_tokens t ON t.id = s.token_id WHERE s.id = $1', [m[1]]))[0];
  const want = Buffer.from(r?.hash ?? '0'.repeat(64), 'hex');
  if (!r || !timingSafeEqual(want, Buffer.from(sha256(cookie), 'hex'))) return { ok: false, reason: 'unknown session: sign in again' };
  if (new Date(r.expires) <= now) return { ok: false, reason: 'session expired: sign in again' };
  if (!r.login || !r.scope || r.revoked || (r.t_expires && new Date(r.t_expires) <= now)) return { ok: false, reason: 'the token of this session was revoked or has expired: sign in with a current token' };
  return { ok: true, session: { id: r.id, tokenId: r.token_id, login: r.login, scope: r.scope, csrf: r.csrf, expires: new Date(r.expires).toISOString() } };
}

export async function closeSession(store: Store, id: string): Promise<void> {
  await store.query('DELETE FROM web_sessions WHERE id = $1', [id]);
}

/** Constant-time comparison of the CSRF header with the session's secret. */
export function csrfMatches(session: Session, given: string | undefined): boolean {
  if (!given) return false;
  const a = Buffer.from(session.csrf);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

export function cookieValue(header: string | undefined, name: string): string | undefined {
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Set-Cookie for the session (or its removal with `value` null). */
export function sessionCookie(value: string | null, secure: boolean, expires?: string): string {
  const base = `${SESSION_COOKIE}=${value ?? ''}; Path=/; HttpOnly; SameSite=Strict${secure ? '; Secure' : ''}`;
  return value === null ? `${base}; Max-Age=0` : `${base}${expires ? `; Expires=${new Date(expires).toUTCString()}` : ''}`;
}
