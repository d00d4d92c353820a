import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { appendEvent } from '../governance/audit-log.ts';
import type { Store } from '../store/store.ts';
import { redactSecrets } from '../util/redact.ts';
import type { ApiResponse, ApiRoute, Logger, RegisteredRepo, RequestContext, Scope } from '../serve/feature.ts';
import { cookieValue, csrfMatches, readSession, SESSION_COOKIE } from '../web/sessions.ts';
import { RateLimiter } from './rate-limit.ts';
import { scopeAllows, verifyToken } from './tokens.ts';

/**
 * The one router of `depwarden serve`: every route (the server's own and every feature's) is an ApiRoute, matched
 * by method and path template, authenticated by scope, validated by its zod schemas, and answered with security
 * headers, ETags on reads and a JSON error body `{ error, issues? }` otherwise. node:http underneath: the routes
 * are declarative data (the OpenAPI document is generated from the same list), so a framework would add a second
 * way to declare them and little else.
 */

export interface RouterOptions {
  store: Store;
  log: Logger;
  repos(): Promise<RegisteredRepo[]>;
  /** Largest request body accepted (bytes). */
  bodyLimit: number;
  /** /metrics needs no token (`metrics.public`). */
  metricsPublic: boolean;
  rateLimit: { perToken: number; perAddress: number; windowSeconds: number };
  /** The data dir's local credential (server.json): admin for whoever can read the data dir. */
  localToken: string;
  now?: () => Date;
}

interface Compiled {
  route: ApiRoute;
  re: RegExp;
  names: string[];
}

export class HttpProblem extends Error {
  readonly status: number;
  readonly issues?: { path: string; message: string }[];
  readonly headers?: Record<string, string>;
  constructor(status: number, message: string, extra: { issues?: { path: string; message: string }[]; headers?: Record<string, string> } = {}) {
    super(message);
    this.status = status;
    if (extra.issues) this.issues = extra.issues;
    if (extra.headers) this.headers = extra.headers;
  }
}

const SECURITY_HEADERS: Record<string, string> = {
  'x-content-type-options': 'nosniff',
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'content-security-policy': "default-src 'none'; frame-ancestors 'none'",
  'cross-origin-resource-policy': 'same-origin',
  'cache-control': 'no-cache',
};

function compile(route: ApiRoute): Compiled {
  const names: string[] = [];
  const re = new RegExp(`^${route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{([A-Za-z_][A-Za-z0-9_]*)\}/g, (_m, n: string) => (names.push(n), '([^/]+)'))}$`);
  return { route, re, names };
}

export function zodIssues(e: z.ZodError): { path: string; message: string }[] {
  return e.issues.map((i) => ({ path: i.path.map(String).join('.') || '(root)', message: i.message }));
}

export class Router {
  private readonly routes: Compiled[] = [];
  private readonly limiter: RateLimiter;
  private readonly o: RouterOptions;
  constructor(o: RouterOptions) {
    this.o = o;
    this.limiter = new RateLimiter(o.rateLimit.windowSeconds);
  }

  add(routes: ApiRoute[]): void {
    for (const r of routes) {
      if (this.routes.some((c) => c.route.method === r.method && c.route.path === r.path)) throw new Error(`route ${r.method} ${r.path} is declared twice`);
      this.routes.push(compile(r));
    }
  }

