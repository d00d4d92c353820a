import pLimit from 'p-limit';
import type { Auth } from './auth.ts';
import { stripCredentials } from './auth.ts';
import { HttpCache, cacheKey, type CacheEntry } from './cache.ts';
import { CircuitBreaker, type OpenCircuit } from './breaker.ts';
import { type Deadlines, HttpError, redact, sendWithRetries, type RawResponse } from './client.ts';

/**
 * The HTTP client the datasources share: the client policy of client.ts (allow-list, retries, Retry-After, size
 * cap) plus, per session, bounded concurrency (p-limit), credentials (auth.ts) and the on-disk cache (cache.ts):
 *
 * - with a cache directory, a GET/HEAD answered 200 is stored with its ETag / Last-Modified; the next request for
 *   it is conditional (If-None-Match / If-Modified-Since) and a 304 is answered from disk;
 * - `maxAgeSeconds` > 0: an entry confirmed less than that long ago answers with no request at all (default 0:
 *   always revalidate);
 * - 404 and 410 are stored too (without validators), so offline runs know "this index does not have it";
 * - `offline`: the cache answers or the call fails saying so; nothing goes to the network;
 * - a circuit breaker per host (breaker.ts): after a host-level failure the host is not asked again this session.
 */
export interface SessionOptions {
  allowHosts: string[];
  cacheDir?: string;
  maxAgeSeconds?: number;
  offline?: boolean;
  /** Requests in flight at once for this session (default 8). */
  concurrency?: number;
  retries?: number;
  backoffMs?: number;
  /** Deprecated alias of deadlines.totalMs. */
  timeoutMs?: number;
  deadlines?: Partial<Deadlines>;
  maxBytes?: number;
  auth?: Auth;
  userAgent?: string;
  /** Clock, for tests of max-age. */
  now?: () => number;
}

export interface RequestOptions {
  method?: 'GET' | 'HEAD';
  accept?: string;
  headers?: Record<string, string>;
  /** An explicit Authorization value (token flows); `null` sends none; undefined asks the session's Auth. */
  authorization?: string | null;
  /** false: neither read nor write the cache (token endpoints). */
  cache?: boolean;
  /** A smaller size cap for this request than the session's (small documents from hostile servers). */
  maxBytes?: number;
}

export interface HttpResponse extends RawResponse {
  /** Answered from disk: a fresh entry, an offline read, or a 304. */
  fromCache: boolean;
}

export interface SessionStats {
  /** Network attempts, retries included. */
  requests: number;
  /** Answers from disk without any request (fresh by max-age, or offline). */
  cacheHits: number;
  /** 304 answers served from disk. */
  notModified: number;
}

const CACHEABLE = new Set([200, 203, 404, 410]);

export class HttpSession {
  readonly options: SessionOptions;
  private readonly limit: ReturnType<typeof pLimit>;
  private readonly cache: HttpCache | undefined;
  private readonly counters: SessionStats = { requests: 0, cacheHits: 0, notModified: 0 };
  private readonly breaker = new CircuitBreaker();

  constructor(options: SessionOptions) {
    this.options = options;
    this.limit = pLimit(options.concurrency ?? 8);
    this.cache = options.cacheDir ? new HttpCache(options.cacheDir) : undefined;
  }

  stats(): SessionStats {
    return { ...this.counters };
  }

  /** Hosts found unreachable this session, with the first cause and how many calls were not made because of it. */
  unreachable(): OpenCircuit[] {
    return this.breaker.openCircuits();
  }

  authorizationFor(url: string): string | undefined {
    return this.options.auth?.headerFor(url);
  }

