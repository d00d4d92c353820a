import { createHash } from 'node:crypto';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Inventory } from '../model/inventory.ts';
import type { OutdatedEntry } from '../model/update.ts';
import { appendChangelog } from '../publish/changelog.ts';
import { branchCommit, git, headCommit, openWorktree, push, setBranch, treeOf } from '../publish/git.ts';
import { openOrUpdatePr, type PrResult, type PrTarget } from '../publish/github-pr.ts';
import { changelogEntry, commitMessage, renderPrBody, reviewersFor, type Impact } from '../publish/pr-body.ts';
import { writeFileInside } from '../edit/atomic-write.ts';
import { type ApplyContext, applyChange } from './apply.ts';
import { type Candidate, collectCandidates } from './candidates.ts';
import { effectivePolicy } from './policy.ts';
import { computeOutdated, type OutdatedReport, type ReleaseLookup } from './lookup.ts';
import { type Plan, type PlannedChange, planUpdates, type SecurityFix } from './plan.ts';

/**
 * `depwarden update`: outdated → plan → (per change) apply in a throw-away worktree → commit on the change's
 * branch → changelog, PR body, governance change → optionally push and open/update the pull request.
 */
export interface RunOptions {
  root: string;
  inv: Inventory;
  config: Config;
  lookup: ReleaseLookup;
  now: Date;
  mode: 'dry-run' | 'local' | 'github';
  force?: boolean;
  only?: string[];
  /** Where PR bodies are written (`--local`), relative to root. */
  outDir: string;
  security: SecurityFix[];
  openChanges: number;
  relock: ApplyContext['relock'];
  verify?: ApplyContext['verify'];
  github?: PrTarget & { remote: string; base: string };
  /** Registers the change with governance (the audit trail); returns the change id. */
  register?: (change: PlannedChange, digest: string, commit: string) => Promise<string>;
  author?: string;
  log: (line: string) => void;
  releaseNotes?: (change: PlannedChange) => Promise<Impact['releaseNotes']>;
}

export interface ChangeOutcome {
  slug: string;
  branch: string;
  status: 'planned' | 'committed' | 'unchanged' | 'failed';
  commit?: string;
  bodyFile?: string;
  changeId?: string;
  pr?: PrResult;
  error?: string;
}

export interface RunResult {
  outdated: OutdatedReport;
  plan: Plan;
  outcomes: ChangeOutcome[];
}

export async function runUpdate(o: RunOptions): Promise<RunResult> {
  const all = collectCandidates(o.inv);
  const planFor = async (candidates: Candidate[]) => {
    const outdated = await computeOutdated(candidates, o.lookup, o.config.updates, o.now);
    const spanKey = (e: OutdatedEntry): string => `${e.span.file}:${e.span.start ?? e.span.line}`;
    const entries = new Map(outdated.entries.map((e) => [spanKey(e), e]));
    return { outdated, plan: planUpdates({ candidates, entries, security: o.security, config: o.config, now: o.now, openChanges: o.openChanges, releases: outdated.releases, inventory: o.inv, ...(o.force ? { force: true } : {}) }) };
  };
  // `--only X` asks the registries only about the services change X can belong to (grouping, peer links and
  // families stay within a service, so X is planned as in the full run); a slug that subset does not produce (a
  // family or group the name rules cannot foresee) falls back to the full lookup rather than "nothing to update".
  const first = o.only?.length ? candidatesFor(o.only, all, o.config) : all;
  let { outdated, plan } = await planFor(first);
  if (o.only?.length && first.length < all.length && o.only.some((x) => !plan.changes.some((c) => c.slug === x))) ({ outdated, plan } = await planFor(all));
  const selected = o.only?.length ? plan.changes.filter((c) => o.only!.includes(c.slug)) : plan.changes;
  const outcomes: ChangeOutcome[] = [];
  if (o.mode === 'dry-run') {
    for (const c of selected) outcomes.push({ slug: c.slug, branch: c.branch, status: 'planned' });
    return { outdated, plan, outcomes };
  }
  // The caller has checked that root is a git repository with a commit (the CLI says so as a usage error).
  const base = headCommit(o.root);
  for (const change of selected) outcomes.push(await publishChange(o, change, base, outdated));
  return { outdated, plan, outcomes };
}

const slug = (s: string): string =>
  s
    .toLowerCase()
    .replace(/^docker\.io\/(library\/)?/, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);

/**
 * The candidates that could end up in one of the changes named by `slugs` (plan.ts names them: `security-<name>-`,
 * `major-<name>-`, `<service>-non-major`, `<name>-<version>`, `<service>-<name>-<version>-<hash>`, `group-<group>`).
 * A superset, since versions are not known before the lookup: the plan then keeps the exact slugs.
 */
