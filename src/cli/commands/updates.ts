import path from 'node:path';
import { Option } from 'commander';
import type { Config } from '../../config/schema.ts';
import { loadConfig } from '../../config/load.ts';
import type { Inventory } from '../../model/inventory.ts';
import type { SecurityFix } from '../../updates/plan.ts';
import { depwardenHome } from '../../util/home.ts';
import { type CliContext, EXIT, type RegisterCommand, UserError } from '../context.ts';
import { writeAtomic } from '../finding-command.ts';
import { inventoryOf } from '../lazy.ts';
import { repoPath } from '../repo-path.ts';
import { sourceDate } from '../source-date.ts';

const OUTDATED_FORMATS = ['table', 'json', 'markdown', 'sarif'] as const;

async function lookupFor(ctx: CliContext, root: string, config: Config, inv: Inventory, offline: boolean) {
  const { registryLookup } = await import('../../updates/registry-lookup.ts');
  // The indexes the repository declares (Poetry sources, requirements options, pip.conf, .npmrc) are allowed hosts too.
  return registryLookup(config, { cacheDir: path.join(depwardenHome(ctx.env), 'cache', 'http'), offline, env: ctx.env, projectDir: root, inventory: inv });
}

export const register: RegisterCommand = (program, ctx, result) => {
  program
    .command('outdated')
    .description('Current, allowed and latest versions of every dependency, image and action, per service')
    .argument('[path]', 'repository root', '.')
    .addOption(new Option('-f, --format <format>', 'output format').choices([...OUTDATED_FORMATS]).default('table'))
    .option('--all', 'list up-to-date dependencies too')
    .option('--offline', 'answer from the HTTP cache only')
    .option('-o, --output <file>', 'write the report to a file instead of stdout')
    .action(async (p: string, o: { format: (typeof OUTDATED_FORMATS)[number]; all?: boolean; offline?: boolean; output?: string }) => {
      const root = repoPath(ctx.cwd, p);
      const { config } = await loadConfig(root);
      const inv = await inventoryOf(root, config);
      const { collectCandidates } = await import('../../updates/candidates.ts');
      const { computeOutdated } = await import('../../updates/lookup.ts');
      const { isOutdated } = await import('../../updates/outdated.ts');
      const { lookup } = await lookupFor(ctx, root, config, inv, Boolean(o.offline));
      const report = await computeOutdated(collectCandidates(inv), lookup, config.updates, sourceDate(ctx.env));
      const down = report.unreachable.reduce((n, h) => n + h.lookups, 0);
      const view = { checked: report.entries.length + report.failures.length + down, entries: o.all ? report.entries : report.entries.filter((e) => isOutdated(e) || e.currentYanked || e.currentDeprecated), failures: report.failures, unreachable: report.unreachable };
      let text: string;
      if (o.format === 'sarif') {
        const { outdatedFindings } = await import('../../updates/rules.ts');
        const { renderFindings } = await import('../../report/index.ts');
        const { allRules } = await import('../../rules/all-rules.ts');
        const { TOOL_VERSION } = await import('../version.ts');
        text = renderFindings(outdatedFindings(view.entries, view.failures), 'sarif', { command: 'outdated', failOn: config.failOn, rules: allRules(), color: false, toolVersion: TOOL_VERSION });
      } else {
        const r = await import('../../report/outdated.ts');
        text = o.format === 'json' ? r.renderOutdatedJson(view) : o.format === 'markdown' ? r.renderOutdatedMarkdown(view) : r.renderOutdatedTable(view);
      }
      if (o.output) writeAtomic(path.resolve(ctx.cwd, o.output), text);
      else ctx.stdout(text);
      // A lookup that failed means the answer is incomplete: say so in the exit code too (a host that could not be
      // reached at all is the network's failure: one line per host, exit 5).
      reportUnreachable(ctx, report.unreachable);
      result.code = report.unreachable.length ? EXIT.network : report.failures.length ? EXIT.findings : EXIT.ok;
    });

  program
    .command('update')
    .description('Plan updates from the policy, apply them on branches (edits + real relock + checks), write changelog and PR bodies, optionally open pull requests')
    .argument('[path]', 'repository root', '.')
    .option('--dry-run', 'print the plan and change nothing')
    .option('--local', 'branches, commits and PR body files only, no forge (the default without --publish)')
    .addOption(new Option('--publish <forge>', 'push branches and open or update pull requests').choices(['github']))
    .option('--force', 'ignore the schedule (security fixes never wait for it)')
    .option('--only <slugs...>', 'only these changes (slugs as the plan prints them)')
    .option('--out <dir>', 'where PR bodies are written, relative to the repository', '.depwarden/updates')
    .option('--offline', 'answer registry questions from the HTTP cache only')
    .option('--github-repo <owner/repo>', 'repository on GitHub (default $GITHUB_REPOSITORY)')
    .option('--remote <name>', 'git remote branches are pushed to', 'origin')
    .option('--base <branch>', 'base branch of pull requests (default main); also the ref the approval policy is read from when given (else DEPWARDEN_TRUSTED_REF, origin/HEAD, main, master)')
    .option('--actor <login>', 'who runs the update (recorded in the audit trail; excluded from reviewers)', 'depwarden')
    .option('--notify', 'tell the alert channels when a change failed or a registry could not be reached')
    .action(async (p: string, o: { dryRun?: boolean; local?: boolean; publish?: 'github'; force?: boolean; only?: string[]; out: string; offline?: boolean; githubRepo?: string; remote: string; base?: string; actor: string; notify?: boolean }) => {
      if (o.local && o.publish) throw new UserError('--local and --publish exclude each other: --local writes branches and PR body files without a forge');
      if (o.local && o.dryRun) throw new UserError('--local and --dry-run exclude each other: --dry-run changes nothing');
      const root = repoPath(ctx.cwd, p);
      if (!o.dryRun) {
        const { headCommit, isGitRepo } = await import('../../publish/git.ts');
        if (!isGitRepo(root)) throw new UserError(`git: ${root} is not a git repository — update branches need git (--dry-run shows the plan without it)`, EXIT.git);
        try {
          headCommit(root);
        } catch {
          throw new UserError(`git: ${root} has no commit yet — update branches start from HEAD: make a first commit`, EXIT.git);
        }
      }
      const { config } = await loadConfig(root);
      const scheduleError = (await import('../../updates/policy.ts')).cronError(config.updates.schedule);
      if (scheduleError) throw new UserError(`updates.schedule "${config.updates.schedule}" in depwarden.yaml is not a cron expression: ${scheduleError}`);
      const inv = await inventoryOf(root, config);
      const now = sourceDate(ctx.env);
      let github: (import('../../publish/github-pr.ts').PrTarget & { remote: string; base: string }) | undefined;
      if (o.publish === 'github') {
        const slug = o.githubRepo ?? ctx.env.GITHUB_REPOSITORY;
        if (!slug || !/^[^/\s]+\/[^/\s]+$/.test(slug)) throw new UserError('--publish github needs --github-repo owner/repo (or GITHUB_REPOSITORY)');
        const [owner, repo] = slug.split('/') as [string, string];
        github = { api: config.updates.registries.github, owner, repo, ...(ctx.env.GITHUB_TOKEN ? { token: ctx.env.GITHUB_TOKEN } : {}), remote: o.remote, base: o.base ?? 'main' };
        // Before any lookup or branch: the remote answers and the token may open pull requests.
        (await import('../../publish/git.ts')).checkRemote(root, o.remote);
        await (await import('../../publish/github-pr.ts')).checkPrAccess(github);
      }
      // The policy every change is registered under is read from a trusted ref: found before any lookup or relock,
      // so a repository without one fails in a second, not after every change has been built.
      const trustedRef = o.base ?? ctx.env.DEPWARDEN_TRUSTED_REF;
      if (!o.dryRun) {
        const { PolicyError } = await import('../../governance/errors.ts');
        await (await import('../../governance/trust.ts')).loadTrustedPolicy(root, trustedRef).catch((e: unknown) => {
          throw e instanceof PolicyError ? new UserError(`update: ${e.message}`) : e;
        });
      }
      const { lookup, datasources } = await lookupFor(ctx, root, config, inv, Boolean(o.offline));
      const security = await securityFixes(ctx, inv, config, now);
      const governance = await import('../../updates/governance-link.ts');
      const store = o.dryRun ? undefined : await (await import('../../store/store.ts')).openRepositoryStore(root, ctx.env);
      try {
        const { runUpdate } = await import('../../updates/run.ts');
        const { relockUnit } = await import('../../updates/relock-unit.ts');
        const { verifyFindings } = await import('../../updates/verify.ts');
        const { releaseNotesFor } = await import('../../updates/release-notes.ts');
        const r = await runUpdate({
          root,
          inv,
          config,
          lookup,
          now,
          mode: o.dryRun ? 'dry-run' : o.publish ? 'github' : 'local',
          ...(o.force ? { force: true } : {}),
          ...(o.only ? { only: o.only } : {}),
          outDir: o.out,
          security,
          openChanges: store ? await governance.openChangeCount(store) : 0,
          relock: (dir, unit, inRange, moved) => relockUnit(dir, unit, inRange, { config, moved }),
          verify: (i) => verifyFindings(i, config),
          ...(github ? { github } : {}),
          ...(store ? { register: async (c, digest, commit) => governance.registerChange(await (await import('../../governance/trust.ts')).openGov(store, root, trustedRef), c, digest, commit, o.actor, now) } : {}),
          author: o.actor,
          releaseNotes: (c) => releaseNotesFor(datasources, c),
          log: (line) => ctx.stderr(`${line}\n`),
        });
        const { renderPlan } = await import('../../report/plan.ts');
        ctx.stdout(renderPlan(r, config, o.dryRun ? 'dry-run' : 'applied'));
        reportUnreachable(ctx, r.outdated.unreachable);
        result.code = r.outdated.unreachable.length ? EXIT.network : r.outcomes.some((x) => x.status === 'failed') || r.outdated.failures.length ? EXIT.findings : EXIT.ok;
        const failed = r.outcomes.filter((x) => x.status === 'failed');
        if (o.notify && (failed.length || r.outdated.unreachable.length)) {
          const { notifyFromCli } = await import('../../alerts/direct.ts');
          const name = path.basename(root);
          const text = [...failed.map((x) => `${x.slug}: ${x.error ?? 'failed'}`), ...r.outdated.unreachable.map((h) => `registry unreachable: ${h.host} (${h.cause})`)].join('\n');
          await notifyFromCli(config.alerts, [{ rule: 'job.failed', severity: 'high', title: `${name}: depwarden update failed (${failed.length} change${failed.length === 1 ? '' : 's'}${r.outdated.unreachable.length ? `, ${r.outdated.unreachable.length} registr${r.outdated.unreachable.length === 1 ? 'y' : 'ies'} unreachable` : ''})`, text, repo: name, fields: { job: 'update' }, dedupKey: `job:update:${name}` }], { root, env: ctx.env, stderr: ctx.stderr });
        }
      } finally {
        await store?.close();
      }
    });
};

