import { createHash } from 'node:crypto';
import type { Config } from '../config/schema.ts';
import type { UpdateClass } from '../governance/changes.ts';
import type { OutdatedEntry, PackageReleases, ProposalUpdateType } from '../model/update.ts';
import { classifyUpdate } from '../versioning/constraint.ts';
import type { Candidate } from './candidates.ts';
import type { Inventory } from '../model/inventory.ts';
import { linkUpdates, type Slot } from './grouping.ts';
import { transitiveCandidates } from './security.ts';
import { effectivePolicy, onSchedule } from './policy.ts';
import { ciRelockCommand } from '../relock/index.ts';

/**
 * The protocol as a plan: which updates become which changes, in which lane. Pure: the same inputs give the
 * same plan, with the same branch names and ids, so a weekly re-run updates its pull requests instead of
 * opening new ones.
 */

/** A security fix the audit found: the smallest version of `name` that fixes every advisory of `from`. */
export interface SecurityFix {
  service: string;
  ecosystem: string;
  name: string;
  from: string;
  to: string;
  ids: string[];
  severity: string;
}

export interface PlannedUpdate {
  candidate: Candidate;
  entry: OutdatedEntry;
  to: string;
  digest?: string;
  updateType: ProposalUpdateType;
  security?: SecurityFix;
}

/** normal: merges once tests pass and the class's approvals are in; approval: needs explicit approval (majors); emergency: security fix, may bypass the normal review. */
export type Lane = 'normal' | 'approval' | 'emergency';

export interface PlannedChange {
  /** Stable slug: also the branch name after the prefix. */
  slug: string;
  branch: string;
  title: string;
  class: UpdateClass;
  lane: Lane;
  updates: PlannedUpdate[];
  labels: string[];
  /** Why this change exists, a line each. */
  rationale: string[];
}

export interface Plan {
  changes: PlannedChange[];
  /** Planned but held back (schedule, open-change limit), with the reason. */
  deferred: { change: PlannedChange; reason: string }[];
  /** Security fixes that cannot be applied by editing a declaration (transitive packages). */
  unplanned: { fix: SecurityFix; reason: string }[];
  schedule: { on: boolean; last: string; next: string };
}

export interface PlanInput {
  candidates: Candidate[];
  entries: Map<string, OutdatedEntry>;
  security: SecurityFix[];
  config: Config;
  now: Date;
  openChanges: number;
  force?: boolean;
  /** The repository's inventory: the locks a transitive security fix is made in. Without it those are only reported. */
  inventory?: Inventory;
  /** Releases by candidate key (peer ranges and source repositories for grouping); without them only presets group. */
  releases?: Map<string, PackageReleases>;
}

const CLASS_RANK: Record<UpdateClass, number> = { patch: 0, minor: 1, major: 2, security: 3, rollback: 4 };

function classOf(t: ProposalUpdateType): UpdateClass {
  return t === 'major' ? 'major' : t === 'minor' ? 'minor' : 'patch';
}

