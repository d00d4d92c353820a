import { HttpError, redact, sendWithRetries } from '../../http/client.ts';
import { redactSecrets } from '../../util/redact.ts';
import type { AlertMessage } from '../message.ts';

/**
 * One channel kind is one module behind this interface (slack.ts, teams.ts, webhook.ts, email.ts,
 * github-issue.ts, log.ts). `send` makes exactly one attempt and says how it went: the delivery queue owns retries,
 * backoff and the dead letter, so the delivery log counts real attempts.
 */
export interface SendResult {
  ok: boolean;
  /** The receiver's HTTP status (or SMTP reply code). */
  status?: number;
  /** The receiver asked for this pause (HTTP Retry-After). */
  retryAfterMs?: number;
  /** One line, credentials redacted. */
  error?: string;
  /** Another attempt cannot succeed (a variable not set, 4xx): dead at once. */
  permanent?: boolean;
}

export interface Channel {
  name: string;
  kind: string;
  send(message: AlertMessage): Promise<SendResult>;
}

export interface ChannelEnv {
  env: NodeJS.ProcessEnv;
  /** One attempt's deadline (alerts.delivery.timeoutSeconds). */
  timeoutMs: number;
}

/** The value of a secret's environment variable, or the failure to report. */
export function secretOf(env: NodeJS.ProcessEnv, name: string): { value: string } | { missing: SendResult } {
  const v = env[name];
  return v ? { value: v } : { missing: { ok: false, permanent: true, error: `environment variable ${name} is not set` } };
}

/**
 * One POST (or PATCH) through the shared HTTP client, no retries of its own. `shown` replaces the URL in messages:
 * a Slack or Teams webhook URL is itself the secret (in its path, which the client's redaction keeps).
 */
export async function sendJson(url: string, body: string, opts: { method?: 'POST' | 'PATCH' | 'GET'; headers?: Record<string, string>; shown: string; timeoutMs: number }): Promise<SendResult & { body?: string }> {
  let host: string;
  try {
    host = new URL(url).hostname;
  } catch {
    return { ok: false, permanent: true, error: `${opts.shown}: not a URL` };
  }
  const scrub = (s: string): string => redactSecrets(s.split(url).join(opts.shown).split(redact(url)).join(opts.shown));
  try {
    const method = opts.method ?? 'POST';
    const res = await sendWithRetries(url, {
      allowHosts: [host],
      method,
      headers: { 'content-type': 'application/json', 'user-agent': 'depwarden-alerts', ...opts.headers },
      ...(method === 'GET' ? {} : { body }),
      retries: 0,
      deadlines: { connectMs: Math.min(opts.timeoutMs, 10_000), firstByteMs: opts.timeoutMs, totalMs: opts.timeoutMs },
      maxBytes: 4 * 1024 * 1024,
    });
    const text = Buffer.from(res.body).toString('utf8');
    if (res.status >= 200 && res.status < 300) return { ok: true, status: res.status, body: text };
    return { ok: false, status: res.status, permanent: res.status !== 408 && res.status !== 429, error: scrub(`${opts.shown}: HTTP ${res.status}${text ? ` ${text.slice(0, 200).replace(/\s+/g, ' ')}` : ''}`) };
  } catch (e) {
    const he = e instanceof HttpError ? e : undefined;
    return { ok: false, ...(he?.status !== undefined ? { status: he.status } : {}), ...(he?.retryAfterMs !== undefined ? { retryAfterMs: he.retryAfterMs } : {}), error: scrub(`${opts.shown}: ${e instanceof Error ? e.message : String(e)}`) };
  }
}