/** One stderr line per registry host that could not be reached, with the lookups it left undone. */
function reportUnreachable(ctx: CliContext, hosts: import('../../updates/lookup.ts').UnreachableHost[]): void {
  for (const h of hosts) ctx.stderr(`depwarden: network: ${h.host} could not be reached: ${h.lookups} lookup${h.lookups === 1 ? '' : 's'} not done; first failure: ${h.cause} — check the network, proxy and updates.registries in depwarden.yaml (--offline answers from the cache)\n`);
}

/** Security fixes from the audit, when an advisory database exists (else said plainly on stderr). */
async function securityFixes(ctx: CliContext, inv: Inventory, config: Config, now: Date): Promise<SecurityFix[]> {
  const { AdvisoryDb, defaultDbDir } = await import('../../vulns/store.ts');
  const dir = config.vulns.database ?? defaultDbDir(ctx.env);
  const db = AdvisoryDb.open(dir);
  if (!db) {
    ctx.stderr(`security fixes not planned: no advisory database at ${dir} (run \`depwarden db sync\`)\n`);
    return [];
  }
  try {
    const { auditInventory } = await import('../../vulns/audit.ts');
    const { loadTriage } = await import('../../vulns/vex.ts');
    const { securityFixesOf } = await import('../../updates/security.ts');
    return securityFixesOf(auditInventory(inv, db, loadTriage(inv.root), now));
  } finally {
    db.close();
  }
}
