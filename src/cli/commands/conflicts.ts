import { Option } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { printable } from '../../report/printable.ts';
import { inventoryOf } from '../lazy.ts';
import { type RegisterCommand, UserError } from '../context.ts';
import { addFindingOptions, emitFindings, resolveFailOn, type FindingCommandOptions } from '../finding-command.ts';
import { repoPath, requireSomething } from '../repo-path.ts';

export const register: RegisterCommand = (program, ctx, result) => {
  addFindingOptions(
    program
      .command('conflicts')
      .description('Lock consistency and cross-service drift; exit 1 at or above --fail-on')
      .argument('[path]', 'repository root', '.'),
  ).action(async (p: string, opts: FindingCommandOptions) => {
    const root = repoPath(ctx.cwd, p, (l) => ctx.stderr(`note: ${l}\n`));
    const { config, file: configFile } = await loadConfig(root);
    const inv = await inventoryOf(root, config);
    resolveFailOn(opts.failOn, config); // a usage error in the options is said before anything else
    requireSomething(inv, configFile);
    const { analyzeConflicts } = await import('../../conflicts/index.ts');
    // Said plainly: the resolver part of issue 3 does not exist yet.
    emitFindings(ctx, result, 'conflicts', analyzeConflicts(inv, config), config, opts);
  });

  program
    .command('why')
    .description('Who requires a package, with which constraint, through which chain, in which services')
    .argument('<package>', 'package name')
    .argument('[path]', 'repository root', '.')
    .action(async (pkg: string, p: string) => {
      const root = repoPath(ctx.cwd, p, (l) => ctx.stderr(`note: ${l}\n`));
      const { config } = await loadConfig(root);
      const inv = await inventoryOf(root, config);
      const { renderWhy, why } = await import('../../conflicts/why.ts');
      const chains = why(inv, pkg);
      ctx.stdout(printable(renderWhy(pkg, chains)));
      if (chains.length === 0) result.code = 1;
    });

  program
    .command('agree')
    .description('Can these services share one set of versions? Solves their declared constraints over the versions the locks hold, or explains why not')
    .argument('<services...>', 'two or more service names (see `depwarden scan`)')
    .option('-C, --repo <path>', 'repository root', '.')
    .option('--package <name>', 'show only this package of the solution')
    .addOption(new Option('--ecosystem <name>', 'PyPI or npm (default: every ecosystem the services declare)').choices(['PyPI', 'npm']))
    .action(async (names: string[], opts: { repo: string; package?: string; ecosystem?: 'PyPI' | 'npm' }) => {
      const root = repoPath(ctx.cwd, opts.repo, (l) => ctx.stderr(`note: ${l}\n`));
      const { config } = await loadConfig(root);
      const inv = await inventoryOf(root, config);
      const services = names.map((n) => inv.services.find((s) => s.name === n));
      const missing = names.filter((_, i) => !services[i]);
      if (missing.length) throw new UserError(`no service named ${missing.map((m) => printable(m, { oneLine: true })).join(', ')} (see \`depwarden scan\`)`);
      const { lockSource, serviceRequirements } = await import('../../conflicts/lock-source.ts');
      const { solve } = await import('../../conflicts/resolver.ts');
      const { normalizeName } = await import('../../util/names.ts');
      const found = services.map((s) => s!);
      // Without --ecosystem: every ecosystem the services declare requirements in (npm services are not PyPI).
      const ecosystems = (opts.ecosystem ? [opts.ecosystem] : (['PyPI', 'npm'] as const).filter((e) => serviceRequirements(found, e).length > 0)) as ('PyPI' | 'npm')[];
      const label = names.map((n) => printable(n, { oneLine: true })).join(' and ');
      if (ecosystems.length === 0 || serviceRequirements(found, ecosystems[0]!).length === 0) {
        throw new UserError(`${label} declare no ${opts.ecosystem ?? 'PyPI or npm'} requirements to agree on${opts.ecosystem ? ' (try the other --ecosystem)' : ''}`);
      }
      const out: string[] = [];
      for (const eco of ecosystems) {
        const head = ecosystems.length > 1 ? ` (${eco})` : '';
        const r = solve(lockSource(inv, eco), serviceRequirements(found, eco));
        if (!r.ok) {
          out.push(`${label} cannot agree${head}:\n${r.explanation}`);
          result.code = 1;
          continue;
        }
        const pick = opts.package ? normalizeName(eco, opts.package) : undefined;
        const rows = [...r.solution].filter(([p]) => !pick || p === pick).sort(([a], [b]) => (a < b ? -1 : 1));
        if (pick && rows.length === 0) out.push(`${label} agree${head}, and neither needs ${opts.package}`);
        else out.push(`${label} can agree on${head}:\n${rows.map(([p, v]) => `  ${p} ${v}`).join('\n')}`);
      }
      ctx.stdout(printable(`${out.join('\n')}\n`));
    });
};
