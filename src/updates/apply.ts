import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { exactPin, rewriteConstraint } from '../edit/constraint-rewrite.ts';
import { applyEdits } from '../edit/apply.ts';
import { editAction } from '../edit/action-edit.ts';
import { editDependency } from '../edit/dependency-edit.ts';
import { editImage } from '../edit/image-edit.ts';
import { buildInventory } from '../inventory/build.ts';
import { writeFileInside } from '../edit/atomic-write.ts';
import { RelockError } from '../relock/run-tool.ts';
import { ciRelockCommand } from '../relock/index.ts';
import { requirementsHashEdits } from '../relock/requirements-hashes.ts';
import { explainRelockFailure } from './relock-failure.ts';
import type { RelockOutcome } from './relock-unit.ts';
import { isPeer } from './outdated.ts';
import { classifyUpdate, compareIn, satisfies } from '../versioning/constraint.ts';
import type { Finding } from '../model/finding.ts';
import { isLockData } from '../model/files.ts';
import type { Inventory, ManifestUnit } from '../model/inventory.ts';
import type { PackageReleases, TextEdit } from '../model/update.ts';
import { severityRank } from '../model/finding.ts';
import { collectCandidates, type Candidate } from './candidates.ts';
import { holdersOf, smallestFixingBump } from './direct-bump.ts';
import { diffLock, type LockDiff } from './lock-diff.ts';
import { relockedFromElsewhere } from './relock-index.ts';
import type { PlannedChange, PlannedUpdate } from './plan.ts';

/**
 * Applies one planned change to a checkout (a temporary worktree when publishing): minimal edits, a relock of
 * every touched manifest with the real tool, then the protocol's own checks on the result. Throws on any failure;
 * the caller throws the checkout away, so a failure never reaches the user's working tree.
 */
export interface ApplyContext {
  config: Config;
  releases: Map<string, PackageReleases>;
  /** Asks the registry about a candidate the run did not look up (`update --only`): a direct dependency to bump for a transitive fix. */
  lookup?: (c: Candidate) => Promise<PackageReleases>;
  env?: NodeJS.ProcessEnv;
  /**
   * Relock a manifest unit in place (src/relock); injected so planning tests need no Poetry. `inRange` names the
   * packages whose manifest constraint already admits the new version: the lock must move them explicitly.
   */
  relock: (root: string, unit: ManifestUnit, inRange: { name: string; version: string }[], moved: string[]) => Promise<RelockOutcome | void>;
  /** Where the full output of a failed relock is written (`file` inside `root`, through the path guard) and how it is named in the one-line error (`shown`). */
  logFile?: { root: string; file: string; shown: string };
  /** Findings of the analyses the update must not make worse (check's foundation rules + conflicts). */
  verify?: (inv: Inventory) => Promise<Finding[]>;
}

export interface ApplyResult {
  files: string[];
  lockDiffs: LockDiff[];
  before: Inventory;
  after: Inventory;
  verification?: { before: number; after: number; fixed: string[] };
}

export class UpdateFailed extends Error {}

function newConstraint(cfg: Config['updates'], u: PlannedUpdate, c: Candidate): string | undefined {
  const d = c.dependency!;
  const syntax = d.constraintSyntax;
  if (syntax === 'none') throw new UpdateFailed(`${c.file}: ${c.displayName} has no version constraint to update`);
  if (isPeer(c)) {
    // A library's peer range is widened (`^7 || ^8`), never pinned: it states what the library works with.
    if (syntax === 'npm' && satisfies('npm', d.constraint, u.to) !== true) return `${d.constraint.trim()} || ${rewriteConstraint(syntax, d.constraint, c.current, u.to, { strategy: 'replace' }) ?? `^${u.to}`}`;
    return rewriteConstraint(syntax, d.constraint, c.current, u.to, { strategy: 'replace' });
  }
  if (cfg.rangeStrategy === 'pin' || u.updateType === 'pin' || d.constraint.trim() === '') return exactPin(syntax, u.to);
  return rewriteConstraint(syntax, d.constraint, c.current, u.to, { strategy: cfg.rangeStrategy });
}

