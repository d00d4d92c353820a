import type { AlertsConfig, ChannelConfig } from '../config/sections/alerts.ts';
import type { Store } from '../store/store.ts';
import { redactSecrets } from '../util/redact.ts';
import { openChannel } from './channels/index.ts';
import type { SendResult } from './channels/channel.ts';
import { type AlertItem, type AlertMessage, digestOf } from './message.ts';
import { type AlertRow, itemOfRow } from './state.ts';

/**
 * The delivery worker: due rows of `alert_deliveries` are claimed (SKIP LOCKED, so replicas never send one twice),
 * sent one attempt each, all channels at once (a slow or unreachable channel holds up only its own messages, each
 * attempt bounded by alerts.delivery.timeoutSeconds), and marked delivered, retried later (exponential backoff,
 * or the receiver's Retry-After), or dead after maxAttempts. The rows are the delivery log the API reads.
 */

export interface DeliveryEnv {
  store: Store;
  env: NodeJS.ProcessEnv;
  now?: () => Date;
  /** How long a claimed row is kept from other workers while its attempt runs. */
  leaseMs?: number;
  stderr?: (s: string) => void;
}

export interface DeliveryRound {
  attempted: number;
  delivered: number;
  retried: number;
  dead: number;
}

interface Claimed {
  id: string | number;
  target: string;
  channel: string;
  kind: string;
  group_key: string;
  message: AlertMessage | string;
  attempts: number;
}

interface TargetRow {
  fp: string;
  channel: string;
  config: ChannelConfig | string;
  delivery: AlertsConfig['delivery'] | string;
  root: string;
}

const j = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

/** One round: claim what is due, send it, record the outcome. */
export async function deliverDue(de: DeliveryEnv, limit = 100): Promise<DeliveryRound> {
  const now = de.now?.() ?? new Date();
  const lease = new Date(now.getTime() + (de.leaseMs ?? 120_000)).toISOString();
  const claimed = await de.store.query<Claimed>(
    `UPDATE alert_deliveries SET next_at = $2 WHERE id IN (SELECT id FROM alert_deliveries WHERE status = 'pending' AND next_at <= $1 ORDER BY next_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
     RETURNING id, target, channel, kind, group_key, message, attempts`,
    [now.toISOString(), lease, limit],
  );
  const round: DeliveryRound = { attempted: 0, delivered: 0, retried: 0, dead: 0 };
  if (!claimed.length) return round;
  const targets = new Map((await de.store.query<TargetRow>('SELECT fp, channel, config, delivery, root FROM alert_targets WHERE fp = ANY($1)', [[...new Set(claimed.map((c) => c.target))]])).map((t) => [t.fp, t]));
  // Per target: the digest rows due now become one message; every other row is its own.
  const batches = new Map<string, Claimed[][]>();
  for (const c of claimed) {
    const list = batches.get(c.target) ?? [];
    const digest = c.kind === 'digest' ? list.find((b) => b[0]!.kind === 'digest') : undefined;
    if (digest) digest.push(c);
    else list.push([c]);
    batches.set(c.target, list);
  }
  await Promise.all(
    [...batches].map(async ([fp, list]) => {
      const t = targets.get(fp);
      for (const rows of list) {
        round.attempted++;
        const result = t ? await sendBatch(de, t, rows, now) : { ok: false, permanent: true, error: 'the channel is no longer configured' };
        const attempts = rows[0]!.attempts + 1;
        const delivery = t ? j(t.delivery) : { maxAttempts: 1, backoffSeconds: 30, timeoutSeconds: 10 };
        const ids = rows.map((r) => String(r.id));
        const at = (de.now?.() ?? new Date()).toISOString();
        if (result.ok) {
          round.delivered++;
          await de.store.query("UPDATE alert_deliveries SET status = 'delivered', attempts = attempts + 1, last_status = $2, last_error = NULL, updated_at = $3 WHERE id = ANY($1::bigint[])", [ids, result.status ?? null, at]);
        } else if (result.permanent || attempts >= delivery.maxAttempts) {
          round.dead++;
          await de.store.query("UPDATE alert_deliveries SET status = 'dead', attempts = attempts + 1, last_status = $2, last_error = $3, updated_at = $4 WHERE id = ANY($1::bigint[])", [ids, result.status ?? null, redactSecrets(result.error ?? 'failed').slice(0, 1000), at]);
          de.stderr?.(`depwarden: alert to ${t?.channel ?? fp} dead after ${attempts} attempt(s): ${redactSecrets(result.error ?? 'failed')}\n`);
        } else {
          round.retried++;
          const backoff = delivery.backoffSeconds * 1000 * 2 ** (attempts - 1);
          const wait = Math.max(result.retryAfterMs ?? 0, backoff);
          await de.store.query('UPDATE alert_deliveries SET attempts = attempts + 1, last_status = $2, last_error = $3, next_at = $4, updated_at = $5 WHERE id = ANY($1::bigint[])', [ids, result.status ?? null, redactSecrets(result.error ?? 'failed').slice(0, 1000), new Date(now.getTime() + wait).toISOString(), at]);
        }
      }
    }),
  );
  return round;
}

async function sendBatch(de: DeliveryEnv, t: TargetRow, rows: Claimed[], now: Date): Promise<SendResult> {
  const cfg = j(t.config);
  const delivery = j(t.delivery);
  const messages = rows.map((r) => j(r.message));
  // A digest says each condition once (its latest state), however often it was queued in the period.
  const latest = new Map<string, AlertItem>();
  if (rows[0]!.kind === 'digest') for (const m of messages) for (const i of m.items) latest.set(i.dedupKey, m.status === 'resolved' ? { ...i, title: `Resolved: ${i.title}` } : i);
  let message: AlertMessage = rows[0]!.kind === 'digest' ? digestOf(rows[0]!.group_key.startsWith('digest:weekly') ? 'weekly' : 'daily', [...latest.values()], now.toISOString()) : messages[0]!;
  if (cfg.kind === 'github-issue') message = { ...message, active: await activeFor(de.store, t.fp) };
  try {
    return await openChannel(t.channel, cfg, { env: de.env, timeoutMs: delivery.timeoutSeconds * 1000, root: t.root, ...(de.stderr ? { stderr: de.stderr } : {}) }).send(message);
  } catch (e) {
    return { ok: false, error: e instanceof Error ? e.message : String(e) };
  }
}

/** Every alert firing now that routes to one channel: the dashboard issue's content. */
async function activeFor(store: Store, fp: string): Promise<AlertItem[]> {
  const rows = await store.query<AlertRow>("SELECT * FROM alerts WHERE state = 'firing' AND targets @> $1::jsonb ORDER BY dedup_key", [JSON.stringify([{ fp }])]);
  return rows.map(itemOfRow);
}