function slugify(s: string): string {
  return s
    .toLowerCase()
    .replace(/^docker\.io\/(library\/)?/, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 80);
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

export function planUpdates(input: PlanInput): Plan {
  const { config, now } = input;
  const cfg = config.updates;
  const byKey = new Map(input.candidates.map((c) => [c.key, c]));
  const groups = new Map<string, Slot>();
  const add = (key: string, kind: 'security' | 'major' | 'other', title: string, u: PlannedUpdate, group?: string): void => {
    const g = groups.get(key) ?? { updates: [], kind, title, ...(group ? { group } : {}) };
    g.updates.push(u);
    groups.set(key, g);
  };

  // Security fixes first: they ignore the schedule, the cooldown and the open-change limit.
  const secured = new Set<string>();
  const unplanned: Plan['unplanned'] = [];
  for (const fix of [...input.security].sort((a, b) => cmp(a.name, b.name) || cmp(a.service, b.service))) {
    const c = input.candidates.find((x) => x.target === 'dependency' && x.service === fix.service && x.ecosystem === fix.ecosystem && x.name === fix.name && x.current === fix.from);
    if (!c) {
      // A transitive package: a lock-only update within the declared ranges, in every lock that holds it.
      const locks = input.inventory ? transitiveCandidates(input.inventory, fix) : [];
      if (!locks.length) {
        unplanned.push({ fix, reason: `${fix.name} ${fix.from} is not a direct dependency of ${fix.service}${input.inventory ? ' and no npm, pnpm, Yarn, Poetry or uv lock of it holds it' : ''}: update the package that requires it, or declare ${fix.name}>=${fix.to}` });
        continue;
      }
      const step = classifyUpdate(fix.ecosystem as Candidate['ecosystem'], fix.from, fix.to);
      const updateType: ProposalUpdateType = step === 'major' || step === 'minor' || step === 'prerelease' ? step : 'patch';
      for (const { candidate: t, span } of locks) {
        const entry: OutdatedEntry = { service: t.service, file: t.file, target: 'dependency', ecosystem: t.ecosystem, name: t.displayName, declared: '', current: fix.from, span };
        add(`security:${fix.ecosystem}:${fix.name}:${fix.to}`, 'security', `fix ${fix.ids[0] ?? 'advisory'}: update ${t.displayName} to ${fix.to}`, { candidate: t, entry, to: fix.to, updateType, security: fix });
      }
      continue;
    }
    const entry = input.entries.get(c.key) ?? { service: c.service, file: c.file, target: c.target, ecosystem: c.ecosystem, name: c.displayName, declared: c.declared, current: fix.from, span: c.dependency!.span };
    secured.add(c.key);
    const step = classifyUpdate(c.ecosystem, fix.from, fix.to);
    const updateType: ProposalUpdateType = step === 'major' || step === 'minor' || step === 'prerelease' ? step : 'patch';
    add(`security:${fix.ecosystem}:${fix.name}:${fix.to}`, 'security', `fix ${fix.ids[0] ?? 'advisory'}: update ${c.displayName} to ${fix.to}`, { candidate: c, entry, to: fix.to, updateType, security: fix });
  }

  for (const [key, entry] of [...input.entries].sort(([a], [b]) => cmp(a, b))) {
    const c = byKey.get(key);
    if (!c || secured.has(key) || !entry.updateType || !entry.allowed) continue;
    const pol = effectivePolicy(cfg, c, entry.updateType);
    if (!pol.enabled) continue;
    const u: PlannedUpdate = { candidate: c, entry, to: entry.allowed, updateType: entry.updateType, ...(entry.digest ? { digest: entry.digest } : {}) };
    if (pol.group) add(`group:${pol.group}`, entry.updateType === 'major' ? 'major' : 'other', `update ${pol.group}`, u, pol.group);
    else if (entry.updateType === 'major') {
      const scope = cfg.grouping === 'package' ? '' : `:${c.service}`;
      add(`major:${c.ecosystem}:${c.name}:${entry.allowed}${scope}`, 'major', `update ${c.displayName} to ${entry.allowed}${scope ? ` in ${c.service}` : ''}`, u);
    } else if (cfg.grouping === 'service') add(`service:${c.service}`, 'other', `update non-major dependencies of ${c.service}`, u);
    else if (cfg.grouping === 'package') add(`package:${c.ecosystem}:${c.name}:${entry.allowed}`, 'other', `update ${c.displayName} to ${entry.allowed}`, u);
    else add(`one:${c.key}:${entry.allowed}`, 'other', `update ${c.displayName} to ${entry.allowed} in ${c.service}`, u);
  }

  linkUpdates(groups, cfg, input.releases, input.candidates);

  const changes: PlannedChange[] = [];
  const held: Plan['deferred'] = [];
  for (const [key, g] of groups) {
    g.updates.sort(byDeclaration);
    const cls: UpdateClass = g.kind === 'security' ? 'security' : g.updates.map((u) => classOf(u.updateType)).reduce((a, b) => (CLASS_RANK[b] > CLASS_RANK[a] ? b : a), 'patch' as UpdateClass);
    const lane: Lane = cls === 'security' ? (config.governance.emergency.allowed ? 'emergency' : 'approval') : cls === 'major' ? 'approval' : 'normal';
    const slug = slugOf(key, g);
    const labels = new Set(cfg.labels);
    for (const u of g.updates) for (const l of effectivePolicy(cfg, u.candidate, u.updateType).labels) labels.add(l);
    if (cls === 'security') labels.add('security');
    if (cls === 'major') labels.add('major');
    const why = rationale(g.updates, cls, lane, cfg.minimumReleaseAgeDays);
    for (const lock of new Set(g.updates.flatMap((u) => (u.candidate.unit && ciRelockCommand(u.candidate.unit) ? [u.candidate.unit.lock!] : [])))) why.push(`${lock}: the relock must run in CI (\`${ciRelockCommand({ lock })}\`); depwarden makes the manifest edit only.`);
    if (g.together?.length) why.push(`Planned together so the lock resolves: ${g.together.join('; ')}.`);
    const change: PlannedChange = { slug, branch: `${cfg.branchPrefix}${slug}`, title: g.title, class: cls, lane, updates: g.updates, labels: [...labels].sort(), rationale: why };
    if (g.blocked) held.push({ change, reason: `peer requirement not met, the relock would fail: ${g.blocked}` });
    else changes.push(change);
  }
  changes.sort(byPriority);

  // Limits apply in priority order: security fixes are exempt, merge-after-tests changes take the budget before
  // majors, so a run never spends it on the changes least likely to merge.
  const sched = onSchedule(cfg, now);
  const kept: PlannedChange[] = [];
  const deferred: Plan['deferred'] = [];
  let open = input.openChanges;
  let proposed = 0;
  for (const ch of changes) {
    if (ch.lane === 'emergency' || ch.class === 'security') {
      kept.push(ch);
      continue;
    }
    if (!sched.on && !input.force) deferred.push({ change: ch, reason: `outside the schedule "${cfg.schedule}" (next run ${sched.next.toISOString()}); --force to run now` });
    else if (open >= cfg.maxOpenChanges) deferred.push({ change: ch, reason: `open-change limit: ${input.openChanges} update changes were open, ${cfg.maxOpenChanges} at most (updates.maxOpenChanges)` });
    else if (cfg.maxChangesPerRun !== undefined && proposed >= cfg.maxChangesPerRun) deferred.push({ change: ch, reason: `per-run limit: ${cfg.maxChangesPerRun} new changes per run (updates.maxChangesPerRun)` });
    else {
      kept.push(ch);
      open++;
      proposed++;
    }
  }
  deferred.push(...held.sort((a, b) => byPriority(a.change, b.change)));
  return { changes: kept, deferred, unplanned, schedule: { on: sched.on, last: sched.last.toISOString(), next: sched.next.toISOString() } };
}

/** Declaration order: by file, then by position in it (keys are "file:offset"; offsets compare as numbers). */
function byDeclaration(a: PlannedUpdate, b: PlannedUpdate): number {
  const pos = (u: PlannedUpdate): number => Number(u.candidate.key.slice(u.candidate.key.lastIndexOf(':') + 1));
  return cmp(a.candidate.file, b.candidate.file) || pos(a) - pos(b) || cmp(a.candidate.key, b.candidate.key);
}

/** Priority tiers: security, then merge-after-tests (patch/minor), then changes needing approval. */
export function tierOf(c: PlannedChange): 0 | 1 | 2 {
  return c.class === 'security' ? 0 : c.lane === 'approval' ? 2 : 1;
}

/** How far behind a change's packages are (libyears of its most outdated update). */
const ageOf = (c: PlannedChange): number => Math.max(0, ...c.updates.map((u) => u.entry.libyears ?? 0));

/** Within a tier: older first (further behind), then lower risk (patch before minor before major, fewer updates), then slug. */
export function byPriority(a: PlannedChange, b: PlannedChange): number {
  return tierOf(a) - tierOf(b) || ageOf(b) - ageOf(a) || CLASS_RANK[a.class] - CLASS_RANK[b.class] || a.updates.length - b.updates.length || cmp(a.slug, b.slug);
}

function slugOf(key: string, g: Slot): string {
  const [kind, ...rest] = key.split(':');
  const u = g.updates[0]!;
  switch (kind) {
    case 'security':
      return `security-${slugify(u.candidate.name)}-${slugify(u.to)}`;
    case 'group':
      return `group-${slugify(g.group!)}`;
    case 'major':
      return `major-${slugify(u.candidate.name)}-${slugify(u.to)}${rest.length > 3 ? `-${slugify(rest[3]!)}` : ''}`;
    case 'service':
      return `${slugify(u.candidate.service)}-non-major`;
    case 'held':
      return `${slugify(u.candidate.service)}-${slugify(u.candidate.name)}-${slugify(u.to)}-held`;
    case 'package':
      return `${slugify(u.candidate.name)}-${slugify(u.to)}`;
    default:
      return `${slugify(u.candidate.service)}-${slugify(u.candidate.name)}-${slugify(u.to)}-${createHash('sha256').update(key).digest('hex').slice(0, 6)}`;
  }
}

function rationale(updates: PlannedUpdate[], cls: UpdateClass, lane: Lane, cooldown: number): string[] {
  const out: string[] = [];
  const sec = updates.filter((u) => u.security);
  if (sec.length) {
    const ids = [...new Set(sec.flatMap((u) => u.security!.ids))].sort();
    out.push(`Security fix: ${ids.join(', ')} (${[...new Set(sec.map((u) => u.security!.severity))].join(', ')}); emergency lane${lane === 'emergency' ? ' (may merge before review; a post-update review is opened)' : ' is not allowed by the policy, so normal approvals apply'}.`);
  }
  const deep = updates.filter((u) => u.candidate.transitive);
  if (deep.length) out.push(`Transitive: ${deep.map((u) => `${u.candidate.displayName} ${u.entry.current} -> ${u.to} in ${u.candidate.file}`).join(', ')} — no manifest declares ${deep.length > 1 ? 'them' : 'it'}, so only the lock moves (${lockOnlyCommand(deep[0]!.candidate.unit?.lock)}), within the declared ranges.`);
  const types = [...new Set(updates.filter((u) => !u.security).map((u) => u.updateType))].sort();
  if (types.length) out.push(`Policy: ${types.join(', ')} update${types.length > 1 ? 's' : ''} ${cls === 'major' ? 'need explicit approval (major)' : 'may merge once tests pass'}; releases at least ${cooldown} days old (supply-chain cooldown).`);
  const pins = updates.filter((u) => u.updateType === 'pin' || u.updateType === 'digest');
  if (pins.length) out.push(`Reproducibility: ${pins.length} reference${pins.length > 1 ? 's' : ''} pinned to an exact version, digest or commit SHA.`);
  const behind = updates.reduce((s, u) => s + (u.entry.libyears ?? 0), 0);
  if (behind > 0) out.push(`Age: ${behind.toFixed(2)} libyears behind the latest releases.`);
  return out;
}

/** The lock-only update each lock's tool runs for a transitive fix (uv: in CI, after the constraint the change adds). */
function lockOnlyCommand(lock: string | undefined): string {
  const base = lock?.split('/').pop();
  if (base === 'pnpm-lock.yaml') return '`pnpm update <pkg> --lockfile-only`';
  if (base === 'yarn.lock') return '`yarn upgrade <pkg>` (Yarn 1) / `yarn up -R <pkg>` (Yarn 2+)';
  if (base === 'poetry.lock') return '`poetry update --lock <pkg>`';
  if (base === 'uv.lock') return 'a `[tool.uv] constraint-dependencies` entry, then `uv lock` in CI';
  return '`npm update <pkg> --package-lock-only`';
}