function editsFor(root: string, inv: Inventory, ctx: ApplyContext, u: PlannedUpdate, c: Candidate): TextEdit[] {
  const cfg = ctx.config.updates;
  const text = readFileSync(path.join(root, c.file), 'utf8');
  const parsed = inv.files.get(c.file);
  if (c.target === 'dependency' && c.dependency!.hashes?.length && parsed?.kind === 'requirements') {
    // A hashed requirement is its own lock: the new pin and the registry's file hashes for it, together.
    const files = ctx.releases.get(c.key)?.releases.find((r) => r.version === u.to)?.files ?? [];
    return requirementsHashEdits(text, parsed, [{ name: c.dependency!.name, version: u.to, files }]);
  }
  if (c.target === 'image') return editImage(c.image!, { tag: u.to, ...(u.digest ? { digest: u.digest } : {}) }, text);
  if (c.target === 'action') {
    if (!u.digest) throw new UpdateFailed(`${c.file}:${c.action!.span.line}: no commit SHA is known for ${c.displayName}@${u.to}`);
    return editAction(c.action!, { sha: u.digest, comment: u.to }, text);
  }
  const next = newConstraint(cfg, u, c);
  // A range that already admits the new version: only the lock moves (the relock below is told so).
  if (next === undefined) return [];
  return editDependency(c.dependency!, next, text);
}

/** The registry's answer for a candidate: the run's, else asked now (through `ctx.lookup`) and kept for the run. */
async function releasesOf(ctx: ApplyContext, c: Candidate): Promise<PackageReleases | undefined> {
  let rel = ctx.releases.get(c.key);
  if (!rel && ctx.lookup) {
    rel = await ctx.lookup(c);
    ctx.releases.set(c.key, rel);
  }
  return rel;
}

const firstLine = (e: unknown): string => (e instanceof Error ? e.message.split('\n')[0]! : String(e));

/**
 * A security fix of a package pinned only in a compiled requirements lock: pip-compile cannot run here, so the pin
 * moves in place (with the registry's sha256 of every file of the new release when the file is hashed), as
 * `pip-compile --upgrade-package` would write it. The packages that require it (`# via`) are named in the PR body
 * with the command that re-checks their ranges in CI.
 */
async function compiledPinEdits(root: string, inv: Inventory, ctx: ApplyContext, u: PlannedUpdate, change: PlannedChange): Promise<TextEdit[]> {
  const unit = u.candidate.unit!;
  const lock = inv.files.get(unit.lock!);
  if (lock?.kind !== 'requirements') return [];
  const dep = lock.requirements.find((r) => r.normalizedName === u.candidate.name && r.constraint.trim().replace(/^===?\s*/, '') === u.candidate.current);
  if (!dep) throw new UpdateFailed(`${unit.lock}: ${u.candidate.displayName} is no longer pinned at ${u.candidate.current ?? '?'}; re-run the plan`);
  const text = readFileSync(path.join(root, unit.lock!), 'utf8');
  let edits: TextEdit[];
  if (dep.hashes?.length) {
    // The run looked up only declared candidates: the release's files come from the index pip would use for this file.
    const rel = await releasesOf(ctx, u.candidate).catch((e: unknown) => {
      throw new UpdateFailed(`${unit.lock}: the lookup of ${u.candidate.displayName} failed, so the hashes of ${u.to} cannot be written: ${firstLine(e)}`);
    });
    const files = rel?.releases.find((r) => r.version === u.to)?.files ?? [];
    if (!files.length) throw new UpdateFailed(`${unit.lock}: the index gave no files for ${u.candidate.displayName} ${u.to}, so its hashes cannot be written`);
    edits = requirementsHashEdits(text, lock, [{ name: dep.name, version: u.to, files }]);
  } else edits = editDependency(dep, exactPin('pep440', u.to), text);
  const via = (dep.via ?? []).filter((v) => !v.startsWith('-r'));
  change.rationale.push(
    `${dep.name} is pinned only in ${unit.lock} (compiled from ${unit.manifest}${via.length ? `; required by ${via.join(', ')}` : ''}): its pin moves to ${u.to}${dep.hashes?.length ? ' with the sha256 of every file the index publishes for it' : ''}. pip-compile did not run, so the ranges of the packages that require it were not re-resolved: run \`pip-compile --upgrade-package ${dep.name}==${u.to}${dep.hashes?.length ? ' --generate-hashes' : ''} ${unit.manifest}\` in CI to confirm.`,
  );
  return edits;
}

