import type { Store } from '../store/store.ts';
import { listSilences, silenceMatches } from './silences.ts';
import type { AlertRow } from './state.ts';

/**
 * The reads of alert state, shared by the API (feature.ts) and `depwarden alerts list|show --data`: one shape,
 * the one docs/alerts.md and the dashboard use.
 */

export type AlertState = 'active' | 'silenced' | 'resolved';

export interface AlertView {
  id: string;
  rule: string;
  severity: string;
  state: AlertState;
  title: string;
  text: string;
  repo: string | null;
  service: string | null;
  dedupKey: string;
  groupKey: string;
  firstSeen: string;
  lastSeen: string;
  lastSent: string | null;
  silencedBy?: string;
  fields: Record<string, string>;
  owners: string[];
  channels: string[];
}

export interface DeliveryView {
  id: number;
  alertId: string | null;
  groupKey: string;
  channel: string;
  kind: string;
  attempts: number;
  status: 'pending' | 'delivered' | 'dead';
  lastStatus: number | null;
  lastError: string | null;
  updatedAt: string;
  nextAt: string;
}

const iso = (v: string | Date | null): string | null => (v === null ? null : new Date(v).toISOString());
const j = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

async function views(store: Store, rows: AlertRow[], now: Date): Promise<AlertView[]> {
  const silences = await listSilences(store, now);
  return rows.map((r) => {
    // A silence made since the last evaluation already counts here; an inhibition is what the evaluation found.
    const silence = r.state === 'firing' ? silences.find((s) => silenceMatches(s.matchers, { rule: r.rule, service: r.service, repo: r.repo, severity: r.severity, dedupKey: r.dedup_key })) : undefined;
    const silencedBy = r.state !== 'firing' ? undefined : (silence?.id ?? (r.held?.startsWith('inhibited:') ? r.held : undefined));
    return {
      id: r.id,
      rule: r.rule,
      severity: r.severity,
      state: r.state === 'resolved' ? 'resolved' : silencedBy ? 'silenced' : 'active',
      title: r.title,
      text: r.text,
      repo: r.repo,
      service: r.service,
      dedupKey: r.dedup_key,
      groupKey: `${r.rule}|${r.group_key}`,
      firstSeen: iso(r.first_seen)!,
      lastSeen: iso(r.last_seen)!,
      lastSent: iso(r.last_sent),
      ...(silencedBy ? { silencedBy } : {}),
      fields: j(r.fields),
      owners: j(r.owners),
      channels: [...new Set(j(r.targets).map((t) => t.channel))].sort(),
    };
  });
}

export async function listAlerts(store: Store, now: Date, state?: AlertState, limit = 1000): Promise<AlertView[]> {
  const rows = await store.query<AlertRow>(`SELECT * FROM alerts ${state === 'resolved' ? "WHERE state = 'resolved'" : state ? "WHERE state = 'firing'" : ''} ORDER BY state, rule, dedup_key LIMIT $1`, [state === 'resolved' ? limit : 100_000]);
  const all = await views(store, rows, now);
  return (state && state !== 'resolved' ? all.filter((a) => a.state === state) : all).slice(0, limit);
}

export async function getAlert(store: Store, id: string, now: Date): Promise<(AlertView & { deliveries: DeliveryView[] }) | undefined> {
  const r = await store.query<AlertRow>('SELECT * FROM alerts WHERE id = $1', [id]);
  if (!r[0]) return undefined;
  const [v] = await views(store, r, now);
  const deliveries = await listDeliveries(store, { alertDedupKey: r[0].dedup_key });
  return { ...v!, deliveries };
}

interface DeliveryRow {
  id: string | number;
  alert_id: string | null;
  group_key: string;
  channel: string;
  kind: string;
  attempts: number;
  status: DeliveryView['status'];
  last_status: number | null;
  last_error: string | null;
  updated_at: string | Date;
  next_at: string | Date;
}

export async function listDeliveries(store: Store, f: { status?: string; channel?: string; alertDedupKey?: string; limit?: number } = {}): Promise<DeliveryView[]> {
  const where: string[] = [];
  const params: unknown[] = [];
  if (f.status) where.push(`status = $${params.push(f.status)}`);
  if (f.channel) where.push(`channel = $${params.push(f.channel)}`);
  // A grouped message names no single alert: found through the items of its message.
  if (f.alertDedupKey) where.push(`message->'items' @> $${params.push(JSON.stringify([{ dedupKey: f.alertDedupKey }]))}::jsonb`);
  const rows = await store.query<DeliveryRow>(`SELECT id, alert_id, group_key, channel, kind, attempts, status, last_status, last_error, updated_at, next_at FROM alert_deliveries ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${params.push(f.limit ?? 200)}`, params);
  return rows.map((r) => ({ id: Number(r.id), alertId: r.alert_id, groupKey: r.group_key, channel: r.channel, kind: r.kind, attempts: r.attempts, status: r.status, lastStatus: r.last_status, lastError: r.last_error, updatedAt: iso(r.updated_at)!, nextAt: iso(r.next_at)! }));
}
