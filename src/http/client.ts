import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Agent } from 'undici';

/**
 * The one HTTP client: host allow-list, deadlines, retries with exponential backoff and jitter, `Retry-After`,
 * a size cap, a per-host circuit breaker (breaker.ts), and error messages with credentials redacted. Built on
 * undici's fetch, with an Agent per deadline setting (connect and first-byte deadlines are socket-level).
 */

/**
 * How long one call may take. `connectMs` and `firstByteMs` bound each attempt (a TCP+TLS connection; the
 * response headers after the request was sent, and any later pause between body bytes); `totalMs` bounds the
 * whole call, retries and backoff included, so a server that trickles bytes or a run of retries cannot hold a
 * URL longer than that.
 */
export interface Deadlines {
  connectMs: number;
  firstByteMs: number;
  totalMs: number;
}

/** Documented in docs/datasources.md and the `http:` section of depwarden.yaml. */
export const DEFAULT_DEADLINES: Deadlines = { connectMs: 10_000, firstByteMs: 30_000, totalMs: 120_000 };

export interface FetchOptions {
  /** Hosts this call may reach (exact host names). file:// URLs need no host. */
  allowHosts: string[];
  /** Deprecated alias of deadlines.totalMs. */
  timeoutMs?: number;
  deadlines?: Partial<Deadlines>;
  retries?: number;
  /** Base delay of the exponential backoff (tests use a small one). */
  backoffMs?: number;
  maxBytes?: number;
  headers?: Record<string, string>;
  onProgress?: (received: number, total: number | undefined) => void;
  breaker?: HostBreaker;
}

/**
 * The circuit breaker's side of a call (implemented in breaker.ts): `check` before each attempt returns the error
 * to throw instead of asking a host already known to be unreachable this run; `trip` records a host-level failure.
 */
export interface HostBreaker {
  check(host: string): HttpError | undefined;
  trip(host: string, error: HttpError): void;
}

export class HttpError extends Error {
  readonly status?: number;
  /** The host asked. */
  readonly host?: string;
  /** What failed below HTTP (no answer): an errno (ECONNREFUSED), an undici or TLS code, DEADLINE, BAD_PORT. */
  readonly transport?: string;
  /** The last answer's `Retry-After`, for callers that retry on their own schedule (alert deliveries). */
  readonly retryAfterMs?: number;
  constructor(message: string, status?: number, detail: { host?: string; transport?: string; retryAfterMs?: number } = {}) {
    super(message);
    this.status = status;
    if (detail.host !== undefined) this.host = detail.host;
    if (detail.transport !== undefined) this.transport = detail.transport;
    if (detail.retryAfterMs !== undefined) this.retryAfterMs = detail.retryAfterMs;
  }
  /** The host itself failed (DNS, refused, TLS, no answer within the deadlines), not one request: ask it no more this run. */
  get hostLevel(): boolean {
    return this.transport !== undefined && HOST_LEVEL.test(this.transport);
  }
}

/** Failures of the host rather than of one request (see HttpError.hostLevel). */
const HOST_LEVEL = /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME|ECONNREFUSED|EHOSTUNREACH|EHOSTDOWN|ENETUNREACH|ENETDOWN|ETIMEDOUT|UND_ERR_CONNECT_TIMEOUT|UND_ERR_HEADERS_TIMEOUT|UND_ERR_BODY_TIMEOUT|DEADLINE|BAD_PORT|EPROTO|ERR_TLS_.*|ERR_SSL_.*|CERT_.*|UNABLE_TO_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)$/;
/**
 * Host-level failures that are not retried: a name that does not resolve, a connection refused, no route, a
 * certificate that does not verify. Another attempt a second later meets the same host; the circuit breaker then
 * stops the run asking it. Resets, 5xx and timeouts are transient and retried.
 */
const NOT_RETRIED = /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME|ECONNREFUSED|EHOSTUNREACH|EHOSTDOWN|ENETUNREACH|ENETDOWN|BAD_PORT|EPROTO|ERR_TLS_.*|ERR_SSL_.*|CERT_.*|UNABLE_TO_.*|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|HOSTNAME_MISMATCH)$/;