/**
 * `transitiveFix: bump` (npm): each direct dependency whose requirement holds a stuck fix back moves to its
 * smallest release that admits the fix; the manifests are edited and relocked once more. Returns whether anything
 * moved; what cannot be reached this way is left stuck for the override fallback.
 */
async function bumpHolders(root: string, change: PlannedChange, before: Inventory, after: Inventory, fresh: Map<string, Candidate>, ctx: ApplyContext, edits: TextEdit[]): Promise<boolean> {
  const bumps = new Map<string, { c: Candidate; to: string; why: string }>();
  for (const { u } of stuckTransitive(change, after)) {
    const unit = u.candidate.unit!;
    if (unit.ecosystem !== 'npm') continue;
    const lock = after.files.get(unit.lock!);
    if (lock?.kind !== 'package-lock') continue;
    for (const { pkg, range } of holdersOf(lock.packages, u.candidate.name, u.to)) {
      const c = [...fresh.values()].find((x) => !x.transitive && x.unit?.manifest === unit.manifest && x.target === 'dependency' && x.dependency?.group !== 'peer' && x.dependency?.group !== 'engines' && pkg.path === `node_modules/${x.alias ?? x.name}`);
      // A lookup that fails leaves the override fallback, and the PR body says why the bump was not made.
      const rel = c && (await releasesOf(ctx, c).catch((e: unknown) => void change.rationale.push(`No direct-dependency bump for ${u.candidate.displayName}: the lookup of ${c.displayName} failed (${firstLine(e)}).`)));
      const step = c && rel && c.current ? smallestFixingBump(rel, c.current, u.candidate.name, u.to) : undefined;
      if (!c || !step) continue;
      const prev = bumps.get(c.key);
      if (prev && compareIn('npm', prev.to, step.version) >= 0) continue;
      bumps.set(c.key, { c, to: step.version, why: `${pkg.name} ${pkg.version} requires ${u.candidate.displayName}@${range}; ${pkg.name} ${step.version} ${step.range ? `requires ${step.range}` : `no longer requires ${u.candidate.displayName}`}` });
    }
  }
  if (!bumps.size) return false;
  const units = new Map<string, ManifestUnit>();
  for (const { c, to, why } of bumps.values()) {
    const updateType = classifyUpdate('npm', c.current!, to);
    const type: PlannedUpdate['updateType'] = updateType === 'major' || updateType === 'minor' || updateType === 'prerelease' ? updateType : 'patch';
    const u: PlannedUpdate = { candidate: c, entry: { service: c.service, file: c.file, target: 'dependency', ecosystem: 'npm', name: c.displayName, declared: c.declared, current: c.current!, span: c.dependency!.span }, to, updateType: type };
    const e = editsFor(root, before, ctx, u, c);
    applyEdits(root, e);
    edits.push(...e);
    units.set(c.unit!.manifest, c.unit!);
    change.updates.push(u);
    change.rationale.push(`Transitive fix by the smallest direct-dependency bump (updates.transitiveFix: bump): ${why}, so ${c.displayName} moves ${c.current} -> ${to}${type === 'major' ? ' (a major update of a direct dependency: review it for breaking changes)' : ''}.`);
  }
  for (const unit of units.values()) {
    try {
      await ctx.relock(root, unit, [], [...bumps.values()].filter((b) => b.c.unit!.manifest === unit.manifest).map((b) => b.c.alias ?? b.c.name).sort());
    } catch (e) {
      throw new UpdateFailed(`relock of ${unit.manifest} with the bumped ${[...bumps.values()].map((b) => `${b.c.displayName} ${b.to}`).join(', ')} failed: ${relockFailure(unit, e as Error, ctx.logFile)}`);
    }
  }
  return true;
}

