import { HttpError, sendWithRetries } from '../../http/client.ts';
import type { ServiceHealthConfig } from '../../config/sections/health.ts';
import type { CheckResult } from '../status.ts';

const BODY_LIMIT = 1024 * 1024;

/** A failure to reach the service itself: it is down. A name that does not resolve is our view's problem: unknown. */
const UNRESOLVED = /^(ENOTFOUND|EAI_AGAIN|EAI_FAIL|EAI_NONAME)$/;

/**
 * GET the URL once (a probe is not retried: the next round is the retry), through the one HTTP client with the
 * URL's host as the only allowed host. Up when the status and body match, degraded when slower than
 * degradedAboveSeconds, down otherwise.
 */
export async function probeHttp(cfg: NonNullable<ServiceHealthConfig['http']>): Promise<CheckResult> {
  const host = new URL(cfg.url).hostname;
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const started = performance.now();
  try {
    const res = await sendWithRetries(cfg.url, { allowHosts: [host], retries: 0, deadlines: { connectMs: timeoutMs, firstByteMs: timeoutMs, totalMs: timeoutMs }, maxBytes: BODY_LIMIT, headers: { 'user-agent': 'depwarden-health' } });
    const latencyMs = Math.round(performance.now() - started);
    const expected = Array.isArray(cfg.expectStatus) ? cfg.expectStatus : [cfg.expectStatus];
    if (!expected.includes(res.status)) return { check: 'http', status: 'down', reason: `HTTP ${res.status}, expected ${expected.join(' or ')}`, latencyMs };
    if (cfg.expectBody !== undefined && !Buffer.from(res.body).toString('utf8').includes(cfg.expectBody)) return { check: 'http', status: 'down', reason: `HTTP ${res.status} but the body does not contain ${JSON.stringify(cfg.expectBody)}`, latencyMs };
    if (cfg.degradedAboveSeconds !== undefined && latencyMs > cfg.degradedAboveSeconds * 1000) return { check: 'http', status: 'degraded', reason: `answered in ${latencyMs} ms, above ${cfg.degradedAboveSeconds * 1000} ms`, latencyMs };
    return { check: 'http', status: 'up', reason: `HTTP ${res.status} in ${latencyMs} ms`, latencyMs };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    // The client gives up on 5xx/429 by throwing with the status: that is still the service's answer.
    if (e instanceof HttpError && e.status !== undefined) {
      const latencyMs = Math.round(performance.now() - started);
      const expected = Array.isArray(cfg.expectStatus) ? cfg.expectStatus : [cfg.expectStatus];
      if (expected.includes(e.status) && cfg.expectBody === undefined) return { check: 'http', status: 'up', reason: `HTTP ${e.status} in ${latencyMs} ms`, latencyMs };
      return { check: 'http', status: 'down', reason: `HTTP ${e.status}, expected ${expected.join(' or ')}`, latencyMs };
    }
    if (e instanceof HttpError && e.transport && UNRESOLVED.test(e.transport)) return { check: 'http', status: 'unknown', reason: `cannot resolve ${host}: ${msg}` };
    if (e instanceof HttpError && /not a configured host/.test(msg)) return { check: 'http', status: 'unknown', reason: msg };
    return { check: 'http', status: 'down', reason: msg };
  }
}
