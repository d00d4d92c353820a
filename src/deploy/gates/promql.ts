import { HttpError, sendWithRetries } from '../../http/client.ts';
import { DeployError } from '../errors.ts';

/**
 * One PromQL instant query against Prometheus's HTTP API (`/api/v1/query`), reduced to one number: the value of
 * a scalar, or of the first sample of a vector. undefined when the query returns no sample (no data yet).
 * Through the one HTTP client: the Prometheus host is the only host allowed; one retry for a busy server.
 */
export async function queryScalar(baseUrl: string, promql: string, timeoutMs = 3000): Promise<number | undefined> {
  const url = `${baseUrl.replace(/\/$/, '')}/api/v1/query?query=${encodeURIComponent(promql)}`;
  let body: { status?: string; error?: string; data?: { resultType?: string; result?: unknown } };
  try {
    // Uncompressed: the client checks the body against Content-Length, which for a gzip answer counts the wire bytes.
    const r = await sendWithRetries(url, { headers: { 'accept-encoding': 'identity' }, allowHosts: [new URL(url).hostname], retries: 1, backoffMs: 100, deadlines: { connectMs: timeoutMs, firstByteMs: timeoutMs, totalMs: timeoutMs * 2 }, maxBytes: 4 << 20 });
    body = JSON.parse(Buffer.from(r.body).toString('utf8')) as typeof body;
    if (r.status !== 200) throw new DeployError(`Prometheus refused the query ${promql}: HTTP ${r.status} ${body.error ?? ''}`.trim());
  } catch (e) {
    if (e instanceof DeployError) throw e;
    throw new DeployError(`Prometheus at ${baseUrl} could not be queried: ${e instanceof HttpError || e instanceof Error ? e.message : String(e)}`, 5);
  }
  const d = body.data;
  if (body.status !== 'success' || !d) throw new DeployError(`Prometheus answered the query ${promql} with ${body.status}: ${body.error ?? 'no data'}`);
  let raw: unknown;
  if (d.resultType === 'scalar') raw = (d.result as [number, string])[1];
  else if (d.resultType === 'vector') raw = (d.result as { value: [number, string] }[])[0]?.value[1];
  else throw new DeployError(`the query ${promql} returns a ${d.resultType}; a gate needs a scalar or an instant vector`);
  if (raw === undefined) return undefined;
  const n = Number(raw);
  return Number.isNaN(n) ? undefined : n;
}

/** Fills `{{name}}` placeholders of a configured query (the service, the proxy backend, the new instances). */
export function fillQuery(q: string, vars: Record<string, string>): string {
  return q.replace(/\{\{\s*(\w+)\s*\}\}/g, (m, k: string) => vars[k] ?? m);
}
