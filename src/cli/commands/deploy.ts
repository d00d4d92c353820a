import path from 'node:path';
import type { RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { repoPath } from '../repo-path.ts';
import { repositoryStore } from '../repo-store.ts';

/**
 * `depwarden deploy SERVICE --image REF@sha256:…`: a zero-downtime rollout with gates and automatic rollback
 * (src/deploy/), and `depwarden deploys list`: the deploy records.
 */

export const register: RegisterCommand = (program, ctx, result) => {
  program
    .command('deploy')
    .description('Roll an image out by digest (rolling or blue/green) behind readiness and analysis gates; a failed gate rolls back to the last known good images, records it, notifies and writes a post-mortem.')
    .argument('[service]', 'service name in deploy.services of depwarden.yaml')
    .option('-C, --repo <path>', 'repository root', '.')
    .option('--image <ref>', 'image to deploy, pinned by digest: NAME@sha256:<64 hex>; with --change and no SERVICE, once per service as SERVICE=NAME@sha256:… (rolled out in waves)', (v: string, acc: string[] | undefined) => [...(acc ?? []), v])
    .option('--strategy <name>', 'rolling or blue-green (default: deploy.strategy, or the service\'s own)')
    .option('--change <id>', 'the approved change this image ships (an unapproved change is refused); on rollback it becomes rolled_back')
    .option('--actor <login>', 'who deploys (recorded in the audit log)', 'depwarden')
    .option('--resume', 'finish deploys an earlier run left unfinished (killed): each service ends on its last known good images')
    .option('--format <fmt>', 'text or json', 'text')
    .addHelpText('after', '\nExit codes: 0 deployed, 1 a gate failed and the service was rolled back, 2 refused (bad input, config), 5 engine unreachable.\nConfig: deploy: in depwarden.yaml (see docs/deploy.md).\n')
    .action(async (service: string | undefined, o: { repo: string; image?: string[]; strategy?: string; change?: string; actor: string; resume?: boolean; format: string }) => {
      const root = repoPath(ctx.cwd, o.repo);
      const images = o.image ?? [];
      const { loadConfig } = await import('../../config/load.ts');
      const { config } = await loadConfig(root);
      if (o.strategy && !['rolling', 'blue-green'].includes(o.strategy)) throw new UserError('--strategy must be rolling or blue-green');
      const waves = !service && o.change && !o.resume;
      if (!o.resume && !waves && (!service || images.length !== 1)) throw new UserError('deploy needs a service and one --image NAME@sha256:<digest> (or --change ID with --image SERVICE=NAME@sha256:… per service, or --resume)');
      const pairs: [string, string][] = [];
      if (waves) {
        for (const i of images) {
          const m = /^([a-z0-9][a-z0-9_.-]*)=(.+)$/.exec(i);
          if (!m) throw new UserError(`--image ${i}: with --change and no service, each image is SERVICE=NAME@sha256:<digest>`);
          pairs.push([m[1]!, m[2]!]);
        }
        if (!pairs.length) throw new UserError('deploy --change needs --image SERVICE=NAME@sha256:<digest> for each service of the change');
      }
      const { DeployError } = await import('../../deploy/errors.ts');
      const { LogChannel } = await import('../../alerts/channels/log.ts');
      const store = await repositoryStore(root, ctx.env, true);
      const log = new LogChannel({ ...(config.deploy.notify.log ? { file: path.resolve(root, config.deploy.notify.log) } : {}), stderr: ctx.stderr });
      // The log keeps every notice; configured alert channels get it too, through the repository's routes.
      const { directNotifier } = await import('../../alerts/direct.ts');
      const alerts = Object.keys(config.alerts.channels).length ? directNotifier(config.alerts, { root, env: ctx.env, stderr: ctx.stderr }) : undefined;
      const notifier = { notify: async (n: import('../../alerts/notifier.ts').Notice) => { await log.notify(n); await alerts?.notify(n); } };
      const env = { root, config, store, notifier, actor: o.actor, engineEnv: { ...process.env, ...ctx.env } };
      try {
        if (o.resume) {
          const { resume } = await import('../../deploy/resume.ts');
          const done = await resume(env);
          if (o.format === 'json') ctx.stdout(`${JSON.stringify(done, null, 2)}\n`);
          else ctx.stdout(done.length ? done.map((d) => `${d.id}: ${d.service} ${d.outcome}; live ${d.live}\n`).join('') : 'no unfinished deploy\n');
          return;
        }
        if (waves) {
          const { deployChange } = await import('../../deploy/change.ts');
          const out = await deployChange(env, o.change!, pairs);
          if (o.format === 'json') ctx.stdout(`${JSON.stringify({ ok: out.ok, change: out.change, waves: out.waves, failed: out.failed ?? null, postmortem: out.postmortem ?? null, deploys: out.deploys.map((d) => d.record) }, null, 2)}\n`);
          else ctx.stdout(out.ok ? `change ${out.change}: ${out.waves.flat().join(', ')} deployed (${out.waves.length} wave(s)); known good updated\n` : `change ${out.change}: ${out.failed!.gate} gate failed in ${out.failed!.service} (${out.failed!.reason}); every updated service rolled back; post-mortem ${out.postmortem}\n`);
          if (!out.ok) result.code = EXIT.findings;
          return;
        }
        const { deploy } = await import('../../deploy/deploy.ts');
        const out = await deploy(env, { service: service!, image: images[0]!, ...(o.strategy ? { strategy: o.strategy as 'rolling' } : {}), ...(o.change ? { change: o.change } : {}) });
        if (o.format === 'json') ctx.stdout(`${JSON.stringify({ ...out.record, postmortem: out.postmortem ?? null, rollbackChange: out.rollbackChange ?? null, detectedAtMs: out.result.detectedAtMs ?? null, restoredAtMs: out.result.restoredAtMs ?? null }, null, 2)}\n`);
        else if (out.result.ok) ctx.stdout(`${service}: ${out.record.to} live (${out.record.strategy}, ${out.record.durationMs} ms); known good updated\n`);
        else ctx.stdout(`${service}: ${out.result.failed} gate failed (${out.result.reason}); rolled back to ${out.result.live.join(', ') || 'nothing'} in ${((out.result.restoredAtMs ?? 0) / 1000).toFixed(1)} s; post-mortem ${out.postmortem}\n`);
        if (!out.result.ok) result.code = EXIT.findings;
      } catch (e) {
        if (e instanceof DeployError) throw new UserError(e.message, e.exitCode === 3 ? EXIT.usage : e.exitCode);
        throw e;
      } finally {
        await store.close();
      }
    });

  program
    .command('deploys')
    .description('Deploy records.')
    .command('list')
    .description('Every deploy: service, strategy, from → to digests, change, gate results, duration, outcome.')
    .option('-C, --repo <path>', 'repository root', '.')
    .option('--service <name>', 'only this service')
    .option('--format <fmt>', 'text or json', 'text')
    .action(async (o: { repo: string; service?: string; format: string }) => {
      const root = repoPath(ctx.cwd, o.repo);
      const { repositoryStoreDir } = await import('../../store/store.ts');
      const { existsSync } = await import('node:fs');
      if (!ctx.env.DATABASE_URL && !existsSync(repositoryStoreDir(root))) {
        ctx.stdout(o.format === 'json' ? '[]\n' : 'no deploys recorded\n');
        return;
      }
      const store = await repositoryStore(root, ctx.env, false);
      try {
        const { listRecords } = await import('../../deploy/records.ts');
        const rows = await listRecords(store, o.service ? { service: o.service } : {});
        if (o.format === 'json') ctx.stdout(`${JSON.stringify(rows, null, 2)}\n`);
        else ctx.stdout(rows.length ? rows.map((r) => `${r.id}  ${r.service}  ${r.strategy}  ${r.outcome}  ${r.from.slice(0, 19) || '(none)'} → ${r.to.slice(0, 19)}  ${r.change ?? '-'}  ${r.durationMs ?? '?'} ms\n`).join('') : 'no deploys recorded\n');
      } finally {
        await store.close();
      }
    });
};
