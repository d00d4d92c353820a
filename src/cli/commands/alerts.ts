import path from 'node:path';
import type { RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { printable } from '../../report/printable.ts';

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
};
