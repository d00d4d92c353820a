import { z } from 'zod';
import { appendEvent } from '../governance/audit-log.ts';
import { openReviews } from '../governance/emergency.ts';
import { HttpProblem } from '../api/router.ts';
import type { ApiResponse, ApiRoute, RequestContext, ServeFeature } from '../serve/feature.ts';
import { assets, pickEncoding } from './assets.ts';
import { fleetAdvisories, fleetHistory, fleetOverview } from './fleet.ts';
import { PAGE_CSP, shellHtml, signInHtml } from './pages.ts';
import { closeSession, cookieValue, openSession, readSession, SESSION_COOKIE, sessionCookie } from './sessions.ts';

/**
 * The dashboard inside `depwarden serve`: the pages at `/` (an app shell whose modules read the public API with
 * the session cookie), the sign-in form, the bundled assets, and the API routes the pages need that the rest of
 * the API lacked (the fleet overview, advisories across the fleet, open reviews, the session itself). Whatever a
 * person sees here, an API client can fetch from the same routes.
 */

// `same-origin` referrers (not the API's `no-referrer`) so the sign-in form's post carries its Origin.
const html = (status: number, body: string, headers: Record<string, string> = {}): ApiResponse => ({ status, body, contentType: 'text/html; charset=utf-8', headers: { 'content-security-policy': PAGE_CSP, 'referrer-policy': 'same-origin', ...headers } });

/**
 * Someone else's page must not sign a browser in to this server (login CSRF): a cross-site post is refused. The
 * browser's Sec-Fetch-Site says so directly; without it (older browsers, curl), an Origin naming another host.
 */
function sameOrigin(ctx: RequestContext): boolean {
  const site = ctx.headers['sec-fetch-site'];
  if (site) return site === 'same-origin' || site === 'none';
  const origin = ctx.headers.origin;
  if (origin === undefined) return true;
  try {
    return new URL(origin).host === ctx.headers.host;
  } catch {
    return false;
  }
}

async function signedIn(ctx: RequestContext): Promise<boolean> {
  const c = cookieValue(ctx.headers.cookie, SESSION_COOKIE);
  return c !== undefined && (await readSession(ctx.store, c)).ok;
}

async function signIn(ctx: RequestContext, token: string): Promise<{ ok: true; cookie: string; body: Record<string, unknown> } | { ok: false; reason: string }> {
  const s = await openSession(ctx.store, token);
  if (!s.ok) return s;
  await appendEvent(ctx.store, { actor: s.session.login, kind: 'session_opened', payload: { session: s.session.id, token: s.session.tokenId, scope: s.session.scope, via: 'dashboard' } });
  return { ok: true, cookie: sessionCookie(s.cookie, ctx.tls === true, s.session.expires), body: { login: s.session.login, scope: s.session.scope, csrf: s.session.csrf, expires: s.session.expires } };
}

const sessionOut = z.object({ login: z.string(), scope: z.enum(['read', 'write', 'admin']), csrf: z.string().nullable(), expires: z.string().nullable(), via: z.enum(['session', 'bearer']) });

