import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Option } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { printable } from '../../report/printable.ts';
import { inventoryOf } from '../lazy.ts';
import { EXIT, type RegisterCommand, UserError } from '../context.ts';
import { addFindingOptions, emitFindings, type FindingCommandOptions, resolveFailOn, writeAtomic } from '../finding-command.ts';
import { repoPath, requireSomething } from '../repo-path.ts';
import { depwardenHome } from '../../util/home.ts';

/** The Poetry project (pyproject.toml + poetry.lock) a SERVICE|PATH argument names: a folder, a file in it, or a service. */
async function poetryProjectDir(cwd: string, target: string, repo: string): Promise<string> {
  const p = path.resolve(cwd, target);
  if (existsSync(p)) {
    const dir = statSync(p).isDirectory() ? p : path.dirname(p);
    if (existsSync(path.join(dir, 'poetry.lock'))) return dir;
    throw new UserError(`${printable(target, { oneLine: true })}: no poetry.lock there (export reads a Poetry project: pyproject.toml and poetry.lock)`);
  }
  const root = repoPath(cwd, repo);
  const { config } = await loadConfig(root);
  const inv = await inventoryOf(root, config);
  const svc = inv.services.find((s) => s.name === target);
  if (!svc) throw new UserError(`${printable(target, { oneLine: true })} is neither a path nor a service (see \`depwarden scan\`)`);
  const unit = svc.units.find((u) => u.ecosystem === 'PyPI' && u.lock?.endsWith('poetry.lock'));
  if (!unit?.lock) throw new UserError(`service ${printable(target, { oneLine: true })} has no poetry.lock`);
  return path.join(root, path.dirname(unit.lock));
}

export const register: RegisterCommand = (program, ctx, result) => {
  program
    .command('export')
    .description('Write a pip requirements file from a Poetry lock (what `poetry export` writes; see docs/export.md)')
    .argument('<target>', 'a service name, or the folder (or poetry.lock) of a Poetry project')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['requirements']).default('requirements'))
    .option('--with-hashes', 'every file hash of the lock as --hash (the default)')
    .option('--without-hashes', 'no --hash options')
    .option('--only <groups...>', 'only these Poetry groups (e.g. --only main)')
    .option('--with <groups...>', 'these Poetry groups besides main')
    .option('-E, --extras <extras...>', 'the project extras to include')
    .option('-o, --output <file>', 'write here (atomically) instead of stdout')
    .option('-C, --repo <path>', 'repository to look a service name up in', '.')
    .action(async (target: string, opts: { withHashes?: boolean; withoutHashes?: boolean; only?: string[]; with?: string[]; extras?: string[]; output?: string; repo: string }) => {
      if (opts.withHashes && opts.withoutHashes) throw new UserError('--with-hashes and --without-hashes exclude each other');
      if (opts.only && opts.with) throw new UserError('--only and --with exclude each other');
      const dir = await poetryProjectDir(ctx.cwd, target, opts.repo);
      if (!existsSync(path.join(dir, 'pyproject.toml'))) throw new UserError(`${dir}: poetry.lock without pyproject.toml`);
      const { ExportError, exportRequirements } = await import('../../export/requirements.ts');
      let text: string;
      try {
        text = exportRequirements(
          { dir, pyprojectFile: 'pyproject.toml', pyprojectText: readFileSync(path.join(dir, 'pyproject.toml'), 'utf8'), lockFile: 'poetry.lock', lockText: readFileSync(path.join(dir, 'poetry.lock'), 'utf8') },
          { groups: opts.only ?? ['main', ...(opts.with ?? [])], extras: opts.extras ?? [], hashes: !opts.withoutHashes },
        );
      } catch (e) {
        if (e instanceof ExportError) throw new UserError(`export: ${e.message}`, EXIT.findings);
        throw e;
      }
      if (opts.output) {
        writeAtomic(path.resolve(ctx.cwd, opts.output), text);
        ctx.stderr(`wrote ${path.relative(ctx.cwd, path.resolve(ctx.cwd, opts.output)) || opts.output}\n`);
      } else ctx.stdout(text);
      void result;
    });

  addFindingOptions(
    program
      .command('provenance')
      .description('Lock hashes against the registry, npm registry signatures and provenance attestations (who built it), digest-pinned images still served; exit 1 at or above --fail-on')
      .argument('[path]', 'repository root', '.')
      .option('--offline', 'answer from the caches only (verdicts and HTTP answers of earlier runs)'),
  ).action(async (p: string, opts: FindingCommandOptions & { offline?: boolean }) => {
    const root = repoPath(ctx.cwd, p, (l) => ctx.stderr(`note: ${l}\n`));
    const { config, file: configFile } = await loadConfig(root);
    const inv = await inventoryOf(root, config);
    resolveFailOn(opts.failOn, config);
    requireSomething(inv, configFile);
    const { registryLookup } = await import('../../updates/registry-lookup.ts');
    const { ProvenanceCache } = await import('../../provenance/cache.ts');
    const { runProvenance } = await import('../../provenance/verify.ts');
    const home = depwardenHome(ctx.env);
    const { datasources } = registryLookup(config, { cacheDir: path.join(home, 'cache', 'http'), offline: Boolean(opts.offline), env: ctx.env, projectDir: root, inventory: inv });
    const cache = new ProvenanceCache(path.join(home, 'cache', 'provenance'));
    const run = await runProvenance(inv, { config, datasources, cache, env: ctx.env });
    ctx.stderr(`provenance: ${run.packages.length} package versions (${run.asked} asked of a registry, ${run.fromCache} from the cache), ${run.images.length} pinned image digests\n`);
    const { renderProvenanceExtras } = await import('../../provenance/report.ts');
    emitFindings(ctx, result, 'provenance', run.findings, config, opts, (text) => renderProvenanceExtras(text, opts.format, run));
  });

  // `changes` is governance's command group (change requests); the configuration diff joins it as `changes config`.
  const changes = program.commands.find((c) => c.name() === 'changes') ?? program.command('changes').description('Change records');
  changes
    .command('config')
    .description('What changed in each service\'s environment, build, runtime and CI configuration between two git revisions')
    .argument('<rev1>', 'the older revision')
    .argument('<rev2>', 'the newer revision')
    .option('-C, --repo <dir>', 'the git repository', '.')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['markdown', 'json']).default('markdown'))
    .option('-o, --output <file>', 'write here (atomically) instead of stdout')
    .action(async (rev1: string, rev2: string, o: { repo: string; format: 'markdown' | 'json'; output?: string }) => {
      const repo = path.resolve(ctx.cwd, o.repo);
      const { configDiff, renderConfigDiff } = await import('../../changes/config-diff.ts');
      const text = renderConfigDiff(configDiff(repo, rev1, rev2), o.format);
      if (o.output) writeAtomic(path.resolve(ctx.cwd, o.output), text);
      else ctx.stdout(text);
    });
};
