import type { AlertsConfig } from '../config/sections/alerts.ts';
import { openChannel } from './channels/index.ts';
import type { SendResult } from './channels/channel.ts';
import { type AlertItem, messageOf } from './message.ts';
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
      const { itemOfNotice } = await import('./message.ts');
      for (const r of await notifyDirect(cfg, [itemOfNotice(n)], de)) if (!r.result.ok) de.stderr(`depwarden: alert not delivered to ${r.channel}: ${r.result.error ?? 'failed'}\n`);
    },
  };
}