  async request(url: string, opts: RequestOptions = {}): Promise<HttpResponse> {
    const method = opts.method ?? 'GET';
    const authorization = opts.authorization === undefined ? this.authorizationFor(url) : (opts.authorization ?? undefined);
    const bare = stripCredentials(url);
    const useCache = opts.cache !== false && this.cache !== undefined;
    const key = cacheKey(method, bare, opts.accept);
    const entry = useCache ? this.cache!.read(key) : undefined;
    const now = this.options.now ?? Date.now;
    if (this.options.offline) {
      if (!entry) {
        const where = this.cache ? `the cache ${this.cache.dir}` : 'no cache directory configured';
        throw new HttpError(`offline: no cached answer for ${method} ${redact(bare)} (${where}); run once online with the same cache directory`);
      }
      this.counters.cacheHits++;
      return fromEntry(entry, bare);
    }
    const maxAge = (this.options.maxAgeSeconds ?? 0) * 1000;
    if (entry && maxAge > 0 && now() - entry.storedAt < maxAge) {
      this.counters.cacheHits++;
      return fromEntry(entry, bare);
    }
    const headers: Record<string, string> = { 'user-agent': this.options.userAgent ?? 'depwarden', ...(opts.headers ?? {}) };
    if (opts.accept) headers.accept = opts.accept;
    if (authorization) headers.authorization = authorization;
    if (entry?.status === 200 && entry.etag) headers['if-none-match'] = entry.etag;
    if (entry?.status === 200 && entry.lastModified) headers['if-modified-since'] = entry.lastModified;
    const res = await this.limit(() =>
      sendWithRetries(bare, {
        allowHosts: this.options.allowHosts,
        method,
        headers,
        ...(this.options.retries !== undefined ? { retries: this.options.retries } : {}),
        ...(this.options.backoffMs !== undefined ? { backoffMs: this.options.backoffMs } : {}),
        ...(this.options.timeoutMs !== undefined ? { timeoutMs: this.options.timeoutMs } : {}),
        ...(this.options.deadlines ? { deadlines: this.options.deadlines } : {}),
        ...((opts.maxBytes ?? this.options.maxBytes) !== undefined ? { maxBytes: opts.maxBytes ?? this.options.maxBytes } : {}),
        onAttempt: () => this.counters.requests++,
        breaker: this.breaker,
      }),
    );
    if (res.status === 304 && entry) {
      this.counters.notModified++;
      const renewed: CacheEntry = { ...entry, storedAt: now() };
      this.cache!.write(key, bare, renewed);
      return fromEntry(renewed, bare);
    }
    if (useCache && CACHEABLE.has(res.status)) {
      this.cache!.write(key, bare, {
        status: res.status,
        ...(res.status === 200 && res.headers.etag ? { etag: res.headers.etag } : {}),
        ...(res.status === 200 && res.headers['last-modified'] ? { lastModified: res.headers['last-modified'] } : {}),
        headers: res.headers,
        storedAt: now(),
        body: res.body,
      });
    }
    return { ...res, fromCache: false };
  }

  /** GET and parse JSON; any status but 200 throws (with the URL redacted), 404 as HttpError status 404. */
  async json<T>(url: string, opts: RequestOptions = {}): Promise<{ data: T; response: HttpResponse }> {
    const response = await this.request(url, { accept: 'application/json', ...opts });
    if (response.status !== 200) throw statusError(opts.method ?? 'GET', url, response.status);
    return { data: parseJson<T>(response.body, url), response };
  }
}

export function statusError(method: string, url: string, status: number): HttpError {
  const hint = status === 401 || status === 403 ? ' (check the credentials configured for this host)' : '';
  return new HttpError(`${method} ${redact(url)}: HTTP ${status}${hint}`, status);
}

export function parseJson<T>(body: Uint8Array, url: string): T {
  try {
    return JSON.parse(new TextDecoder().decode(body)) as T;
  } catch (e) {
    throw new HttpError(`${redact(url)} did not answer JSON: ${(e as Error).message}`);
  }
}

function fromEntry(entry: CacheEntry, url: string): HttpResponse {
  return { status: entry.status, url, headers: { ...entry.headers }, body: entry.body, fromCache: true };
}