/** The code of a transport failure in fetch's cause chain, and its most telling message. */
export function transportFailure(e: unknown): { code: string; message: string } | undefined {
  let cur: unknown = e;
  for (let depth = 0; depth < 5 && cur instanceof Error; depth++) {
    const err = cur as Error & { code?: unknown };
    if (err.name === 'TimeoutError') return { code: 'DEADLINE', message: 'no answer within the deadline' };
    if (typeof err.code === 'string' && err.code !== 'ABORT_ERR') return { code: err.code, message: err.message };
    // fetch refuses some ports outright (the spec's "bad ports", e.g. 1 and 6000).
    if (/^bad port$/i.test(err.message)) return { code: 'BAD_PORT', message: 'the port is one fetch refuses to use' };
    if (err instanceof AggregateError && err.errors[0] instanceof Error) {
      cur = err.errors[0];
      continue;
    }
    cur = err.cause;
  }
  return undefined;
}

/** URL for messages: no user, password or query (tokens travel there). */
export function redact(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    const query = u.search ? '?…' : '';
    u.hash = '';
    u.search = '';
    // Appended after serialisation: the URL class would percent-encode the ellipsis.
    return u.toString() + query;
  } catch {
    return '(invalid url)';
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const agents = new Map<string, Agent>();
/** One Agent (connection pool) per connect/first-byte setting; bodyTimeout is the pause allowed between body bytes. */
// undici is loaded on the first call: commands that never reach the network do not pay for it.
let undici: typeof import('undici') | undefined;
async function agentFor(d: Deadlines, socketPath?: string): Promise<Agent> {
  undici ??= await import('undici');
  const key = `${d.connectMs}/${d.firstByteMs}/${socketPath ?? ''}`;
  let a = agents.get(key);
  if (!a) {
    a = new undici.Agent({ connect: { timeout: d.connectMs, ...(socketPath ? { socketPath } : {}) }, headersTimeout: d.firstByteMs, bodyTimeout: d.firstByteMs });
    agents.set(key, a);
  }
  return a;
}

export function deadlinesOf(o: { deadlines?: Partial<Deadlines>; timeoutMs?: number }): Deadlines {
  return { ...DEFAULT_DEADLINES, ...(o.timeoutMs !== undefined ? { totalMs: o.timeoutMs } : {}), ...o.deadlines };
}

function retryAfterMs(h: string | null): number | undefined {
  if (!h) return undefined;
  const s = Number(h);
  if (Number.isFinite(s)) return Math.min(s * 1000, 60_000);
  const t = Date.parse(h);
  return Number.isNaN(t) ? undefined : Math.min(Math.max(0, t - Date.now()), 60_000);
}

/** GET a URL's bytes (or a file:// URL's). Throws HttpError after the retries are spent; 4xx other than 408/429 is not retried. */
export async function fetchBytes(url: string, opts: FetchOptions): Promise<Uint8Array> {
  const u = new URL(url);
  if (u.protocol === 'file:') return new Uint8Array(readFileSync(fileURLToPath(u)));
  const res = await sendWithRetries(url, opts);
  if (res.status < 200 || res.status > 299) throw new HttpError(`GET ${redact(url)}: HTTP ${res.status}`, res.status, { host: u.hostname });
  return res.body;
}

async function readBody(res: { headers: { get(name: string): string | null }; body: unknown }, opts: FetchOptions): Promise<Uint8Array> {
  // fetch decodes gzip/deflate/br bodies: Content-Length then counts the encoded bytes, not the ones read here.
  const encoded = (res.headers.get('content-encoding') ?? 'identity').toLowerCase() !== 'identity';
  const total = encoded ? undefined : Number(res.headers.get('content-length')) || undefined;
  const max = opts.maxBytes ?? 2 * 1024 * 1024 * 1024;
  if (total !== undefined && total > max) throw new HttpError(`response of ${total} bytes exceeds the ${max}-byte limit`);
  const chunks: Uint8Array[] = [];
  let received = 0;
  if (!res.body) return new Uint8Array();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
    received += chunk.byteLength;
    if (received > max) throw new HttpError(`response exceeds the ${max}-byte limit`);
    chunks.push(chunk);
    opts.onProgress?.(received, total);
  }
  // A connection cut before Content-Length bytes arrived is an interrupted download, not a short file.
  if (total !== undefined && received !== total) throw new Error(`download interrupted: ${received} of ${total} bytes`);
  const out = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.byteLength;
  }
  return out;
}

