import { probe, type ProbeKind, type ProbeResult } from './probe.ts';

/**
 * Readiness: every new instance must answer its health probe (HTTP 2xx/3xx, or a TCP connect) within
 * `timeoutMs`, probed every `intervalMs`. The first gate: nothing gets traffic, and no analysis starts, before it.
 */
export interface ReadinessSpec {
  kind: ProbeKind;
  path: string;
  intervalMs: number;
  timeoutMs: number;
  /** One probe's own deadline. */
  probeTimeoutMs: number;
}

export interface ReadinessResult {
  gate: 'readiness';
  ok: boolean;
  /** endpoint → the last probe. */
  probes: Record<string, Pick<ProbeResult, 'ok' | 'status' | 'error'> & { ms: number }>;
  waitedMs: number;
  reason?: string;
}

export async function waitReady(spec: ReadinessSpec, endpoint: string, signal?: AbortSignal): Promise<ProbeResult & { waitedMs: number }> {
  const started = Date.now();
  let last: ProbeResult = { ok: false, status: 0, ms: 0, error: 'not probed' };
  while (!signal?.aborted) {
    last = await probe(spec.kind, endpoint, spec.path, spec.probeTimeoutMs);
    if (last.ok || Date.now() - started + spec.intervalMs > spec.timeoutMs) break;
    await new Promise((r) => setTimeout(r, spec.intervalMs));
  }
  return { ...last, waitedMs: Date.now() - started };
}

export async function readiness(spec: ReadinessSpec, endpoints: string[], signal?: AbortSignal): Promise<ReadinessResult> {
  const started = Date.now();
  const results = await Promise.all(endpoints.map(async (ep) => [ep, await waitReady(spec, ep, signal)] as const));
  const probes: ReadinessResult['probes'] = {};
  for (const [ep, r] of results) probes[ep] = { ok: r.ok, status: r.status, ms: Math.round(r.ms), ...(r.error ? { error: r.error } : {}) };
  const bad = results.filter(([, r]) => !r.ok);
  return { gate: 'readiness', ok: bad.length === 0 && endpoints.length > 0, probes, waitedMs: Date.now() - started, ...(bad.length ? { reason: `${bad.length} of ${endpoints.length} new instance(s) not ready within ${spec.timeoutMs} ms: ${bad.map(([ep, r]) => `${ep} ${r.status ? `HTTP ${r.status}` : (r.error ?? 'no answer')}`).join('; ')}` } : endpoints.length ? {} : { reason: 'no new instance is running' }) };
}