  list(): ApiRoute[] {
    return this.routes.map((c) => c.route);
  }

  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const started = performance.now();
    const url = new URL(req.url ?? '/', 'http://localhost');
    let status = 500;
    try {
      const r = await this.dispatch(req, url);
      status = r.status;
      send(res, r, req.method === 'HEAD');
    } catch (e) {
      const p = e instanceof HttpProblem ? e : undefined;
      status = p?.status ?? 500;
      if (!p) this.o.log.error('request failed', { method: req.method, path: url.pathname, error: redactSecrets(e instanceof Error ? (e.stack ?? e.message) : String(e)) });
      send(res, { status, body: { error: p ? p.message : 'internal error', ...(p?.issues ? { issues: p.issues } : {}) }, ...(p?.headers ? { headers: p.headers } : {}) }, false);
    } finally {
      // Refusals, failures and slow answers are logged; a log line per successful read would cost more than the read.
      const ms = Math.round(performance.now() - started);
      if (status >= 400 || ms > 1000 || req.method !== 'GET') (status >= 500 ? this.o.log.error : this.o.log.info)('request', { method: req.method, path: url.pathname, status, ms });
    }
  }

  private async dispatch(req: IncomingMessage, url: URL): Promise<ApiResponse> {
    const method = req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET');
    let found: { c: Compiled; params: Record<string, string> } | undefined;
    let pathMatched = false;
    for (const c of this.routes) {
      const m = c.re.exec(url.pathname);
      if (!m) continue;
      pathMatched = true;
      if (c.route.method !== method) continue;
      let params: Record<string, string>;
      try {
        params = Object.fromEntries(c.names.map((n, i) => [n, decodeURIComponent(m[i + 1]!)]));
      } catch {
        throw new HttpProblem(400, 'malformed percent-encoding in the path');
      }
      found = { c, params };
      break;
    }
    const address = req.socket.remoteAddress ?? 'unknown';
    // Addresses are limited before anything else is done for them, found or not.
    this.limit(`addr:${address}`, this.o.rateLimit.perAddress);
    if (!found) throw new HttpProblem(pathMatched ? 405 : 404, pathMatched ? `method ${method} not allowed here` : `no route ${url.pathname}`);
    const { route } = found.c;
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k.toLowerCase(), Array.isArray(v) ? v.join(', ') : v]));
    const scope: Scope = route.path === '/metrics' && this.o.metricsPublic ? 'public' : route.scope;
    const who = await this.authenticate(headers, scope, method);
    if (who) this.limit(`token:${who.id}`, this.o.rateLimit.perToken);
    const rawBody = method === 'GET' ? Buffer.alloc(0) : await readBody(req, this.o.bodyLimit);
    let body: unknown;
    if (route.body && !route.rawBody) {
      let parsed: unknown;
      try {
        parsed = rawBody.length ? JSON.parse(rawBody.toString('utf8')) : undefined;
      } catch (e) {
        throw new HttpProblem(400, `the body is not JSON: ${e instanceof Error ? e.message : String(e)}`);
      }
      const r = route.body.safeParse(parsed);
      if (!r.success) throw new HttpProblem(400, 'invalid request body', { issues: zodIssues(r.error) });
      body = r.data;
    }
    if (route.query) {
      const r = route.query.safeParse(Object.fromEntries(url.searchParams));
      if (!r.success) throw new HttpProblem(400, 'invalid query parameters', { issues: zodIssues(r.error).map((i) => ({ ...i, path: `query.${i.path}` })) });
    }
    let audited = false;
    const ctx: RequestContext = {
      store: this.o.store,
      params: found.params,
      query: url.searchParams,
      headers,
      rawBody,
      body,
      login: who?.login,
      ...(who ? { scope: who.scope } : {}),
      tls: (req.socket as { encrypted?: boolean }).encrypted === true || headers['x-forwarded-proto'] === 'https',
      audit: async (kind, payload) => {
        audited = true;
        await appendEvent(this.o.store, { actor: who?.login ?? 'anonymous', kind, payload: { ...payload, via: 'api' } });
      },
      log: this.o.log,
      repos: this.o.repos,
    };
    // Cached reads: the same URL at the same data version gets the same bytes (and ETag) without the handler.
    const version = method === 'GET' && route.cacheVersion ? `${await route.cacheVersion(ctx)}\0${url.pathname}${url.search}` : undefined;
    if (version) {
      const hit = this.cache.get(version);
      if (hit) return conditional(hit, headers['if-none-match']);
    }
    const out = await route.handler(ctx);
    if (version && out.status === 200) {
      const tagged = withEtag(out, undefined);
      this.remember(version, tagged);
      return conditional(tagged, headers['if-none-match']);
    }
    // Every successful write by a token holder is in the audit log, whether or not the handler wrote a more
    // specific event.
    if (method !== 'GET' && who && out.status < 400 && !audited) await ctx.audit('api_write', { method, path: url.pathname, status: out.status });
    if (method === 'GET' && out.status === 200) return withEtag(out, headers['if-none-match']);
    return out;
  }

  private readonly cache = new Map<string, ApiResponse>();

  private remember(key: string, r: ApiResponse): void {
    // Bounded, oldest first (Map keeps insertion order).
    if (this.cache.size >= 512) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(key, r);
  }

  private limit(key: string, max: number): void {
    const wait = this.limiter.take(key, max);
    if (wait > 0) throw new HttpProblem(429, 'too many requests', { headers: { 'retry-after': String(wait) } });
  }

  /**
   * A bearer token, else the dashboard's session cookie. A cookie is sent by the browser on its own, so a write
   * by cookie also needs the session's CSRF secret in `x-csrf-token` (bearer tokens are never sent implicitly).
   */
  private async authenticate(headers: Record<string, string | undefined>, scope: Scope, method: string): Promise<{ id: string; login: string; scope: Scope } | undefined> {
    const bearer = /^Bearer\s+(\S+)$/i.exec(headers.authorization ?? '')?.[1];
    const cookie = bearer ? undefined : cookieValue(headers.cookie, SESSION_COOKIE);
    if (!bearer && cookie && scope !== 'public') {
      const s = await readSession(this.o.store, cookie, (this.o.now ?? (() => new Date()))());
      if (!s.ok) throw new HttpProblem(401, s.reason);
      if (method !== 'GET' && !csrfMatches(s.session, headers['x-csrf-token'])) throw new HttpProblem(403, 'a write from a dashboard session needs its CSRF token in x-csrf-token');
      if (!scopeAllows(s.session.scope, scope)) throw new HttpProblem(403, `this route needs a ${scope} token; this session's is ${s.session.scope}`);
      return { id: s.session.tokenId, login: s.session.login, scope: s.session.scope };
    }
    if (!bearer) {
      if (scope === 'public') return undefined;
      throw new HttpProblem(401, 'a bearer token is required (Authorization: Bearer <token>; create one with `depwarden token create`)', { headers: { 'www-authenticate': 'Bearer realm="depwarden"' } });
    }
    let who: { id: string; login: string; scope: Scope } | undefined;
    const local = Buffer.from(this.o.localToken);
    const given = Buffer.from(bearer);
    if (given.length === local.length && timingSafeEqual(given, local)) who = { id: 'local', login: `local:${process.env.USER ?? 'owner'}`, scope: 'admin' };
    else {
      const v = await verifyToken(this.o.store, bearer, (this.o.now ?? (() => new Date()))());
      if (!v.ok) throw new HttpProblem(401, v.reason, { headers: { 'www-authenticate': 'Bearer realm="depwarden", error="invalid_token"' } });
      who = v;
    }
    if (!scopeAllows(who.scope, scope)) throw new HttpProblem(403, `this route needs a ${scope} token; this one is ${who.scope}`);
    return who;
  }
}