/** One answer of `sendWithRetries`: any final status (the caller decides what 304, 401 or 404 mean). */
export interface RawResponse {
  status: number;
  /** The final URL after redirects. */
  url: string;
  /** Lower-case header names. */
  headers: Record<string, string>;
  body: Uint8Array;
}

export interface SendOptions {
  allowHosts: string[];
  /** POST/PATCH only to endpoints where a retried request is harmless (ours upsert by key), or with `retries: 0`. */
  method?: 'GET' | 'HEAD' | 'POST' | 'PATCH';
  headers?: Record<string, string>;
  /** Request body (POST). */
  body?: string | Uint8Array;
  /** Talk HTTP over this unix socket instead of TCP (the Docker Engine API); the URL's host is then only a name. */
  socketPath?: string;
  /** Deprecated alias of deadlines.totalMs. */
  timeoutMs?: number;
  deadlines?: Partial<Deadlines>;
  retries?: number;
  backoffMs?: number;
  maxBytes?: number;
  /** Called once per network attempt (retries included), for statistics. */
  onAttempt?: () => void;
  onProgress?: FetchOptions['onProgress'];
  breaker?: HostBreaker;
}

/** 5xx, 408 and 429 are worth another attempt; every other status is the answer. */
const retryable = (status: number): boolean => status >= 500 || status === 408 || status === 429;

/**
 * One HTTP exchange with the client's policy (allow-list, timeout, retries with exponential backoff and jitter,
 * `Retry-After`, size cap) that returns non-2xx answers instead of throwing, so conditional requests (304), token
 * flows (401) and "this index does not know the package" (404) can be handled by the caller. Throws HttpError
 * when the host is not allowed, or when the last retry still failed (with the last status).
 */
