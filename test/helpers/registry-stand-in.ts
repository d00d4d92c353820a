import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

/**
 * A registry stand-in on 127.0.0.1 (port 0) for tests: a handler answers each request; the stand-in records every
 * request (Authorization reduced to a boolean, so recorded requests can be printed or compared without secrets),
 * answers 304 when the handler's ETag matches If-None-Match, can fail the next N requests (503, or 429 with
 * Retry-After), counts requests in flight, and closes cleanly (open keep-alive sockets included).
 */
export interface StandInRequest {
  method: string;
  /** Path and query, as sent. */
  url: string;
  /** Lower-case names; the handler sees `authorization`, recorded requests do not. */
  headers: Record<string, string>;
  body: string;
}

export interface RecordedRequest {
  method: string;
  url: string;
  /** Lower-case names, without authorization. */
  headers: Record<string, string>;
  /** Whether an Authorization header was sent. */
  authorization: boolean;
  body: string;
}

export interface StandInResponse {
  status?: number;
  /** Undefined values are not sent. */
  headers?: Record<string, string | undefined>;
  /** Objects are sent as JSON (content-type application/json unless the handler sets one). */
  body?: string | Uint8Array | object;
}

export type StandInHandler = (req: StandInRequest) => StandInResponse | undefined | Promise<StandInResponse | undefined>;

export interface StandIn {
  /** http://127.0.0.1:<port> */
  url: string;
  /** 127.0.0.1:<port> */
  host: string;
  requests: RecordedRequest[];
  /** The largest number of requests that were being answered at the same time. */
  maxInFlight: number;
  /** Answer the next `count` requests with `status` (and Retry-After when given) instead of the handler. */
  failNext(count: number, status?: number, retryAfter?: string): void;
  close(): Promise<void>;
}

export interface StandInOptions {
  /** Delay before each answer (to make concurrency observable). */
  delayMs?: number;
}

function flatten(h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

export async function startStandIn(handler: StandInHandler, options: StandInOptions = {}): Promise<StandIn> {
  const requests: RecordedRequest[] = [];
  let failures: { count: number; status: number; retryAfter?: string } = { count: 0, status: 503 };
  let inFlight = 0;
  const sockets = new Set<Socket>();
  const state = { maxInFlight: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      void (async () => {
        inFlight++;
        state.maxInFlight = Math.max(state.maxInFlight, inFlight);
        try {
          const headers = flatten(req.headers);
          const body = Buffer.concat(chunks).toString('utf8');
          const { authorization, ...rest } = headers;
          requests.push({ method: req.method ?? 'GET', url: req.url ?? '/', headers: rest, authorization: authorization !== undefined, body });
          if (options.delayMs) await new Promise((r) => setTimeout(r, options.delayMs));
          if (failures.count > 0) {
            failures.count--;
            res.writeHead(failures.status, failures.retryAfter !== undefined ? { 'retry-after': failures.retryAfter } : {}).end('stand-in failure');
            return;
          }
          const answer = await handler({ method: req.method ?? 'GET', url: req.url ?? '/', headers, body });
          if (!answer) {
            res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":"Not found"}');
            return;
          }
          const outHeaders: Record<string, string> = {};
          for (const [k, v] of Object.entries(answer.headers ?? {})) if (v !== undefined) outHeaders[k] = v;
          const lower = new Map(Object.keys(outHeaders).map((k) => [k.toLowerCase(), k]));
          let bytes: Buffer;
          if (answer.body === undefined) bytes = Buffer.alloc(0);
          else if (typeof answer.body === 'string') bytes = Buffer.from(answer.body, 'utf8');
          else if (answer.body instanceof Uint8Array) bytes = Buffer.from(answer.body);
          else {
            bytes = Buffer.from(JSON.stringify(answer.body), 'utf8');
            if (!lower.has('content-type')) outHeaders['content-type'] = 'application/json';
          }
          const status = answer.status ?? 200;
          const etag = lower.has('etag') ? outHeaders[lower.get('etag')!] : undefined;
          const inm = headers['if-none-match'];
          if (status === 200 && etag && inm && inm.split(/\s*,\s*/).includes(etag)) {
            res.writeHead(304, { etag }).end();
            return;
          }
          outHeaders['content-length'] = String(bytes.byteLength);
          res.writeHead(status, outHeaders);
          res.end(req.method === 'HEAD' ? undefined : bytes);
        } catch (e) {
          res.writeHead(500).end(String(e));
        } finally {
          inFlight--;
        }
      })();
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    requests,
    get maxInFlight() {
      return state.maxInFlight;
    },
    failNext(count: number, status = 503, retryAfter?: string) {
      failures = { count, status, ...(retryAfter !== undefined ? { retryAfter } : {}) };
    },
    close() {
      return new Promise<void>((resolve, reject) => {
        server.close((e) => (e ? reject(e) : resolve()));
        for (const s of sockets) s.destroy();
      });
    },
  };
}

/** A strong ETag for a body, for handlers that want conditional requests. */
export function etagOf(body: string | Uint8Array | object): string {
  const bytes = typeof body === 'string' || body instanceof Uint8Array ? body : JSON.stringify(body);
  return `"${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}"`;
}