export function newLocalToken(): string {
  return `dwlocal_${randomBytes(32).toString('base64url')}`;
}

async function readBody(req: IncomingMessage, limit: number): Promise<Buffer> {
  const declared = Number(req.headers['content-length'] ?? 0);
  if (declared > limit) {
    req.resume();
    throw new HttpProblem(413, `the body is larger than ${limit} bytes`);
  }
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > limit) {
      req.resume();
      throw new HttpProblem(413, `the body is larger than ${limit} bytes`);
    }
    chunks.push(c);
  }
  return Buffer.concat(chunks);
}

function serialise(r: ApiResponse): { body: Buffer | string; type: string } {
  if (r.contentType) return { body: r.body === undefined ? '' : Buffer.isBuffer(r.body) ? r.body : String(r.body), type: r.contentType };
  return { body: r.body === undefined ? '' : `${JSON.stringify(r.body)}\n`, type: 'application/json; charset=utf-8' };
}

/** Strong ETag of the representation; 304 when the client has it. */
function withEtag(r: ApiResponse, ifNoneMatch: string | undefined): ApiResponse {
  const s = serialise(r);
  const tag = `"${createHash('sha256').update(s.body).digest('base64url').slice(0, 27)}"`;
  const headers = { ...r.headers, etag: tag };
  if (ifNoneMatch && ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === tag || t === '*')) return { status: 304, headers };
  return { ...r, body: s.body, contentType: s.type, headers };
}

/** A tagged answer, or 304 when the client already has it. */
function conditional(r: ApiResponse, ifNoneMatch: string | undefined): ApiResponse {
  const tag = r.headers?.etag;
  if (tag && ifNoneMatch && ifNoneMatch.split(',').map((t) => t.trim().replace(/^W\//, '')).some((t) => t === tag || t === '*')) return { status: 304, headers: { etag: tag } };
  return r;
}

function send(res: ServerResponse, r: ApiResponse, head: boolean): void {
  const s = r.status === 304 || r.status === 204 ? { body: '', type: undefined } : serialise(r);
  res.statusCode = r.status;
  for (const [k, v] of Object.entries(SECURITY_HEADERS)) res.setHeader(k, v);
  for (const [k, v] of Object.entries(r.headers ?? {})) res.setHeader(k, v);
  if (s.type) res.setHeader('content-type', s.type);
  if (s.body !== '') res.setHeader('content-length', Buffer.byteLength(s.body));
  res.end(head ? undefined : s.body);
}

/** Cursor pagination: `?limit=` (1–500, default 100) and the opaque `?cursor=` of the previous page. */
export const pageQuery = z.object({
  limit: z.coerce.number().int().min(1).max(500).optional().describe('page size (default 100)'),
  cursor: z.string().max(200).optional().describe('the `next` cursor of the previous page'),
});

export function pageParams(q: URLSearchParams): { limit: number; after: string | undefined } {
  const limit = Number(q.get('limit') ?? 100);
  const c = q.get('cursor');
  let after: string | undefined;
  if (c) {
    try {
      after = Buffer.from(c, 'base64url').toString('utf8');
    } catch {
      throw new HttpProblem(400, 'invalid cursor');
    }
  }
  return { limit, after };
}

/** One page of `items` sorted by `key`: those after the cursor, at most `limit`, and the cursor of the next. */
export function paginate<T>(items: T[], key: (t: T) => string, q: URLSearchParams): { items: T[]; next: string | null } {
  const { limit, after } = pageParams(q);
  const start = after === undefined ? 0 : items.findIndex((t) => key(t) > after);
  const from = start < 0 ? items.length : start;
  const page = items.slice(from, from + limit);
  const more = from + limit < items.length;
  return { items: page, next: more && page.length ? Buffer.from(key(page.at(-1)!)).toString('base64url') : null };
}

export const pageOf = <T extends z.ZodType>(item: T) => z.object({ items: z.array(item), next: z.string().nullable() });
