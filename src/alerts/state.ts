import { createHash } from 'node:crypto';
import { type AlertsConfig, type ChannelConfig, durationMs } from '../config/sections/alerts.ts';
import { canonical } from '../governance/audit-log.ts';
import type { Store } from '../store/store.ts';
import { type AlertItem, messageOf } from './message.ts';
import { routeTargets } from './routing.ts';
import { type Candidate, evaluateRules, type RuleRepo } from './rules.ts';
import { listSilences, silenceMatches } from './silences.ts';

/**
 * Alert state and noise control. Each evaluation turns the rules' candidates into alert rows (keyed by dedup
 * key: a condition is one alert until it resolves), then decides what to send: new alerts, repeats whose interval
 * has passed (it doubles with each send, up to 7 days), alerts whose silence or inhibition just ended, and resolved
 * messages. What is sent is grouped per channel (one message per advisory, build or change across every service
 * and repository with it) and queued as delivery rows (delivery.ts sends them).
 */

export interface AlertsRepo {
  name: string;
  root: string;
  branch: string | null;
  config: AlertsConfig;
}

export interface TargetRef {
  fp: string;
  channel: string;
  repeatMs: number;
  groupBy: string[];
  digest: 'off' | 'daily' | 'weekly';
  oneshot: boolean;
}

export interface EvaluationReport {
  candidates: number;
  firing: number;
  resolved: number;
  /** Alerts due to be sent this round, per channel (what one message per alert would have been). */
  itemsDue: number;
  /** Messages queued after grouping. */
  messages: number;
  held: number;
  ms: number;
}

const MAX_REPEAT_MS = 7 * 86_400_000;
export const alertId = (dedupKey: string): string => `al_${createHash('sha256').update(dedupKey).digest('hex').slice(0, 12)}`;
const fingerprint = (cfg: ChannelConfig, root: string): string => createHash('sha256').update(canonical({ cfg, root: cfg.kind === 'log' || cfg.kind === 'email' ? root : '' })).digest('hex').slice(0, 16);

/** Conditions of one service that make others noise: a service that is down does not also page for its error rate. */
export const INHIBITIONS: { source: string; targets: string[] }[] = [{ source: 'health.down', targets: ['health.degraded', 'health.error_rate', 'health.latency'] }];

/** The next digest time after `now`: 09:00 UTC, daily or on Monday. */
export function nextDigest(now: Date, period: 'daily' | 'weekly'): Date {
  const d = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 9));
  if (d.getTime() <= now.getTime()) d.setUTCDate(d.getUTCDate() + 1);
  if (period === 'weekly') while (d.getUTCDay() !== 1) d.setUTCDate(d.getUTCDate() + 1);
  return d;
}

interface AlertRow {
  id: string;
  dedup_key: string;
  rule: string;
  severity: string;
  state: string;
  title: string;
  text: string;
  repo: string | null;
  service: string | null;
  group_key: string;
  fields: Record<string, string> | string;
  links: { title: string; url: string }[] | string;
  owners: string[] | string;
  targets: TargetRef[] | string;
  first_seen: string | Date;
  last_seen: string | Date;
  last_sent: string | Date | null;
  send_count: number;
  held: string | null;
  resolved_at: string | Date | null;
}

const j = <T>(v: T | string): T => (typeof v === 'string' ? (JSON.parse(v) as T) : v);

export function itemOfRow(r: AlertRow): AlertItem {
  const owners = j(r.owners);
  return { rule: r.rule, severity: r.severity as AlertItem['severity'], title: r.title, text: r.text, fields: j(r.fields), links: j(r.links), dedupKey: r.dedup_key, ...(r.repo ? { repo: r.repo } : {}), ...(r.service ? { service: r.service } : {}), ...(owners.length ? { owners } : {}) };
}

export { type AlertRow };

/** Where a candidate goes: its repository's routes, or (no repository) every registered repository's, one per distinct channel. */
function targetsOf(c: Candidate, repos: AlertsRepo[], byName: Map<string, AlertsRepo>, defaultLog: ChannelConfig, channels: Map<string, { channel: string; cfg: ChannelConfig; root: string; delivery: AlertsConfig['delivery'] }>): TargetRef[] {
  const own = c.repo ? byName.get(c.repo) : undefined;
  const configs = own ? [own] : repos;
  const out = new Map<string, TargetRef>();
  for (const r of configs) {
    for (const t of routeTargets(r.config, c)) {
      const cfg = r.config.channels[t.channel] ?? defaultLog;
      const fp = fingerprint(cfg, r.root);
      if (!channels.has(fp)) channels.set(fp, { channel: t.channel, cfg, root: r.root, delivery: r.config.delivery });
      if (!out.has(fp)) out.set(fp, { fp, channel: t.channel, repeatMs: durationMs(t.route.repeatInterval), groupBy: t.route.groupBy, digest: t.route.digest, oneshot: Boolean(c.oneshot) });
    }
  }
  return [...out.values()].sort((a, b) => (a.fp < b.fp ? -1 : 1));
}

