import { createHmac } from 'node:crypto';
import type { AlertMessage } from '../message.ts';
import { type Channel, type ChannelEnv, secretOf, sendJson } from './channel.ts';

/**
 * Generic webhook: the message as JSON, signed. `X-Depwarden-Signature: t=<unix seconds>,v1=<hex>` where hex is
 * HMAC-SHA256(secret, "<t>.<body>") — the timestamp inside the signed text lets a receiver refuse replays
 * (docs/alerts.md has the verification recipe).
 */

export const SIGNATURE_HEADER = 'X-Depwarden-Signature';

export function signature(secret: string, body: string, unixSeconds: number): string {
  return `t=${unixSeconds},v1=${createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex')}`;
}

export function renderWebhook(m: AlertMessage): Record<string, unknown> {
  return {
    version: 1,
    status: m.status,
    groupKey: m.groupKey,
    title: m.title,
    severity: m.severity,
    at: m.at,
    alerts: m.items.map((i) => ({ rule: i.rule, severity: i.severity, title: i.title, text: i.text, dedupKey: i.dedupKey, repo: i.repo ?? null, service: i.service ?? null, fields: i.fields ?? {}, owners: i.owners ?? [], links: i.links ?? [] })),
  };
}

export function webhookChannel(name: string, cfg: { url: string; secretEnv: string }, ce: ChannelEnv, now: () => number = Date.now): Channel {
  return {
    name,
    kind: 'webhook',
    async send(m) {
      const secret = secretOf(ce.env, cfg.secretEnv);
      if ('missing' in secret) return secret.missing;
      const body = JSON.stringify(renderWebhook(m));
      const t = Math.floor(now() / 1000);
      return sendJson(cfg.url, body, { shown: `webhook ${new URL(cfg.url).host}`, timeoutMs: ce.timeoutMs, headers: { [SIGNATURE_HEADER]: signature(secret.value, body, t), 'x-depwarden-event': m.status } });
    },
  };
}