export async function sendWithRetries(url: string, opts: SendOptions): Promise<RawResponse> {
  const u = new URL(url);
  if (u.protocol !== 'https:' && u.protocol !== 'http:') throw new HttpError(`unsupported URL scheme ${u.protocol} in ${redact(url)}`);
  if (!opts.allowHosts.includes(u.hostname)) throw new HttpError(`${u.hostname} is not a configured host (allowed: ${opts.allowHosts.join(', ') || 'none'})`);
  // fetch refuses URLs with credentials; the caller turns them into an Authorization header (see http/auth.ts).
  if (u.username || u.password) throw new HttpError(`credentials in ${redact(url)} must be passed as a header`);
  const method = opts.method ?? 'GET';
  const retries = opts.retries ?? 4;
  const base = opts.backoffMs ?? 500;
  const d = deadlinesOf(opts);
  const host = u.host;
  const until = Date.now() + d.totalMs;
  let last: unknown;
  let lastStatus: number | undefined;
  // The last HTTP status any attempt got: a server that answered 5xx and was then cut by the deadline is a busy
  // server (report its status), not an unreachable host.
  let seen: { status: number; err: HttpError } | undefined;
  let attempts = 0;
  let lastRetryAfter: number | undefined;
  const dispatcher = await agentFor(d, opts.socketPath);
  for (let attempt = 0; attempt <= retries; attempt++) {
    // Another call found the host unreachable meanwhile: stop here with its cause.
    const down = opts.breaker?.check(host);
    if (down) throw down;
    const left = until - Date.now();
    if (left <= 0) break;
    let wait: number | undefined;
    attempts++;
    try {
      opts.onAttempt?.();
      // The first-byte deadline, to the millisecond (undici's own headersTimeout ticks in whole seconds).
      const firstByte = new AbortController();
      const timer = setTimeout(() => firstByte.abort(Object.assign(new Error(`no answer within ${d.firstByteMs} ms`), { code: 'UND_ERR_HEADERS_TIMEOUT' })), d.firstByteMs);
      let res: Awaited<ReturnType<typeof import('undici').fetch>>;
      try {
        res = await undici!.fetch(url, { method, ...(opts.headers ? { headers: opts.headers } : {}), ...(opts.body !== undefined ? { body: opts.body } : {}), signal: AbortSignal.any([AbortSignal.timeout(left), firstByte.signal]), redirect: 'follow', dispatcher });
      } finally {
        clearTimeout(timer);
      }
      const finalHost = new URL(res.url || url).hostname;
      if (!opts.allowHosts.includes(finalHost)) {
        await res.body?.cancel();
        throw new HttpError(`${method} ${redact(url)} was redirected to ${finalHost}, which is not a configured host`);
      }
      const headers: Record<string, string> = {};
      res.headers.forEach((v, k) => (headers[k] = v));
      if (!retryable(res.status)) {
        const body = method === 'HEAD' ? new Uint8Array() : await readBody(res, { allowHosts: opts.allowHosts, ...(opts.maxBytes ? { maxBytes: opts.maxBytes } : {}), ...(opts.onProgress ? { onProgress: opts.onProgress } : {}) });
        return { status: res.status, url: res.url || url, headers, body };
      }
      lastStatus = res.status;
      last = new HttpError(`${method} ${redact(url)}: HTTP ${res.status}`, res.status);
      seen = { status: res.status, err: last as HttpError };
      wait = retryAfterMs(res.headers.get('retry-after'));
      lastRetryAfter = wait;
      await res.body?.cancel();
    } catch (e) {
      if (e instanceof HttpError && (e.message.includes('not a configured host') || e.message.includes('-byte limit'))) throw e;
      last = e;
      lastStatus = undefined;
      if (NOT_RETRIED.test(transportFailure(e)?.code ?? '')) break;
    }
    if (attempt < retries) {
      const pause = wait ?? base * 2 ** attempt * (0.5 + Math.random() / 2);
      if (Date.now() + pause >= until) {
        // The deadline ends before the next attempt could start: stop now rather than sleep into it.
        break;
      }
      await sleep(pause);
    }
  }
  if (lastStatus === undefined && seen && /^(DEADLINE|UND_ERR_\w*TIMEOUT)$/.test(transportFailure(last)?.code ?? '')) {
    last = seen.err;
    lastStatus = seen.status;
  }
  const t = lastStatus === undefined ? transportFailure(last) : undefined;
  // A call cut by the total deadline says so; a status (5xx) or another failure keeps its own words and code.
  const code = t && Date.now() >= until && (t.code === 'DEADLINE' || /TIMEOUT$/.test(t.code)) ? 'DEADLINE' : t?.code;
  // fetch's own "fetch failed" says nothing; its cause (ECONNREFUSED, timeout) carries no credentials.
  const reason =
    code === 'DEADLINE'
      ? `no complete answer within the ${d.totalMs / 1000} s deadline (http.totalTimeoutSeconds)`
      : code === 'UND_ERR_CONNECT_TIMEOUT'
        ? `could not connect within ${d.connectMs / 1000} s (http.connectTimeoutSeconds)`
        : code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT'
          ? `the server sent nothing for ${d.firstByteMs / 1000} s (http.firstByteTimeoutSeconds)`
          : last instanceof Error
            ? last.message + (t && t.message !== last.message ? ` (${t.message})` : '')
            : String(last);
  const err = new HttpError(`${method} ${redact(url)} failed after ${attempts} attempt${attempts === 1 ? '' : 's'}: ${reason}`, lastStatus, { host, ...(code ? { transport: code } : {}), ...(lastStatus !== undefined && lastRetryAfter !== undefined ? { retryAfterMs: lastRetryAfter } : {}) });
  if (err.hostLevel) opts.breaker?.trip(host, err);
  throw err;
}
