import type { RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { repoPath } from '../repo-path.ts';
import { printable } from '../../report/printable.ts';

/**
 * `depwarden health check [PATH]`: runs the `health:` probes of a repository's depwarden.yaml once, here, and
 * prints each service's status — the same probes `depwarden serve` runs on an interval, without a server.
 */
export const register: RegisterCommand = (program, ctx, result) => {
  const health = program.command('health').description('Runtime health of the services (the `health:` section of depwarden.yaml)');
  health
    .command('check [path]')
    .description('Probe every service of the health: section once (HTTP, TCP, Docker healthcheck, Prometheus queries) and print its status')
    .option('--service <name...>', 'only these services')
    .option('--json', 'print the results as JSON')
    .action(async (p: string | undefined, o: { service?: string[]; json?: boolean }) => {
      const root = repoPath(ctx.cwd, p);
      const { loadConfig } = await import('../../config/load.ts');
      const { config, file } = await loadConfig(root);
      const all = Object.entries(config.health ?? {}).sort(([a], [b]) => (a < b ? -1 : 1));
      if (all.length === 0) throw new UserError(`${file ?? 'depwarden.yaml'}: no health: section; nothing to probe (see docs/health.md)`);
      const unknownNames = (o.service ?? []).filter((s) => !all.some(([n]) => n === s));
      if (unknownNames.length) throw new UserError(`no health: entry for ${unknownNames.join(', ')} (configured: ${all.map(([n]) => n).join(', ')})`);
      const chosen = o.service ? all.filter(([n]) => o.service!.includes(n)) : all;
      const { probeService } = await import('../../health/probe.ts');
      const { basename } = await import('node:path');
      const results = await Promise.all(chosen.map(([service, cfg]) => probeService(basename(root), service, cfg)));
      if (o.json) ctx.stdout(`${JSON.stringify(results.map(({ repo: _repo, ...r }) => r), null, 2)}\n`);
      else {
        const width = Math.max(...results.map((r) => r.service.length), 7);
        for (const r of results) {
          ctx.stdout(`${r.service.padEnd(width)}  ${r.status.padEnd(8)}  ${printable(r.reason)}\n`);
          for (const c of r.checks) ctx.stdout(`${''.padEnd(width)}    ${c.check}: ${c.status} — ${printable(c.reason)}\n`);
        }
      }
      result.code = results.every((r) => r.status === 'up') ? EXIT.ok : EXIT.findings;
    });
};