const groupKeyOf = (t: TargetRef, a: { rule: string; group_key: string; repo: string | null; service: string | null }): string =>
  t.groupBy.map((g) => (g === 'rule' ? a.rule : g === 'group' ? a.group_key : g === 'repo' ? (a.repo ?? '') : (a.service ?? ''))).join('|');

export interface EvaluateOptions {
  store: Store;
  repos: AlertsRepo[];
  now: Date;
  /** The channel alerts go to when a repository configures none (the server's log file). */
  defaultLog: ChannelConfig;
}

export async function evaluateAlerts(o: EvaluateOptions): Promise<EvaluationReport> {
  const t0 = performance.now();
  const { store, now } = o;
  const repos = [...o.repos].sort((a, b) => (a.name < b.name ? -1 : 1));
  const byName = new Map(repos.map((r) => [r.name, r]));
  const defaults = repos[0]?.config;
  const known = new Map<string, { fixedIn: string | undefined; state: string }>();
  for (const r of await store.query<{ dedup_key: string; fixed: string | null; state: string }>("SELECT dedup_key, fields->>'fixedIn' AS fixed, state FROM alerts WHERE rule LIKE 'vulnerability.%'")) known.set(r.dedup_key, { fixedIn: r.fixed ?? undefined, state: r.state });
  const ruleRepos: RuleRepo[] = repos.map((r) => ({ name: r.name, branch: r.branch, rules: r.config.rules }));
  const { alertsSection } = await import('../config/sections/alerts.ts');
  const globalRules = defaults?.rules ?? alertsSection.parse({}).rules;
  const candidates = await evaluateRules({ store, repos: ruleRepos, globalRules, now, known });
  const channels = new Map<string, { channel: string; cfg: ChannelConfig; root: string; delivery: AlertsConfig['delivery'] }>();
  const withTargets = candidates.map((c) => ({ c, targets: targetsOf(c, repos, byName, o.defaultLog, channels), owners: c.service ? (byName.get(c.repo ?? '')?.config.owners[c.service] ?? defaults?.owners[c.service] ?? []) : [] }));
  const silences = await listSilences(store, now);
  const down = new Set(withTargets.filter((x) => INHIBITIONS.some((i) => i.source === x.c.rule)).map((x) => `${x.c.rule}\0${x.c.repo ?? ''}\0${x.c.service ?? ''}`));
  const inhibitor = (c: Candidate): string | undefined => {
    for (const i of INHIBITIONS) if (i.targets.includes(c.rule) && down.has(`${i.source}\0${c.repo ?? ''}\0${c.service ?? ''}`)) return `inhibited:${alertId(`${i.source}:${c.repo}:${c.service}`)}`;
    return undefined;
  };
  const iso = now.toISOString();
  const report: EvaluationReport = { candidates: candidates.length, firing: 0, resolved: 0, itemsDue: 0, messages: 0, held: 0, ms: 0 };

  await store.transaction(async (q) => {
    // One evaluation at a time across replicas; PGlite is one process anyway.
    if (store.kind === 'postgres') await q("SELECT pg_advisory_xact_lock(hashtext('depwarden-alerts'))");
    for (const [fp, t] of channels) {
      await q('INSERT INTO alert_targets (fp, channel, kind, config, delivery, root) VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (fp) DO UPDATE SET channel = EXCLUDED.channel, delivery = EXCLUDED.delivery', [fp, t.channel, t.cfg.kind, JSON.stringify(t.cfg), JSON.stringify(t.delivery), t.root]);
    }
    const existing = new Map((await q<AlertRow>("SELECT * FROM alerts WHERE state = 'firing' OR dedup_key = ANY($1)", [candidates.map((c) => c.dedupKey)])).map((r) => [r.dedup_key, r]));
    const toSend = new Map<string, { t: TargetRef; rows: AlertRow[]; status: 'firing' | 'resolved' }>();
    const queue = (t: TargetRef, row: AlertRow, status: 'firing' | 'resolved'): void => {
      const k = `${t.fp}\0${status}\0${t.digest}\0${groupKeyOf(t, row)}`;
      const g = toSend.get(k) ?? { t, rows: [], status };
      g.rows.push(row);
      toSend.set(k, g);
      report.itemsDue++;
    };
    const sentIds = new Set<string>();
    const seen = new Set<string>();
    const upserts: AlertRow[] = [];
    const resolvedIds: string[] = [];
    for (const { c, targets, owners } of withTargets) {
      seen.add(c.dedupKey);
      const prev = existing.get(c.dedupKey);
      const reopened = !prev || prev.state === 'resolved';
      const groupKey = c.group;
      const row: AlertRow = {
        id: alertId(c.dedupKey), dedup_key: c.dedupKey, rule: c.rule, severity: c.severity, state: 'firing', title: c.title, text: c.text, repo: c.repo ?? null, service: c.service ?? null, group_key: groupKey, fields: c.fields, links: c.links, owners, targets,
        first_seen: reopened ? iso : prev!.first_seen, last_seen: iso, last_sent: reopened ? null : prev!.last_sent, send_count: reopened ? 0 : prev!.send_count, held: null, resolved_at: null,
      };
      const silence = silences.find((s) => silenceMatches(s.matchers, { rule: c.rule, service: c.service, repo: c.repo, severity: c.severity, dedupKey: c.dedupKey }));
      const held = silence?.id ?? inhibitor(c);
      row.held = held ?? null;
      report.firing++;
      if (held) report.held++;
      else {
        const wasHeld = !reopened && prev!.held !== null;
        const lastSent = row.last_sent ? new Date(row.last_sent).getTime() : undefined;
        let due = false;
        for (const t of targets) {
          const interval = Math.min(t.repeatMs * 2 ** Math.max(0, row.send_count - 1), MAX_REPEAT_MS);
          const repeat = lastSent !== undefined && !t.oneshot && now.getTime() - lastSent >= interval;
          if (lastSent === undefined || repeat || wasHeld) {
            queue(t, row, 'firing');
            due = true;
          }
        }
        if (due) {
          row.last_sent = iso;
          row.send_count += 1;
          sentIds.add(row.id);
        }
      }
      upserts.push(row);
    }
    // One statement for every row (a fleet has thousands of conditions; one round trip each would dominate).
    for (let i = 0; i < upserts.length; i += 2000) {
      await q(
        `INSERT INTO alerts (id, dedup_key, rule, severity, state, title, text, repo, service, group_key, fields, links, owners, targets, first_seen, last_seen, last_sent, send_count, held, resolved_at)
         SELECT id, dedup_key, rule, severity, 'firing', title, text, repo, service, group_key, fields, links, owners, targets, first_seen, last_seen, last_sent, send_count, held, NULL
         FROM jsonb_to_recordset($1::jsonb) AS x(id text, dedup_key text, rule text, severity text, title text, text text, repo text, service text, group_key text, fields jsonb, links jsonb, owners jsonb, targets jsonb, first_seen timestamptz, last_seen timestamptz, last_sent timestamptz, send_count integer, held text)
         ON CONFLICT (dedup_key) DO UPDATE SET rule = EXCLUDED.rule, severity = EXCLUDED.severity, state = 'firing', title = EXCLUDED.title, text = EXCLUDED.text, repo = EXCLUDED.repo, service = EXCLUDED.service,
           group_key = EXCLUDED.group_key, fields = EXCLUDED.fields, links = EXCLUDED.links, owners = EXCLUDED.owners, targets = EXCLUDED.targets, first_seen = EXCLUDED.first_seen, last_seen = EXCLUDED.last_seen,
           last_sent = EXCLUDED.last_sent, send_count = EXCLUDED.send_count, held = EXCLUDED.held, resolved_at = NULL`,
        [JSON.stringify(upserts.slice(i, i + 2000))],
      );
    }
    // Conditions that no longer hold: resolved, with a message where one was sent (events end quietly).
    for (const prev of existing.values()) {
      if (prev.state !== 'firing' || seen.has(prev.dedup_key)) continue;
      report.resolved++;
      resolvedIds.push(prev.id);
      if (prev.last_sent === null) continue;
      for (const t of j(prev.targets)) if (!t.oneshot) queue(t, prev, 'resolved');
    }
    if (resolvedIds.length) await q("UPDATE alerts SET state = 'resolved', resolved_at = $2, held = NULL WHERE id = ANY($1)", [resolvedIds, iso]);
    for (const g of [...toSend.values()].sort((a, b) => (a.t.fp < b.t.fp ? -1 : a.t.fp > b.t.fp ? 1 : 0))) {
      const items = g.rows.map(itemOfRow);
      const groupKey = groupKeyOf(g.t, g.rows[0]!);
      const message = messageOf(g.status, groupKey, items, iso);
      const nextAt = g.t.digest === 'off' ? iso : nextDigest(now, g.t.digest).toISOString();
      await q("INSERT INTO alert_deliveries (alert_id, group_key, target, channel, kind, message, status, next_at, created, updated_at) VALUES ($1, $2, $3, $4, $5, $6, 'pending', $7, $8, $8)", [g.rows.length === 1 ? g.rows[0]!.id : null, g.t.digest === 'off' ? groupKey : `digest:${g.t.digest}|${groupKey}`, g.t.fp, g.t.channel, g.t.digest === 'off' ? g.status : 'digest', JSON.stringify(message), nextAt, iso]);
      report.messages++;
    }
  });
  report.ms = Math.round(performance.now() - t0);
  return report;
}
