import path from 'node:path';
import type { RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { printable } from '../../report/printable.ts';
import type { AlertView } from '../../alerts/queries.ts';
import { targetOptions } from './serve.ts';

/**
 * `depwarden alerts …`: `test` sends one message to one configured channel now (from CI or a laptop, no server);
 * list/show/silence/unsilence read and change the alert state of a server (alerts-store.ts).
 */
export const register: RegisterCommand = (program, ctx, result) => {
  const alerts = program.command('alerts').description('Alerts and notifications (the `alerts:` section of depwarden.yaml; docs/alerts.md)');
  alerts
    .command('test')
    .description('Send a test message to one channel; exit 0 only when the channel accepted it')
    .requiredOption('--channel <name>', 'a channel of alerts.channels')
    .option('-C, --repo <path>', 'repository whose depwarden.yaml names the channel', '.')
    .action(async (o: { channel: string; repo: string }) => {
      const { loadConfig } = await import('../../config/load.ts');
      const root = path.resolve(ctx.cwd, o.repo);
      const { config, file } = await loadConfig(root);
      const cfg = config.alerts.channels[o.channel];
      if (!cfg) throw new UserError(`${file ?? 'depwarden.yaml'}: no channel "${o.channel}" in alerts.channels (configured: ${Object.keys(config.alerts.channels).sort().join(', ') || 'none'})`);
      const { openChannel } = await import('../../alerts/channels/index.ts');
      const { messageOf } = await import('../../alerts/message.ts');
      const ch = openChannel(o.channel, cfg, { env: ctx.env, timeoutMs: config.alerts.delivery.timeoutSeconds * 1000, root, stderr: ctx.stderr });
      const item = { rule: 'alerts.test', severity: 'low' as const, title: `depwarden test message for channel ${o.channel}`, text: `Sent by \`depwarden alerts test\` from ${path.basename(root)}. Nothing needs doing.`, dedupKey: `test:${o.channel}`, repo: path.basename(root) };
      const r = await ch.send({ ...messageOf('test', 'alerts.test', [item], new Date().toISOString()), active: [item] });
      if (r.ok) {
        ctx.stdout(`${o.channel} (${cfg.kind}): accepted${r.status ? ` (${r.status})` : ''}\n`);
        result.code = EXIT.ok;
      } else {
        ctx.stderr(`depwarden: ${o.channel} (${cfg.kind}) did not accept the message: ${printable(r.error ?? 'failed', { oneLine: true })}\n`);
        result.code = r.permanent && r.status === undefined ? EXIT.usage : EXIT.network;
      }
    });

  const server = async () => import('./serve.ts');
  const list = targetOptions(alerts.command('list').description('Alerts of a server: active, silenced or resolved'))
    .option('--state <state>', 'active | silenced | resolved', 'active')
    .option('--json', 'print the API\'s JSON');
  list.action(async (o: { state: string; json?: boolean; data?: string; server?: string }) => {
    if (!['active', 'silenced', 'resolved'].includes(o.state)) throw new UserError('--state is active, silenced or resolved');
    const { withTarget } = await server();
    const items = await withTarget(
      ctx,
      o,
      async (r) => (await (await import('../../serve/client.ts')).call<{ items: AlertView[] }>(r, 'GET', `/api/v1/alerts?state=${o.state}`)).items,
      async (store) => (await import('../../alerts/queries.ts')).listAlerts(store, new Date(), o.state as 'active'),
    );
    if (o.json) ctx.stdout(`${JSON.stringify({ items }, null, 2)}\n`);
    else if (!items.length) ctx.stdout(`no ${o.state} alerts\n`);
    else for (const a of items) ctx.stdout(`${a.id}  ${a.severity.padEnd(8)}  ${a.rule.padEnd(26)}  ${printable(a.title, { oneLine: true })}${a.silencedBy ? `  (silenced by ${a.silencedBy})` : ''}\n`);
  });
  targetOptions(alerts.command('show <id>').description('One alert with its deliveries (JSON)')).action(async (id: string, o: { data?: string; server?: string }) => {
    const { withTarget } = await server();
    const a = await withTarget(
      ctx,
      o,
      async (r) => (await import('../../serve/client.ts')).call<unknown>(r, 'GET', `/api/v1/alerts/${encodeURIComponent(id)}`),
      async (store) => (await import('../../alerts/queries.ts')).getAlert(store, id, new Date()),
    );
    if (!a) throw new UserError(`no alert ${id}`);
    ctx.stdout(`${JSON.stringify(a, null, 2)}\n`);
  });
  targetOptions(alerts.command('silence').description('Silence the alerts matching every given matcher until the expiry (an audit event)'))
    .option('--rule <rule>', 'rule id, or a prefix ending in * (vulnerability.*)')
    .option('--service <name>')
    .option('--repo <name>')
    .option('--severity <level>', 'at or above: low, medium, high, critical')
    .option('--dedup-key <key>')
    .requiredOption('--reason <text>', 'why (shown with the silence)')
    .requiredOption('--for <duration>', 'how long: 30m, 4h, 2d')
    .action(async (o: { rule?: string; service?: string; repo?: string; severity?: string; dedupKey?: string; reason: string; for: string; data?: string; server?: string }) => {
      const { duration, durationMs } = await import('../../config/sections/alerts.ts');
      if (!duration.safeParse(o.for).success) throw new UserError(`--for ${o.for}: a duration such as 30m, 4h or 2d`);
      if (o.severity && !['low', 'medium', 'high', 'critical'].includes(o.severity)) throw new UserError('--severity is low, medium, high or critical');
      const matchers = { ...(o.rule ? { rule: o.rule } : {}), ...(o.service ? { service: o.service } : {}), ...(o.repo ? { repo: o.repo } : {}), ...(o.severity ? { severity: o.severity } : {}), ...(o.dedupKey ? { dedupKey: o.dedupKey } : {}) };
      const expiresAt = new Date(Date.now() + durationMs(o.for)).toISOString();
      const { withTarget, localActor } = await server();
      const s = await withTarget(
        ctx,
        o,
        async (r) => (await import('../../serve/client.ts')).call<{ id: string; expiresAt: string }>(r, 'POST', '/api/v1/alerts/silences', { matchers, reason: o.reason, expiresAt }),
        async (store) => {
          const { createSilence, SilenceError } = await import('../../alerts/silences.ts');
          try {
            const made = await createSilence(store, { matchers, reason: o.reason, author: localActor(ctx.env), expiresAt }, new Date());
            const { appendEvent } = await import('../../governance/audit-log.ts');
            await appendEvent(store, { actor: localActor(ctx.env), kind: 'alert_silenced', payload: { silence: made.id, matchers: made.matchers, reason: made.reason, expiresAt: made.expiresAt, via: 'cli' } });
            return made;
          } catch (e) {
            if (e instanceof SilenceError) throw new UserError(e.message);
            throw e;
          }
        },
      );
      ctx.stdout(`${s.id} until ${s.expiresAt}\n`);
    });
  targetOptions(alerts.command('unsilence <id>').description('End a silence now (an audit event)')).action(async (id: string, o: { data?: string; server?: string }) => {
    const { withTarget, localActor } = await server();
    await withTarget(
      ctx,
      o,
      async (r) => (await import('../../serve/client.ts')).call<unknown>(r, 'DELETE', `/api/v1/alerts/silences/${encodeURIComponent(id)}`),
      async (store) => {
        const { deleteSilence } = await import('../../alerts/silences.ts');
        if (!(await deleteSilence(store, id, new Date()))) throw new UserError(`no active silence ${id}`);
        const { appendEvent } = await import('../../governance/audit-log.ts');
        await appendEvent(store, { actor: localActor(ctx.env), kind: 'alert_unsilenced', payload: { silence: id, via: 'cli' } });
      },
    );
    ctx.stdout(`ended ${id}\n`);
  });
};
