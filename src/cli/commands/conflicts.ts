import { loadConfig } from '../../config/load.ts';
import { inventoryOf } from '../lazy.ts';
import { type RegisterCommand, UserError } from '../context.ts';
import { addFindingOptions, emitFindings, type FindingCommandOptions } from '../finding-command.ts';
import { repoPath, requireSomething } from '../repo-path.ts';

export const register: RegisterCommand = (program, ctx, result) => {
  addFindingOptions(
    program
      .command('conflicts')
      .description('Lock consistency and cross-service drift; exit 1 at or above --fail-on')
      .argument('[path]', 'repository root', '.'),
  ).action(async (p: string, opts: FindingCommandOptions) => {
    const root = repoPath(ctx.cwd, p, (l) => ctx.stderr(`note: ${l}\n`));
    const { config } = await loadConfig(root);
    const inv = await inventoryOf(root, config);
    requireSomething(inv);
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
      const root = repoPath(ctx.cwd, p);
      const { config } = await loadConfig(root);
      const inv = await inventoryOf(root, config);
      const { renderWhy, why } = await import('../../conflicts/why.ts');
      const chains = why(inv, pkg);
      ctx.stdout(renderWhy(pkg, chains));
      if (chains.length === 0) result.code = 1;
    });

  program
    .command('agree')
    .description('Can these services share one set of versions? Solves their declared constraints over the versions the locks hold, or explains why not')
    .argument('<services...>', 'two or more service names (see `depwarden scan`)')
    .option('-C, --repo <path>', 'repository root', '.')
    .option('--package <name>', 'show only this package of the solution')
    .option('--ecosystem <name>', 'PyPI or npm', 'PyPI')
    .action(async (names: string[], opts: { repo: string; package?: string; ecosystem: 'PyPI' | 'npm' }) => {
      const root = repoPath(ctx.cwd, opts.repo);
      const { config } = await loadConfig(root);
      const inv = await inventoryOf(root, config);
      const services = names.map((n) => inv.services.find((s) => s.name === n));
      const missing = names.filter((_, i) => !services[i]);
      if (missing.length) throw new UserError(`no service named ${missing.join(', ')} (see \`depwarden scan\`)`);
      const { lockSource, serviceRequirements } = await import('../../conflicts/lock-source.ts');
      const { solve } = await import('../../conflicts/resolver.ts');
      const { normalizeName } = await import('../../util/names.ts');
      const r = solve(lockSource(inv, opts.ecosystem), serviceRequirements(services.map((s) => s!), opts.ecosystem));
      if (!r.ok) {
        ctx.stdout(`${names.join(' and ')} cannot agree:\n${r.explanation}\n`);
        result.code = 1;
        return;
      }
      const pick = opts.package ? normalizeName(opts.ecosystem, opts.package) : undefined;
      const rows = [...r.solution].filter(([p]) => !pick || p === pick).sort(([a], [b]) => (a < b ? -1 : 1));
      if (pick && rows.length === 0) ctx.stdout(`${names.join(' and ')} agree, and neither needs ${opts.package}\n`);
      else ctx.stdout(`${names.join(' and ')} can agree on:\n${rows.map(([p, v]) => `  ${p} ${v}`).join('\n')}\n`);
    });
};
