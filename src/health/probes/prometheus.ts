import { z } from 'zod';
import { sendWithRetries } from '../../http/client.ts';
import type { ServiceHealthConfig } from '../../config/sections/health.ts';
import { type CheckResult, thresholds } from '../status.ts';

type PromConfig = NonNullable<ServiceHealthConfig['prometheus']>;

/** Prometheus' instant-query answer (https://prometheus.io/docs/prometheus/latest/querying/api/). */
const answer = z.object({
  status: z.enum(['success', 'error']),
  error: z.string().optional(),
  data: z
    .object({
      resultType: z.enum(['vector', 'scalar', 'matrix', 'string']),
      result: z.unknown(),
    })
    .optional(),
});
const sample = z.tuple([z.number(), z.string()]);

export class QueryError extends Error {}

/** One instant query's value: the first sample of a vector, or a scalar. Throws QueryError with the reason. */
export async function queryValue(baseUrl: string, query: string, timeoutMs: number): Promise<number> {
  const base = new URL(baseUrl);
  const url = new URL('api/v1/query', base.href.endsWith('/') ? base : new URL(`${base.href}/`));
  url.searchParams.set('query', query);
  let res;
  try {
    res = await sendWithRetries(url.toString(), { allowHosts: [base.hostname], retries: 1, backoffMs: 200, deadlines: { connectMs: timeoutMs, firstByteMs: timeoutMs, totalMs: timeoutMs }, maxBytes: 8 * 1024 * 1024, headers: { accept: 'application/json' } });
  } catch (e) {
    throw new QueryError(`Prometheus unreachable: ${e instanceof Error ? e.message : String(e)}`);
  }
  let parsed;
  try {
    parsed = answer.parse(JSON.parse(Buffer.from(res.body).toString('utf8')));
  } catch {
    throw new QueryError(`Prometheus answered HTTP ${res.status} with something that is not a query result`);
  }
  if (parsed.status === 'error' || !parsed.data) throw new QueryError(`the query failed: ${parsed.error ?? `HTTP ${res.status}`}`);
  const { resultType, result } = parsed.data;
  let raw: string | undefined;
  if (resultType === 'scalar') raw = sample.safeParse(result).data?.[1];
  else if (resultType === 'vector') {
    const list = z.array(z.object({ value: sample })).safeParse(result);
    if (!list.success) throw new QueryError('the vector result is malformed');
    if (list.data.length === 0) throw new QueryError('the query returned no samples (no such series, or no traffic in the window)');
    raw = list.data[0]!.value[1];
  } else throw new QueryError(`the query returned a ${resultType}; an instant vector or scalar is needed`);
  const v = Number(raw);
  if (raw === undefined || Number.isNaN(v)) throw new QueryError('the query returned NaN (e.g. a ratio of zero requests)');
  return v;
}

const QUERIES = [
  ['latencyP95', 'above', 's'],
  ['errorRatio', 'above', ''],
  ['requestRate', 'below', '/s'],
] as const;

/** Every configured query of the service; a query that cannot be answered is `unknown` with the reason. */
export async function probePrometheus(cfg: PromConfig): Promise<CheckResult[]> {
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const out: CheckResult[] = [];
  await Promise.all(
    QUERIES.map(async ([key, direction, unit], i) => {
      const q = cfg[key];
      if (!q) return;
      const check = `prometheus.${key}`;
      const started = performance.now();
      try {
        const value = await queryValue(cfg.url, q.query, timeoutMs);
        const t = q as { degradedAbove?: number; downAbove?: number; degradedBelow?: number; downBelow?: number };
        const limits = direction === 'above' ? { degraded: t.degradedAbove, down: t.downAbove } : { degraded: t.degradedBelow, down: t.downBelow };
        out[i] = { check, ...thresholds(value, limits, direction, unit), value, latencyMs: Math.round(performance.now() - started) };
      } catch (e) {
        if (!(e instanceof QueryError)) throw e;
        out[i] = { check, status: 'unknown', reason: e.message };
      }
    }),
  );
  return out.filter(Boolean);
}