export function candidatesFor(slugs: string[], candidates: Candidate[], config: Config): Candidate[] {
  const named = candidates.filter((c) => {
    const n = slug(c.name);
    const s = slug(c.service);
    // Any rule with a group that matches the candidate whatever its update type.
    const groups = new Set(
      config.updates.rules
        .filter(({ updateTypes: _types, ...r }) => r.group && effectivePolicy({ ...config.updates, rules: [r] }, c).group)
        .map((r) => `group-${slug(r.group!)}`),
    );
    return slugs.some(
      (x) =>
        x.startsWith(`security-${n}-`) ||
        x.startsWith(`major-${n}-`) ||
        x === `${s}-non-major` ||
        x.startsWith(`${n}-`) ||
        x.startsWith(`${s}-${n}-`) ||
        groups.has(x),
    );
  });
  const services = new Set(named.map((c) => c.service));
  return candidates.filter((c) => services.has(c.service));
}

async function publishChange(o: RunOptions, change: PlannedChange, base: string, outdated: OutdatedReport): Promise<ChangeOutcome> {
  const out: ChangeOutcome = { slug: change.slug, branch: change.branch, status: 'failed' };
  const wt = openWorktree(o.root, base);
  // Whether the failure came after the branch was written (then the branch and PR body stay, and say so).
  let published = false;
  try {
    const log = path.posix.join(o.outDir.replace(/\\/g, '/'), `${change.slug}.relock.log`);
    const applied = await applyChange(wt.root, change, { config: o.config, releases: outdated.releases, lookup: async (c) => { const rel = await o.lookup.releases(c); o.lookup.vet?.(c, rel); return rel; }, relock: o.relock, logFile: { root: o.root, file: log, shown: log }, ...(o.verify ? { verify: o.verify } : {}) });
    const impact: Impact = {
      services: [...new Set(change.updates.map((u) => u.candidate.service))].sort(),
      lockDiffs: applied.lockDiffs,
      ...(applied.verification ? { verification: applied.verification } : {}),
      ...(await sbomDiffOf(applied.before, applied.after)),
      releaseNotes: o.releaseNotes ? await o.releaseNotes(change).catch(() => []) : [],
      configChanges: (await import('../changes/config-diff.ts')).worktreeConfigChanges(o.root, base, wt.root),
    };
    const date = o.now.toISOString().slice(0, 10);
    // A security update carries its record (issue 17): in the changelog, the PR body and the change's own commit.
    const record = await (await import('../changes/record-hook.ts')).securityRecordFor(o.config, change, applied, date, o.now, wt.root);
    if (record) impact.securityRecord = record;
    appendChangelog(wt.root, o.config.updates.changelog, changelogEntry(change, impact, date));
    const body = renderPrBody(o.config, change, impact);
    const message = commitMessage(change);
    const commit = wt.commit(['.'], message);
    const tree = treeOf(o.root, commit);
    const prior = branchCommit(o.root, change.branch);
    // A re-run with the same content leaves the branch (and its approvals) alone.
    if (prior && treeOf(o.root, prior) === tree && git(o.root, ['rev-parse', `${prior}^`]) === base) {
      out.status = 'unchanged';
      out.commit = prior;
    } else {
      setBranch(o.root, change.branch, commit);
      out.status = 'committed';
      out.commit = commit;
    }
    const digest = createHash('sha256').update(tree).update(change.slug).digest('hex');
    out.bodyFile = path.posix.join(o.outDir.replace(/\\/g, '/'), `${change.slug}.md`);
    // Through the path guard: a committed symlink on the way (e.g. .depwarden/updates → elsewhere) is refused.
    writeFileInside(o.root, out.bodyFile, new TextEncoder().encode(body));
    if (o.register) out.changeId = await o.register(change, digest, out.commit);
    if (o.mode === 'github' && o.github) {
      published = true;
      push(o.root, o.github.remote, change.branch);
      out.pr = await openOrUpdatePr(o.github, { head: change.branch, base: o.github.base, title: message.split('\n')[0]!, body, labels: change.labels, reviewers: reviewersFor(o.config, change, o.author) });
    }
    o.log(`${change.slug}: ${out.status} on ${change.branch}${out.pr ? ` (PR #${out.pr.number}${out.pr.created ? ' opened' : ' updated'})` : ''}`);
  } catch (e) {
    out.status = 'failed';
    out.error = (e as Error).message;
    o.log(`${change.slug}: FAILED: ${out.error}${published ? ` (the branch ${change.branch} and ${out.bodyFile} were written locally; publishing it failed, re-run to retry)` : ' (nothing was changed)'}`);
  } finally {
    wt.remove();
  }
  return out;
}

async function sbomDiffOf(before: Inventory, after: Inventory): Promise<Pick<Impact, 'sbomDiff'>> {
  const { repositorySbom } = await import('../sbom/model.ts');
  const { renderSbom } = await import('../sbom/documents.ts');
  const { diffSboms } = await import('../sbom/diff.ts');
  const opts = { spec: '1.6' as const, timestamp: new Date(0), toolVersion: '0' };
  const a = renderSbom(repositorySbom(before, 'repository'), 'cyclonedx-json', opts);
  const b = renderSbom(repositorySbom(after, 'repository'), 'cyclonedx-json', opts);
  return { sbomDiff: diffSboms(a, b) };
}
