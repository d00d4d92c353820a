import type { AlertsConfig } from '../config/sections/alerts.ts';
import { openChannel } from './channels/index.ts';
import type { SendResult } from './channels/channel.ts';
import { type AlertItem, itemOfNotice, messageOf, severityRank } from './message.ts';
import type { Notice, Notifier } from './notifier.ts';
import { routeTargets } from './routing.ts';

/**
 * Alerts without a server (`--notify` on audit, update, rollback; `depwarden alerts test`): an item goes through
 * the same routes to the same channels at once, one attempt each, no stored state. With no channel configured it
 * goes to the log channel (stderr), so nothing is dropped silently.
 */

export interface DirectEnv {
  root: string;
  env: NodeJS.ProcessEnv;
  stderr: (s: string) => void;
  now?: () => Date;
}

export interface DirectResult {
  channel: string;
  result: SendResult;
}

export async function notifyDirect(cfg: AlertsConfig, items: AlertItem[], de: DirectEnv): Promise<DirectResult[]> {
  const at = (de.now?.() ?? new Date()).toISOString();
  const byChannel = new Map<string, AlertItem[]>();
  for (const i of items) for (const t of routeTargets(cfg, i)) byChannel.set(t.channel, [...(byChannel.get(t.channel) ?? []), i]);
  const out = await Promise.all(
    [...byChannel].sort(([a], [b]) => (a < b ? -1 : 1)).map(async ([name, mine]) => {
      const ch = openChannel(name, cfg.channels[name] ?? { kind: 'log' }, { env: de.env, timeoutMs: cfg.delivery.timeoutSeconds * 1000, root: de.root, stderr: de.stderr });
      const groups = new Map<string, AlertItem[]>();
      for (const i of mine) groups.set(`${i.rule}|${i.dedupKey}`, [...(groups.get(`${i.rule}|${i.dedupKey}`) ?? []), i]);
      let result: SendResult = { ok: true };
      for (const [key, g] of groups) {
        const r = await ch.send({ ...messageOf('firing', key, g, at), active: g });
        if (!r.ok) result = r;
      }
      return { channel: name, result };
    }),
  );
  return out;
}

/** The Notifier seam (deploy rollbacks) over the direct path; failures are reported on stderr, never thrown. */
export function directNotifier(cfg: AlertsConfig, de: DirectEnv): Notifier {
  return {
    async notify(n: Notice) {
      for (const r of await notifyDirect(cfg, [itemOfNotice(n)], de)) if (!r.result.ok) de.stderr(`depwarden: alert not delivered to ${r.channel}: ${r.result.error ?? 'failed'}\n`);
    },
  };
}

/**
 * `--notify` of a CLI command: sends the items through the repository's alert routes, says on stderr what could
 * not be delivered. The command's own exit code stays what the command decided (a chat outage does not turn a
 * clean audit red); the failure is one line per channel.
 */
export async function notifyFromCli(cfg: AlertsConfig, items: AlertItem[], de: DirectEnv): Promise<void> {
  if (!items.length) return;
  for (const r of await notifyDirect(cfg, items, de)) de.stderr(r.result.ok ? `note: alerts sent to ${r.channel}\n` : `depwarden: alert not delivered to ${r.channel}: ${r.result.error ?? 'failed'}\n`);
}

/** The audit's untriaged matches at or above the rule's severity, as alert items (one group per advisory). */
export function vulnerabilityItems(repo: string, matches: { service: string; pkg: { name: string; version: string; ecosystem: string }; id: string; summary?: string | undefined; scored: { severity: string }; fixedIn?: string | undefined; triage?: unknown }[], minSeverity: string): AlertItem[] {
  const rank = severityRank;
  return matches
    .filter((m) => !m.triage && rank(m.scored.severity) >= rank(minSeverity))
    .map((m) => ({
      rule: 'vulnerability.new',
      severity: (rank(m.scored.severity) >= 0 ? m.scored.severity : 'medium') as AlertItem['severity'],
      title: `${m.id}: ${m.pkg.name} ${m.pkg.version} (${m.scored.severity})`,
      text: `${m.summary ?? 'Vulnerable dependency.'}${m.fixedIn ? `\nFixed in ${m.fixedIn}.` : '\nNo fixed version yet.'}`,
      fields: { package: `${m.pkg.name} ${m.pkg.version}`, ecosystem: m.pkg.ecosystem, ...(m.fixedIn ? { fixedIn: m.fixedIn } : {}) },
      repo,
      ...(m.service ? { service: m.service } : {}),
      links: [{ title: m.id, url: `https://osv.dev/vulnerability/${encodeURIComponent(m.id)}` }],
      // Grouped on the advisory: one message for every service that has it.
      dedupKey: m.id,
    }));
}
