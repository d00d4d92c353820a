import net from 'node:net';
import { HttpError, sendWithRetries } from '../../http/client.ts';

/**
 * The gate's own small probes: one HTTP GET or one TCP connect against one instance, timed. Kept here, behind
 * this interface, because the server's health probes (src/health/) live on another branch; the two can be one
 * module once both are merged. HTTP goes through the one client (allow-list: the instance's own host), with no
 * retry — a probe measures, it does not insist.
 */
export interface ProbeResult {
  ok: boolean;
  /** HTTP status (0 when no answer came). */
  status: number;
  ms: number;
  error?: string;
}

export type ProbeKind = 'http' | 'tcp';

export async function httpProbe(endpoint: string, path: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const url = `http://${endpoint}${path}`;
  try {
    const r = await sendWithRetries(url, { allowHosts: [new URL(url).hostname], retries: 0, deadlines: { connectMs: timeoutMs, firstByteMs: timeoutMs, totalMs: timeoutMs }, maxBytes: 1 << 20 });
    return { ok: r.status >= 200 && r.status < 400, status: r.status, ms: performance.now() - started };
  } catch (e) {
    const status = e instanceof HttpError && typeof e.status === 'number' ? e.status : 0;
    return { ok: false, status, ms: performance.now() - started, error: e instanceof Error ? e.message : String(e) };
  }
}

export function tcpProbe(endpoint: string, timeoutMs: number): Promise<ProbeResult> {
  const started = performance.now();
  const [host, port] = [endpoint.slice(0, endpoint.lastIndexOf(':')), Number(endpoint.slice(endpoint.lastIndexOf(':') + 1))];
  return new Promise((resolve) => {
    const s = net.createConnection({ host, port });
    const done = (r: Omit<ProbeResult, 'ms'>) => {
      s.destroy();
      resolve({ ...r, ms: performance.now() - started });
    };
    s.setTimeout(timeoutMs, () => done({ ok: false, status: 0, error: `no connection within ${timeoutMs} ms` }));
    s.on('connect', () => done({ ok: true, status: 0 }));
    s.on('error', (e) => done({ ok: false, status: 0, error: e.message }));
  });
}

export function probe(kind: ProbeKind, endpoint: string, path: string, timeoutMs: number): Promise<ProbeResult> {
  return kind === 'tcp' ? tcpProbe(endpoint, timeoutMs) : httpProbe(endpoint, path, timeoutMs);
}

/** The 95th percentile (nearest rank) of a list of numbers; 0 for none. */
export function p95(values: number[]): number {
  if (!values.length) return 0;
  const s = [...values].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.ceil(0.95 * s.length) - 1)]!;
}
