import { p95, probe, type ProbeKind } from './probe.ts';
import { fillQuery, queryScalar } from './promql.ts';

/**
 * The analysis window (after Argo Rollouts' AnalysisRun): `count` measurements `intervalMs` apart, each one the
 * error ratio and the latency p95 of the new version, judged by the success condition. The window fails as soon
 * as more than `failureLimit` measurements failed, and passes when all `count` were taken without that.
 *
 * The numbers come from Prometheus by PromQL when a Prometheus is configured, else from the gate's own probes:
 * each measurement sends `probesPerMeasurement` requests to every new instance and counts non-2xx answers.
 */
export interface AnalysisSpec {
  intervalMs: number;
  count: number;
  failureLimit: number;
  success: { maxErrorRatio: number; maxLatencyP95Ms: number };
  prometheus?: { url: string; errorRatio: string; latencyP95Seconds: string; window: string };
  probe: { kind: ProbeKind; path: string; timeoutMs: number; perMeasurement: number };
}

export interface Measurement {
  /** Milliseconds since the window opened. */
  atMs: number;
  errorRatio: number | null;
  latencyP95Ms: number | null;
  source: 'prometheus' | 'probes';
  ok: boolean;
  /** No data to judge by (not counted as passed or failed). */
  inconclusive?: boolean;
  reason?: string;
}

export interface AnalysisResult {
  gate: 'analysis';
  ok: boolean;
  measurements: Measurement[];
  reason?: string;
}

export async function measure(spec: AnalysisSpec, endpoints: string[], vars: Record<string, string>): Promise<Omit<Measurement, 'atMs'>> {
  let errorRatio: number | null;
  let latencyP95Ms: number | null;
  let source: Measurement['source'];
  if (spec.prometheus) {
    source = 'prometheus';
    vars = { window: spec.prometheus.window, ...vars };
    const [e, l] = await Promise.all([queryScalar(spec.prometheus.url, fillQuery(spec.prometheus.errorRatio, vars)), queryScalar(spec.prometheus.url, fillQuery(spec.prometheus.latencyP95Seconds, vars))]);
    errorRatio = e ?? null;
    latencyP95Ms = l === undefined ? null : l * 1000;
  } else {
    source = 'probes';
    const results = [];
    for (let i = 0; i < spec.probe.perMeasurement; i++) results.push(...(await Promise.all(endpoints.map((ep) => probe(spec.probe.kind, ep, spec.probe.path, spec.probe.timeoutMs)))));
    errorRatio = results.length ? results.filter((r) => !r.ok).length / results.length : null;
    latencyP95Ms = results.length ? Math.round(p95(results.map((r) => r.ms)) * 10) / 10 : null;
  }
  const why: string[] = [];
  if (errorRatio === null) why.push('no error-ratio data');
  else if (errorRatio > spec.success.maxErrorRatio) why.push(`error ratio ${round(errorRatio)} > ${spec.success.maxErrorRatio}`);
  if (latencyP95Ms === null) why.push('no latency data');
  else if (latencyP95Ms > spec.success.maxLatencyP95Ms) why.push(`latency p95 ${Math.round(latencyP95Ms)} ms > ${spec.success.maxLatencyP95Ms} ms`);
  const inconclusive = errorRatio === null || latencyP95Ms === null;
  return { errorRatio: errorRatio === null ? null : round(errorRatio), latencyP95Ms, source, ok: why.length === 0, ...(inconclusive ? { inconclusive } : {}), ...(why.length ? { reason: why.join(', ') } : {}) };
}

const round = (n: number): number => Math.round(n * 10000) / 10000;

export async function runAnalysis(spec: AnalysisSpec, endpoints: () => Promise<string[]>, vars: () => Promise<Record<string, string>>, signal?: AbortSignal, onMeasurement?: (m: Measurement) => void): Promise<AnalysisResult> {
  const started = Date.now();
  const measurements: Measurement[] = [];
  let failures = 0;
  let conclusive = 0;
  // A measurement without data (Prometheus has not scraped the new instances yet) is inconclusive: it neither
  // passes nor fails, and the window takes up to `count` more; a window that ends short of data fails.
  for (let i = 0; conclusive < spec.count && i < spec.count * 2; i++) {
    await new Promise((r) => setTimeout(r, spec.intervalMs));
    if (signal?.aborted) return { gate: 'analysis', ok: false, measurements, reason: 'aborted' };
    let m: Measurement;
    try {
      m = { atMs: Date.now() - started, ...(await measure(spec, await endpoints(), await vars())) };
    } catch (e) {
      m = { atMs: Date.now() - started, errorRatio: null, latencyP95Ms: null, source: spec.prometheus ? 'prometheus' : 'probes', ok: false, reason: e instanceof Error ? e.message : String(e) };
    }
    if (m.inconclusive) {
      measurements.push(m);
      onMeasurement?.(m);
      continue;
    }
    conclusive++;
    measurements.push(m);
    onMeasurement?.(m);
    if (!m.ok && ++failures > spec.failureLimit) return { gate: 'analysis', ok: false, measurements, reason: `${failures} of ${i + 1} measurements failed (failure limit ${spec.failureLimit}): ${m.reason}` };
  }
  if (conclusive < spec.count) return { gate: 'analysis', ok: false, measurements, reason: `only ${conclusive} of ${spec.count} measurements had data (${measurements.length} taken)` };
  return { gate: 'analysis', ok: true, measurements };
}
