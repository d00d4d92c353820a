import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * The one HTTP client: host allow-list, timeouts, retries with exponential backoff and jitter, `Retry-After`,
 * a size cap, and error messages with credentials redacted. Built on Node's fetch (undici).
 */
export interface FetchOptions {
  /** Hosts this call may reach (exact host names). file:// URLs need no host. */
  allowHosts: string[];
  timeoutMs?: number;
  retries?: number;
  /** Base delay of the exponential backoff (tests use a small one). */
  backoffMs?: number;
  maxBytes?: number;
  headers?: Record<string, string>;
  onProgress?: (received: number, total: number | undefined) => void;
}

export class HttpError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.status = status;
  }
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
  if (res.status < 200 || res.status > 299) throw new HttpError(`GET ${redact(url)}: HTTP ${res.status}`, res.status);
  return res.body;
}

async function readBody(res: Response, opts: FetchOptions): Promise<Uint8Array> {
  const total = Number(res.headers.get('content-length')) || undefined;
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
  method?: 'GET' | 'HEAD';
  headers?: Record<string, string>;
  timeoutMs?: number;
  retries?: number;
  backoffMs?: number;
  maxBytes?: number;
  /** Called once per network attempt (retries included), for statistics. */
  onAttempt?: () => void;
  onProgress?: FetchOptions['onProgress'];
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
  let last: unknown;
  let lastStatus: number | undefined;
  for (let attempt = 0; attempt <= retries; attempt++) {
    let wait: number | undefined;
    try {
      opts.onAttempt?.();
      const res = await fetch(url, { method, headers: opts.headers, signal: AbortSignal.timeout(opts.timeoutMs ?? 60_000), redirect: 'follow' });
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
      wait = retryAfterMs(res.headers.get('retry-after'));
      await res.body?.cancel();
    } catch (e) {
      if (e instanceof HttpError && (e.message.includes('not a configured host') || e.message.includes('-byte limit'))) throw e;
      last = e;
    }
    if (attempt < retries) await sleep(wait ?? base * 2 ** attempt * (0.5 + Math.random() / 2));
  }
  // fetch's own "fetch failed" says nothing; its cause (ECONNREFUSED, timeout) carries no credentials.
  const cause = last instanceof Error && last.cause instanceof Error ? ` (${last.cause.message})` : '';
  const reason = last instanceof Error ? last.message + cause : String(last);
  throw new HttpError(`${method} ${redact(url)} failed after ${retries + 1} attempts: ${reason}`, lastStatus);
}