/** One line (the cause and what grouping would fix it); the tool's full output goes to the log file. */
function relockFailure(unit: ManifestUnit, e: Error, log: ApplyContext['logFile']): string {
  const output = e instanceof RelockError ? e.output : '';
  const tool = unit.lock && path.posix.basename(unit.lock) === 'poetry.lock' ? 'poetry' : 'npm';
  const why = output ? explainRelockFailure(tool, output) : undefined;
  let where = '';
  if (log && output) {
    try {
      writeFileInside(log.root, log.file, new TextEncoder().encode(`${e.message.split('\n')[0]}\n\n${output}\n`));
      where = `; full ${tool} output: ${log.shown}`;
    } catch {
      // The one line still says what failed; a log that cannot be written is not a second failure.
    }
  }
  const first = e.message.split('\n')[0]!.replace(/ --cache \S+/, '').replace(/ in \S+:$/, '');
  if (!why) return output && !log ? e.message : `${first}${where}`;
  return `${why.cause}${why.fix ? `; fix: ${why.fix}` : ''}${where}`;
}

type Parsed = Inventory['files'] extends Map<string, infer P> ? P : never;
const lockPackages = (lock: Parsed | undefined) => (isLockData(lock) ? lock.packages : []);
/** How a lock's dependency edges are written: npm ranges for the JavaScript locks, PEP 508 specifiers for uv. */
const edgeSyntax = (kind: string): 'npm' | 'poetry' | 'pep440' => (kind === 'package-lock' || kind === 'pnpm-lock' || kind === 'yarn-lock' ? 'npm' : kind === 'poetry-lock' ? 'poetry' : 'pep440');

function lockedVersions(u: PlannedUpdate, inv: Inventory): string[] {
  return lockPackages(inv.files.get(u.candidate.unit!.lock!)).filter((p) => p.normalizedName === u.candidate.name && !p.link && compareIn(u.candidate.ecosystem, p.version, u.to) < 0).map((p) => p.version);
}

/** Transitive updates whose lock still holds a version below the fix (a lock relocked in CI moves there, not here). */
function stuckTransitive(change: PlannedChange, inv: Inventory): { u: PlannedUpdate }[] {
  return change.updates.filter((u) => u.candidate.transitive && ciRelockCommand(u.candidate.unit!) === undefined && lockedVersions(u, inv).length > 0).map((u) => ({ u }));
}

/**
 * Adds a requirement to `[tool.uv] constraint-dependencies` of a pyproject.toml: into the array when the key is
 * there (first entry), else as a new key under `[tool.uv]`, else a new `[tool.uv]` table (before its sub-tables).
 */