const routes: ApiRoute[] = [
  {
    method: 'GET',
    path: '/',
    scope: 'public',
    summary: 'The dashboard (redirects to /sign-in without a session)',
    tags: ['dashboard'],
    handler: async (ctx) => ((await signedIn(ctx)) ? html(200, shellHtml()) : { status: 303, headers: { location: '/sign-in' } }),
  },
  { method: 'GET', path: '/sign-in', scope: 'public', summary: 'The sign-in form (an API token → a session cookie)', tags: ['dashboard'], handler: async () => html(200, signInHtml()) },
  {
    method: 'POST',
    path: '/sign-in',
    scope: 'public',
    rawBody: true,
    summary: 'Sign in from the form (application/x-www-form-urlencoded `token`); 303 to / with the session cookie',
    tags: ['dashboard'],
    handler: async (ctx) => {
      if (!sameOrigin(ctx)) return html(403, signInHtml('This sign-in came from another site and was refused.'));
      const token = new URLSearchParams(ctx.rawBody.toString('utf8')).get('token') ?? '';
      const r = await signIn(ctx, token);
      if (!r.ok) return html(401, signInHtml(`Sign-in refused: ${r.reason}.`));
      return { status: 303, headers: { location: '/', 'set-cookie': r.cookie } };
    },
  },
  {
    method: 'GET',
    path: '/assets/{version}/{file}',
    scope: 'public',
    summary: "The dashboard's bundled scripts and styles (immutable: the path holds the set's hash)",
    tags: ['dashboard'],
    handler: async (ctx) => {
      const set = assets();
      const a = set.files.get(ctx.params.file!);
      if (!a) throw new HttpProblem(404, `no asset ${ctx.params.file}`);
      const enc = pickEncoding(ctx.headers['accept-encoding']);
      // An old version's URL still answers (a page loaded before a restart), but is not cached for good.
      const cache = ctx.params.version === set.version ? 'public, max-age=31536000, immutable' : 'no-cache';
      return { status: 200, body: enc ? a[enc] : a.raw, contentType: a.type, headers: { 'cache-control': cache, vary: 'accept-encoding', ...(enc ? { 'content-encoding': enc } : {}) } };
    },
  },
  {
    method: 'POST',
    path: '/api/v1/session',
    scope: 'public',
    summary: 'Sign in: exchange an API token for a dashboard session (HttpOnly cookie) and its CSRF token',
    tags: ['dashboard'],
    body: z.object({ token: z.string().min(1).max(200) }).strict(),
    response: sessionOut,
    handler: async (ctx) => {
      if (!sameOrigin(ctx)) throw new HttpProblem(403, 'sign-in from another origin refused');
      const r = await signIn(ctx, (ctx.body as { token: string }).token);
      if (!r.ok) throw new HttpProblem(401, r.reason);
      return { status: 201, body: { ...r.body, via: 'session' }, headers: { 'set-cookie': r.cookie } };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/session',
    scope: 'read',
    summary: 'Who is signed in: login, scope, and the CSRF token every write of this session sends in x-csrf-token',
    tags: ['dashboard'],
    response: sessionOut,
    handler: async (ctx) => {
      const c = cookieValue(ctx.headers.cookie, SESSION_COOKIE);
      const s = c && !ctx.headers.authorization ? await readSession(ctx.store, c) : undefined;
      if (s?.ok) return { status: 200, body: { login: s.session.login, scope: s.session.scope, csrf: s.session.csrf, expires: s.session.expires, via: 'session' } };
      return { status: 200, body: { login: ctx.login, scope: ctx.scope, csrf: null, expires: null, via: 'bearer' } };
    },
  },
  {
    method: 'DELETE',
    path: '/api/v1/session',
    scope: 'read',
    summary: 'Sign out: ends this dashboard session (needs x-csrf-token like every cookie write)',
    tags: ['dashboard'],
    handler: async (ctx) => {
      const c = cookieValue(ctx.headers.cookie, SESSION_COOKIE);
      const s = c && !ctx.headers.authorization ? await readSession(ctx.store, c) : undefined;
      if (!s?.ok) throw new HttpProblem(400, 'no dashboard session to end (bearer tokens are revoked with DELETE /api/v1/tokens/{id})');
      await closeSession(ctx.store, s.session.id);
      await ctx.audit('session_closed', { session: s.session.id });
      return { status: 204, headers: { 'set-cookie': sessionCookie(null, ctx.tls === true) } };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/fleet',
    scope: 'read',
    summary: 'The fleet overview: per service vulnerabilities by severity, pinning compliance, outdated and libyears, build, coverage, health, last deploy, a vulnerability trend, owners (CODEOWNERS) and whether it needs the caller; and a summary',
    tags: ['dashboard'],
    handler: async (ctx) => ({ status: 200, body: await fleetOverview(ctx.store, await ctx.repos(), ctx.login) }),
  },
  {
    method: 'GET',
    path: '/api/v1/fleet/history',
    scope: 'read',
    summary: "The fleet over time: after each audit or outdated snapshot, vulnerabilities by severity and libyears summed over every service's newest snapshot (at most 200 points, oldest first)",
    tags: ['dashboard'],
    handler: async (ctx) => ({ status: 200, body: await fleetHistory(ctx.store, new Set((await ctx.repos()).map((r) => r.name))) }),
  },
  {
    method: 'GET',
    path: '/api/v1/advisories',
    scope: 'read',
    summary: 'Advisories affecting the fleet now (newest audit of each service), most severe first, with the services they affect',
    tags: ['dashboard', 'vulnerabilities'],
    handler: async (ctx) => ({ status: 200, body: { items: await fleetAdvisories(ctx.store, new Set((await ctx.repos()).map((r) => r.name))) } }),
  },
  {
    method: 'GET',
    path: '/api/v1/advisories/{id}',
    scope: 'read',
    summary: 'One advisory (by its id or an alias): the services and versions it affects, fix versions, triage per service',
    tags: ['dashboard', 'vulnerabilities'],
    handler: async (ctx) => {
      const all = await fleetAdvisories(ctx.store, new Set((await ctx.repos()).map((r) => r.name)));
      const a = all.find((x) => x.id === ctx.params.id || x.aliases.includes(ctx.params.id!));
      if (!a) throw new HttpProblem(404, `advisory ${ctx.params.id} affects no service of the fleet now`);
      return { status: 200, body: a };
    },
  },
  {
    method: 'GET',
    path: '/api/v1/reviews',
    scope: 'read',
    summary: 'Post-update reviews still owed (emergency merges and manual rollbacks): role, due time, whether overdue',
    tags: ['governance'],
    handler: async (ctx) => {
      const now = Date.now();
      return { status: 200, body: { items: (await openReviews(ctx.store)).map((r) => ({ ...r, overdue: Date.parse(r.due) < now })) } };
    },
  },
];

export const dashboardFeature: ServeFeature = { name: 'dashboard', routes };