export function uvConstraintEdit(file: string, text: string, requirement: string): TextEdit {
  const entry = JSON.stringify(requirement);
  const table = /^\[tool\.uv\][ \t]*(#[^\n]*)?\r?\n/m.exec(text);
  if (table) {
    const rest = text.slice(table.index + table[0].length);
    const end = rest.search(/^\[/m);
    const body = end < 0 ? rest : rest.slice(0, end);
    const key = /^constraint-dependencies\s*=\s*\[/m.exec(body);
    if (key) {
      const at = table.index + table[0].length + key.index + key[0].length;
      const empty = /^\s*\]/.test(text.slice(at));
      return { file, start: at, end: at, expected: '', replacement: empty ? entry : `${entry}, ` };
    }
    const at = table.index + table[0].length;
    return { file, start: at, end: at, expected: '', replacement: `constraint-dependencies = [${entry}]\n` };
  }
  // Before the first [tool.uv.*] sub-table when there is one: a super-table after its sub-tables is legal TOML,
  // but not every parser takes it.
  const sub = /^\[\[?tool\.uv\./m.exec(text);
  if (sub) return { file, start: sub.index, end: sub.index, expected: '', replacement: `[tool.uv]\nconstraint-dependencies = [${entry}]\n\n` };
  const sep = text.endsWith('\n') ? '' : '\n';
  return { file, start: text.length, end: text.length, expected: '', replacement: `${sep}\n[tool.uv]\nconstraint-dependencies = [${entry}]\n` };
}

function stuckWhy(u: PlannedUpdate, inv: Inventory): string {
  const lock = inv.files.get(u.candidate.unit!.lock!);
  const holders = lockedVersions(u, inv).flatMap((v) => requirersOf(lock, u.candidate.name, v)).slice(0, 3);
  return holders.length ? holders.join('; ') : 'no declared range admits it';
}

/** Adds `"name": "range"` to package.json's `overrides` (Yarn: `resolutions`; created after the last top-level key when absent), in the file's indentation. */
export function overrideEdit(file: string, text: string, name: string, range: string, key: 'overrides' | 'resolutions' = 'overrides'): TextEdit {
  const indent = /\n([ \t]+)"/.exec(text)?.[1] ?? '  ';
  const entry = `${JSON.stringify(name)}: ${JSON.stringify(range)}`;
  const doc = JSON.parse(text) as Record<string, unknown>;
  const table = doc[key];
  if (table && typeof table === 'object') {
    const m = new RegExp(`\\n([ \\t]*)"${key}"\\s*:\\s*\\{`).exec(text);
    if (!m) throw new UpdateFailed(`${file}: cannot find the \`${key}\` object to add ${name} to; add "${name}": "${range}" by hand`);
    const at = m.index + m[0].length;
    const empty = Object.keys(table).length === 0;
    return { file, start: at, end: at, expected: '', replacement: `\n${m[1]}${indent}${entry}${empty ? `\n${m[1]}` : ','}` };
  }
  const close = text.lastIndexOf('}');
  let last = close - 1;
  while (last >= 0 && /\s/.test(text[last]!)) last--;
  const comma = text[last] === '{' ? '' : ',';
  return { file, start: last + 1, end: last + 1, expected: '', replacement: `${comma}\n${indent}"${key}": {\n${indent}${indent}${entry}\n${indent}}` };
}

/** Adds `name = "range"` as the first entry of [tool.poetry.dependencies]. */
export function poetryConstraintEdit(file: string, text: string, name: string, range: string): TextEdit {
  const m = /^\[tool\.poetry\.dependencies\][ \t]*(#[^\n]*)?\r?\n/m.exec(text);
  if (!m) throw new UpdateFailed(`${file}: no [tool.poetry.dependencies] table to add the constraint ${name} = "${range}" to; add it by hand`);
  const at = m.index + m[0].length;
  return { file, start: at, end: at, expected: '', replacement: `${name} = ${JSON.stringify(range)}\n` };
}

/** "tiny-lib 1.0.0 requires tiny-dep@~1.0.0": who holds a package back, from the lock's own edges. */
function requirersOf(lock: Parsed | undefined, name: string, version: string): string[] {
  if (!isLockData(lock)) return [];
  const out: string[] = [];
  for (const p of lock.packages) for (const e of p.dependencies) if (e.normalizedName === name && satisfies(edgeSyntax(lock.kind), e.constraint, version) !== false) out.push(`${p.name || 'the project'} ${p.version} requires ${e.name}@${e.constraint}`);
  return [...new Set(out)].sort();
}

const key = (f: Finding): string => `${f.ruleId}\0${f.location.file}\0${f.subject ?? ''}\0${f.message}`;

export async function applyChange(root: string, change: PlannedChange, ctx: ApplyContext): Promise<ApplyResult> {
  const cfg = ctx.config.updates;
  const before = await buildInventory(root, ctx.config);
  // Re-read every record from this checkout: spans must be the ones of the bytes being edited.
  const fresh = new Map(collectCandidates(before).map((c) => [c.key, c]));
  const edits: TextEdit[] = [];
  const units = new Map<string, ManifestUnit>();
  const inRange = new Map<string, { name: string; version: string }[]>();
  // Installed names of every package the change moves, per manifest: what npm re-resolves when it cannot update the lock in place.
  const moved = new Map<string, string[]>();
  const move = (manifest: string, name: string): void => void moved.set(manifest, [...(moved.get(manifest) ?? []), name]);
  for (const u of change.updates) {
    if (u.candidate.transitive && before.files.get(u.candidate.unit!.lock!)?.kind === 'requirements') {
      edits.push(...(await compiledPinEdits(root, before, ctx, u, change)));
      continue;
    }
    if (u.candidate.transitive && before.files.get(u.candidate.unit!.lock!)?.kind === 'uv-lock') {
      // uv cannot run here: a constraint (not a dependency) that CI's `uv lock` applies within the declared ranges.
      const unit = u.candidate.unit!;
      edits.push(uvConstraintEdit(unit.manifest, readFileSync(path.join(root, unit.manifest), 'utf8'), `${u.candidate.displayName}>=${u.to}`));
      units.set(unit.manifest, unit);
      change.rationale.push(`${u.candidate.displayName} is locked only in ${unit.lock}: the constraint "${u.candidate.displayName}>=${u.to}" is added to \`[tool.uv] constraint-dependencies\` in ${unit.manifest} (a constraint, not a dependency: uv applies it only while something requires ${u.candidate.displayName}); \`uv lock\` then moves it within the declared ranges, or fails saying which range forbids it. Remove the constraint once the packages that require it ask for ${u.to}.`);
      continue;
    }
    if (u.candidate.transitive) {
      // Only the lock moves: the relock is told to update this one package within the declared ranges.
      const unit = u.candidate.unit!;
      units.set(unit.manifest, unit);
      move(unit.manifest, u.candidate.displayName);
      inRange.set(unit.manifest, [...(inRange.get(unit.manifest) ?? []), { name: u.candidate.displayName, version: u.to }]);
      continue;
    }
    const c = fresh.get(u.candidate.key);
    if (!c || c.declared !== u.candidate.declared) throw new UpdateFailed(`${u.candidate.file}: ${u.candidate.displayName} is no longer declared as planned (${u.candidate.declared}); re-run the plan`);
    const e = editsFor(root, before, ctx, u, c);
    edits.push(...e);
    if (c.unit?.lock && c.unit.lock !== c.file) {
      units.set(c.unit.manifest, c.unit);
      if (c.dependency && c.dependency.group !== 'engines') move(c.unit.manifest, c.alias ?? c.dependency.name);
      if (c.target === 'dependency' && e.length === 0) inRange.set(c.unit.manifest, [...(inRange.get(c.unit.manifest) ?? []), { name: c.alias ?? c.dependency!.name, version: u.to }]);
    }
  }
  applyEdits(root, edits);
  // uv and Pipenv cannot run here: the change is the manifest edit, its lock is relocked in CI (and said so).
  const inCi = [...units.values()].filter((u) => ciRelockCommand(u) !== undefined);
  for (const unit of inCi) change.rationale.push(`${unit.lock} is not relocked by depwarden (${ciRelockCommand(unit)} is not available to it): this change edits ${unit.manifest} only; CI must run \`${ciRelockCommand(unit)}\` and commit ${unit.lock} before merging.`);
  for (const unit of [...units.values()].sort((a, b) => (a.manifest < b.manifest ? -1 : 1))) {
    if (inCi.includes(unit)) continue;
    try {
      const r = await ctx.relock(root, unit, inRange.get(unit.manifest) ?? [], [...new Set(moved.get(unit.manifest) ?? [])].sort());
      if (r?.refreshed) change.rationale.push(`npm could not update ${unit.lock} in place (ERESOLVE: packages the lock shares as peers would have had to move), so the lock entries of the packages this change moves and of everything they depend on (${r.refreshed.length} packages) were re-resolved; the rest of the lock is kept. The lock diff below lists every version that moved.`);
    } catch (e) {
      throw new UpdateFailed(`relock of ${unit.manifest} failed: ${relockFailure(unit, e as Error, ctx.logFile)}`);
    }
  }
  let after = await buildInventory(root, ctx.config);
  const parseErrors = after.findings.filter((f) => f.ruleId === 'DW000');
  if (parseErrors.length > before.findings.filter((f) => f.ruleId === 'DW000').length) throw new UpdateFailed(`the edited files no longer parse: ${parseErrors.map((f) => `${f.location.file}:${f.location.line} ${f.message}`).join('; ')}`);
  const mode = cfg.transitiveFix ?? 'override';
  if (mode === 'bump' && stuckTransitive(change, after).length) {
    const bumped = await bumpHolders(root, change, before, after, fresh, ctx, edits);
    if (bumped) after = await buildInventory(root, ctx.config);
  }
  const stuck = stuckTransitive(change, after);
  const forced: string[] = [];
  if (stuck.length && mode !== 'lock-only') {
    // The ranges forbid the fix: the policy's fallback forces it (an npm `overrides` entry, a Poetry constraint)
    // and the PR body says so.
    for (const { u } of stuck) {
      const unit = u.candidate.unit!;
      const range = `^${u.to}`;
      const text = readFileSync(path.join(root, unit.manifest), 'utf8');
      const lockKind = after.files.get(unit.lock!)?.kind;
      // pnpm reads its overrides from `pnpm.overrides` (or pnpm-workspace.yaml), not npm's key: not written here.
      if (lockKind === 'pnpm-lock') throw new UpdateFailed(`${u.candidate.displayName} stays at ${lockedVersions(u, after).join(', ')} in ${unit.lock}: the declared ranges forbid ${u.to} (${stuckWhy(u, after)}); fix: bump the direct dependency that requires it, or add "${u.candidate.displayName}": "${range}" to \`pnpm.overrides\` in ${unit.manifest} (depwarden does not write pnpm overrides)`);
      const key = lockKind === 'yarn-lock' ? 'resolutions' : 'overrides';
      const e = unit.ecosystem === 'npm' ? overrideEdit(unit.manifest, text, u.candidate.displayName, range, key) : poetryConstraintEdit(unit.manifest, text, u.candidate.displayName, range);
      applyEdits(root, [e]);
      edits.push(e);
      forced.push(u.candidate.displayName);
      change.rationale.push(`Transitive fix forced: the declared ranges keep ${u.candidate.displayName} below ${u.to} (${stuckWhy(u, after)}), so the policy (updates.transitiveFix: ${mode}${mode === 'bump' ? ', and no version of a direct dependency that holds it back admits the fix' : ''}) adds ${unit.ecosystem === 'npm' ? `an \`${key}\` entry "${u.candidate.displayName}": "${range}" to ${unit.manifest}` : `the constraint ${u.candidate.displayName} = "${range}" to ${unit.manifest}`}; remove it once the packages that require it allow ${u.to}.`);
    }
    for (const unit of [...new Map(stuck.map(({ u }) => [u.candidate.unit!.manifest, u.candidate.unit!])).values()]) {
      try {
        await ctx.relock(root, unit, [], []);
      } catch (e) {
        throw new UpdateFailed(`relock of ${unit.manifest} with the forced ${stuck.map(({ u }) => u.candidate.displayName).join(', ')} failed: ${relockFailure(unit, e as Error, ctx.logFile)}`);
      }
    }
    after = await buildInventory(root, ctx.config);
  }
  for (const { u } of stuckTransitive(change, after)) {
    const unit = u.candidate.unit!;
    throw new UpdateFailed(`${u.candidate.displayName} stays at ${lockedVersions(u, after).join(', ')} in ${unit.lock}: the declared ranges forbid ${u.to} (${stuckWhy(u, after)}); fix: bump the direct dependency that requires it, or ${unit.ecosystem === 'npm' ? `an \`overrides\` entry "${u.candidate.displayName}": "^${u.to}" in package.json` : `a constraint ${u.candidate.displayName} = "^${u.to}" in pyproject.toml`} (updates.transitiveFix: override does that)`);
  }
  const elsewhere = relockedFromElsewhere(after, change, ctx.releases, cfg.registries.pypi);
  if (elsewhere.length) throw new UpdateFailed(elsewhere.join('; '));
  const lockDiffs: LockDiff[] = [];
  for (const unit of units.values()) {
    const a = before.files.get(unit.lock!);
    const b = after.files.get(unit.lock!);
    const pkgs = (x: typeof a) => (isLockData(x) ? x.packages : []);
    const m = after.files.get(unit.manifest);
    const direct = new Set(m && (m.kind === 'pyproject' || m.kind === 'package-json') ? m.dependencies.map((d) => d.normalizedName) : []);
    lockDiffs.push(diffLock(unit.lock!, pkgs(a), pkgs(b), direct));
  }
  for (const u of change.updates) {
    // A compiled requirements lock edited in place: its one moved pin is the lock diff.
    if (!u.candidate.transitive || before.files.get(u.candidate.unit!.lock!)?.kind !== 'requirements') continue;
    lockDiffs.push({ file: u.candidate.unit!.lock!, changes: [{ name: u.candidate.displayName, ...(u.candidate.current ? { from: u.candidate.current } : {}), to: u.to, kind: u.candidate.current ? classifyUpdate('PyPI', u.candidate.current, u.to) : 'changed', direct: false }] });
  }
  let verification: ApplyResult['verification'];
  if (ctx.verify && cfg.verify) {
    const touched = new Set([...edits.map((e) => e.file), ...[...units.values()].flatMap((u) => [u.manifest, u.lock!])]);
    const inScope = (f: Finding): boolean => touched.has(f.location.file) || change.updates.some((u) => u.candidate.service === f.service);
    const f0 = (await ctx.verify(before)).filter(inScope);
    const f1 = (await ctx.verify(after)).filter(inScope);
    const had = new Set(f0.map(key));
    const now = new Set(f1.map(key));
    // A forced transitive fix breaks the ranges that held it back on purpose (the PR body says so): those
    // lock-consistency findings are the override itself, not a regression.
    // A lock relocked in CI is stale until then (DW003/DW004 on it): expected, said in the rationale.
    const forcedBy = (f: Finding): boolean => (f.ruleId === 'DW101' && forced.some((n) => f.message.includes(` requires ${n} `))) || ((f.ruleId === 'DW003' || f.ruleId === 'DW004') && inCi.some((u) => u.lock === f.location.file || u.manifest === f.location.file));
    const added = f1.filter((f) => !had.has(key(f)) && severityRank(f.severity) >= severityRank('high') && !forcedBy(f));
    if (added.length) throw new UpdateFailed(`the update would add ${added.length} finding(s) at high or above: ${added.map((f) => `${f.ruleId} ${f.location.file}:${f.location.line} ${f.message}`).join('; ')}`);
    verification = { before: f0.length, after: f1.length, fixed: [...new Set(f0.filter((f) => !now.has(key(f))).map((f) => f.ruleId))].sort() };
  }
  const files = [...new Set([...edits.map((e) => e.file), ...[...units.values()].filter((u) => !inCi.includes(u)).map((u) => u.lock!)])].sort();
  return { files, lockDiffs, before, after, ...(verification ? { verification } : {}) };
}

