import path from 'node:path';
import type { Finding } from '../model/finding.ts';
import type { PackageJsonData, PackageLockData, ParsedData, PipfileData, PipfileLockData, PnpmLockData, PoetryLockData, PyprojectData, RequirementsData, UvConflictItem, UvLockData, UvProject, UvRequirement, YarnLockData } from '../model/files.ts';
import type { Dependency } from '../model/dependency.ts';
import { fileSpan } from '../model/source.ts';
import { satisfies } from '../versioning/constraint.ts';
import { finding, type Rule, type RuleContext } from './context.ts';
import { allUnits } from './units.ts';

/** DW003: the lock still matches its manifest. */
export const lockFreshnessRule: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const u of allUnits(ctx.inv)) {
    const m = u.manifestData;
    const l = u.lockData;
    if (!l) continue;
    if (m.kind === 'pyproject' && l.kind === 'poetry-lock') out.push(...poetryHash(ctx, m, l));
    else if (m.kind === 'package-json' && l.kind === 'package-lock') out.push(...npmRoot(ctx, m, l));
    else if (m.kind === 'pyproject' && l.kind === 'uv-lock') out.push(...uvProject(ctx, m, l));
    else if (m.kind === 'package-json' && l.kind === 'pnpm-lock') out.push(...pnpmImporter(ctx, m, l));
    else if (m.kind === 'package-json' && l.kind === 'yarn-lock') out.push(...yarnDescriptors(ctx, m, l));
    else if (m.kind === 'pipfile' && l.kind === 'pipfile-lock') out.push(...pipfileHash(ctx, m, l));
    else if (m.kind === 'requirements' && l.kind === 'requirements' && u.manifest !== u.lock) out.push(...compiledFrom(ctx, m, l));
  }
  // `poetry export` output must agree with the poetry.lock it was exported from.
  for (const d of ctx.inv.files.values()) {
    if (d.kind !== 'requirements' || !/poetry/i.test(d.generatedBy ?? '')) continue;
    const lock = nearestPoetryLock(ctx.inv.files, d.file);
    if (lock) out.push(...exportAgrees(ctx, d, lock));
  }
  return out;
};

/** Poetry writes content-hash from the pyproject; which keys it hashes changed in Poetry 2. */
function poetryHash(ctx: RuleContext, m: PyprojectData, l: PoetryLockData): Finding[] {
  if (!l.contentHash) return [];
  const major = Number(/^(\d+)/.exec(l.generatedBy ?? '')?.[1] ?? NaN);
  const expected = Number.isNaN(major) ? [m.contentHash.poetry1, m.contentHash.poetry2] : major >= 2 ? [m.contentHash.poetry2] : [m.contentHash.poetry1];
  if (expected.includes(l.contentHash)) return [];
  return [
    finding(ctx, 'DW003', fileSpan(l.file), `${l.file} is out of date with ${m.file}: content-hash ${l.contentHash.slice(0, 12)}… does not match the manifest (${expected[0]!.slice(0, 12)}…)`, {
      subject: l.file,
      detail: `Poetry ${l.generatedBy ?? '(unknown version)'} wrote the lock; the dependency sections of ${m.file} changed since. \`poetry install\` would refuse or warn.`,
      properties: { lockHash: l.contentHash, manifestHash: expected[0]! },
    }),
  ];
}

const NPM_SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** package-lock v2/v3 copies package.json's dependency maps into its root entry: they must be equal. */
function npmRoot(ctx: RuleContext, m: PackageJsonData, l: PackageLockData): Finding[] {
  const declared: Record<string, Record<string, string>> = { dependencies: {}, devDependencies: {}, optionalDependencies: {}, peerDependencies: {} };
  for (const d of m.dependencies) {
    const section = d.group === 'peer' ? 'peerDependencies' : d.optional ? 'optionalDependencies' : d.dev ? 'devDependencies' : 'dependencies';
    declared[section]![d.name] = d.constraint;
  }
  const diffs: string[] = [];
  if (l.root) {
    for (const s of NPM_SECTIONS) {
      const a = declared[s]!;
      const b = l.root[s] ?? {};
      for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
        if (a[name] === b[name]) continue;
        if (a[name] === undefined) diffs.push(`${s}.${name}: in the lock (${b[name]}) but not in package.json`);
        else if (b[name] === undefined) diffs.push(`${s}.${name}: in package.json (${a[name]}) but not in the lock`);
        else diffs.push(`${s}.${name}: package.json says ${a[name]}, the lock ${b[name]}`);
      }
    }
  } else {
    // lockfile v1 has no root entry: every declared range must be met by the top-level install.
    const top = new Map(l.packages.filter((p) => p.path === `node_modules/${p.name}`).map((p) => [p.name, p.version]));
    for (const d of m.dependencies) {
      if (d.group === 'peer') continue;
      const v = top.get(d.name);
      if (v === undefined) {
        if (!d.optional) diffs.push(`${d.name}: in package.json (${d.constraint}) but not in the lock`);
      } else if (satisfies('npm', d.constraint, v) === false) diffs.push(`${d.name}: package.json says ${d.constraint}, the lock has ${v}`);
    }
  }
  if (diffs.length === 0) return [];
  diffs.sort();
  return [
    finding(ctx, 'DW003', fileSpan(l.file), `${l.file} is out of date with ${m.file}: ${diffs.length} dependenc${diffs.length === 1 ? 'y differs' : 'ies differ'} (${diffs[0]}${diffs.length > 1 ? ', …' : ''})`, {
      subject: l.file,
      detail: diffs.join('\n'),
      hint: 'Run `npm install --package-lock-only` and commit package-lock.json; `npm ci` fails while they disagree.',
    }),
  ];
}

/** A pip-compile output must pin every requirement of its .in file at a version the .in allows. */
function compiledFrom(ctx: RuleContext, m: RequirementsData, l: RequirementsData): Finding[] {
  const pins = new Map<string, string>();
  for (const r of l.requirements) {
    const v = /^===?\s*([^,;\s]+)$/.exec(r.constraint.trim())?.[1];
    if (v) pins.set(r.normalizedName, v);
  }
  const diffs: string[] = [];
  for (const r of m.requirements) {
    if (r.source && r.source.type !== 'registry') continue;
    const v = pins.get(r.normalizedName);
    if (v === undefined) diffs.push(`${r.name} is required by ${m.file} but not pinned in ${l.file}`);
    else if (r.constraint && satisfies('pep440', r.constraint, v) === false) diffs.push(`${r.name}: ${m.file} asks for ${r.constraint}, ${l.file} pins ${v}`);
  }
  if (diffs.length === 0) return [];
  return [
    finding(ctx, 'DW003', fileSpan(l.file), `${l.file} is out of date with ${m.file}: ${diffs[0]}${diffs.length > 1 ? ` (and ${diffs.length - 1} more)` : ''}`, {
      subject: l.file,
      detail: diffs.join('\n'),
      hint: `Re-run pip-compile on ${m.file} and commit ${l.file}.`,
    }),
  ];
}

function nearestPoetryLock(files: Map<string, ParsedData>, from: string): PoetryLockData | undefined {
  let dir = path.posix.dirname(from);
  for (;;) {
    const d = files.get(dir === '.' ? 'poetry.lock' : `${dir}/poetry.lock`);
    if (d?.kind === 'poetry-lock') return d;
    if (dir === '.') return undefined;
    dir = path.posix.dirname(dir);
  }
}

/** Every pin of a `poetry export` must be the version poetry.lock holds. */
function exportAgrees(ctx: RuleContext, exp: RequirementsData, lock: PoetryLockData): Finding[] {
  const locked = new Map<string, Set<string>>();
  for (const p of lock.packages) {
    if (!locked.has(p.normalizedName)) locked.set(p.normalizedName, new Set());
    locked.get(p.normalizedName)!.add(p.version);
  }
  const out: Finding[] = [];
  for (const r of exp.requirements) {
    const v = /^===?\s*([^,;\s]+)$/.exec(r.constraint.trim())?.[1];
    if (!v) continue;
    const vs = locked.get(r.normalizedName);
    if (vs?.has(v)) continue;
    const msg = vs
      ? `${exp.file} pins ${r.name}==${v} but ${lock.file} locks ${[...vs].sort().join(', ')}`
      : `${exp.file} pins ${r.name}==${v} but ${lock.file} does not lock ${r.name}`;
    out.push(finding(ctx, 'DW003', r.constraintSpan ?? r.span, msg, { subject: r.name, hint: `Re-export: \`poetry export -o ${path.posix.basename(exp.file)}\`.` }));
  }
  return out;
}

/** One DW003 naming the differences, most telling first. */
function stale(ctx: RuleContext, lockFile: string, manifest: string, diffs: string[], hint: string): Finding[] {
  if (diffs.length === 0) return [];
  diffs.sort();
  return [
    finding(ctx, 'DW003', fileSpan(lockFile), `${lockFile} is out of date with ${manifest}: ${diffs.length} dependenc${diffs.length === 1 ? 'y differs' : 'ies differ'} (${diffs[0]}${diffs.length > 1 ? ', …' : ''})`, {
      subject: lockFile,
      detail: diffs.join('\n'),
      hint,
    }),
  ];
}

/** ">= 1.0, <2" and "<2,>=1.0" are the same specifier set. */
const specKey = (s: string): string => s.split(',').map((x) => x.replace(/\s+/g, '')).filter(Boolean).sort().join(',');

/**
 * uv.lock copies the project's requirements into `[package.metadata]` (`requires-dist`, `requires-dev`) and
 * `uv lock --check` compares them with pyproject.toml: [project] dependencies and extras, [dependency-groups]
 * (and the legacy `tool.uv.dev-dependencies`), with [tool.uv.sources] replacing a specifier by a source.
 */
function uvProject(ctx: RuleContext, m: PyprojectData, l: UvLockData): Finding[] {
  const rel = path.posix.relative(path.posix.dirname(l.file), path.posix.dirname(m.file)) || '.';
  const project = l.projects.find((p) => p.path === rel) ?? (rel === '.' ? l.projects.find((p) => p.normalizedName === normalize(m.projectName)) : undefined);
  if (!project) {
    if (!m.projectName && m.dependencies.length === 0) return [];
    return stale(ctx, l.file, m.file, [`${m.file} (${m.projectName ?? 'its project'}) is not a project of the lock`], 'Run `uv lock` and commit uv.lock.');
  }
  // Fields the build backend computes (PEP 621 `dynamic`) are not in the pyproject: uv asked the backend, so can we not.
  const dynamicMain = m.dynamic?.includes('dependencies') === true;
  const dynamicExtras = m.dynamic?.includes('optional-dependencies') === true;
  const checked = (group: string): boolean => !(group === 'main' && dynamicMain) && !(group.startsWith('optional:') && dynamicExtras);
  const locked = new Map<string, UvRequirement[]>();
  const add = (group: string, r: UvRequirement): void => {
    if (!checked(group)) return;
    const k = `${group}\0${r.normalizedName}`;
    locked.set(k, [...(locked.get(k) ?? []), r]);
  };
  for (const r of project.requiresDist) add(r.group, r);
  for (const [g, list] of Object.entries(project.requiresDev)) for (const r of list) add(g === 'dev' && !m.dependencies.some((d) => d.group === 'dependency-group:dev') ? 'dev' : `dependency-group:${g}`, r);
  const declared = new Map<string, Dependency[]>();
  for (const d of m.dependencies) {
    const k = `${d.group}\0${d.normalizedName}`;
    declared.set(k, [...(declared.get(k) ?? []), d]);
  }
  const where = (k: string): string => {
    const [g, n] = k.split('\0') as [string, string];
    return g === 'main' ? n : `${n} (${g.replace(/^optional:/, 'extra ').replace(/^dependency-group:/, 'group ')})`;
  };
  const diffs: string[] = [];
  for (const [k, ds] of declared) {
    const ls = locked.get(k);
    if (!ls) {
      diffs.push(`${where(k)}: in ${m.file} but not in the lock`);
      continue;
    }
    if (ds.some((d) => d.source && d.source.type !== 'registry') || ls.some((r) => r.sourceKind && r.sourceKind !== 'index')) continue;
    const a = ds.map((d) => specKey(d.constraint)).sort().join(' | ');
    const b = ls.map((r) => specKey(r.specifier)).sort().join(' | ');
    if (a !== b) diffs.push(`${where(k)}: ${m.file} says ${JSON.stringify(ds.map((d) => d.constraint).join(' | '))}, the lock ${JSON.stringify(ls.map((r) => r.specifier).join(' | '))}`);
  }
  for (const k of locked.keys()) if (!declared.has(k)) diffs.push(`${where(k)}: in the lock but not in ${m.file}`);
  diffs.push(...uvConflictDiffs(ctx, m, l, project, rel));
  // uv takes constraint- and override-dependencies from the workspace root only.
  if (rel === '.') {
    diffs.push(...uvManifestDiffs('constraint-dependencies', m.uvConstraints ?? [], l.constraints, m.file));
    diffs.push(...uvManifestDiffs('override-dependencies', m.uvOverrides ?? [], l.overrides, m.file));
  }
  return stale(ctx, l.file, m.file, diffs, 'Run `uv lock` and commit uv.lock; `uv sync --locked` fails while they disagree.');
}

const conflictKey = (set: UvConflictItem[], pkg: string): string =>
  set.map((i) => `${normalize(i.package ?? pkg)}:${i.extra !== undefined ? `extra ${i.extra}` : `group ${i.group}`}`).sort().join(' | ');

/**
 * `[tool.uv] conflicts` is copied into the lock (each item with its package) and `uv lock --check` compares the
 * two. Every set this pyproject declares must be in the lock; in a single-project lock, also the other way round
 * (a workspace's lock gathers the sets of every member, so a member cannot account for all of them).
 */
function uvConflictDiffs(ctx: RuleContext, m: PyprojectData, l: UvLockData, project: UvProject, rel: string): string[] {
  const declared = new Set((m.uvConflicts ?? []).map((s) => conflictKey(s, project.name)));
  const locked = new Set(l.conflicts.map((s) => conflictKey(s, project.name)));
  const out: string[] = [];
  for (const k of [...declared].sort()) if (!locked.has(k)) out.push(`conflicts [${k}]: in ${m.file} but not in the lock`);
  if (rel !== '.') return out;
  // At the root: the lock's sets are the union of the members' declarations, checked when every member's pyproject is here.
  const lockDir = path.posix.dirname(l.file);
  const all = new Set(declared);
  for (const member of l.projects) {
    if (member.path === '.') continue;
    const data = ctx.inv.files.get(path.posix.join(lockDir, member.path, 'pyproject.toml'));
    if (data?.kind !== 'pyproject') return out;
    for (const s of data.uvConflicts ?? []) all.add(conflictKey(s, member.name));
  }
  const locked2 = l.conflicts.map((s) => conflictKey(s, project.name));
  for (const k of [...new Set(locked2)].sort()) if (!all.has(k)) out.push(`conflicts [${k}]: in the lock but not in ${m.file}${l.projects.length > 1 ? ' or its members' : ''}`);
  return out;
}

/** Markers as uv normalises them: quotes and spacing do not count. */
const markerKey = (m: string | undefined): string => (m ?? '').replace(/"/g, "'").replace(/\s+/g, '');

/** `[manifest] constraints` / `overrides` against the root's `constraint-dependencies` / `override-dependencies`. */
function uvManifestDiffs(key: string, declared: Dependency[], locked: UvRequirement[], file: string): string[] {
  const a = new Map(declared.map((d) => [`${d.normalizedName} ${specKey(d.constraint)} ${markerKey(d.markers)}`, d.name]));
  const b = new Map(locked.map((r) => [`${r.normalizedName} ${specKey(r.specifier)} ${markerKey(r.marker)}`, r.name]));
  const out: string[] = [];
  for (const [k, name] of [...a].sort()) if (!b.has(k) && !(declared.find((d) => d.name === name)?.source)) out.push(`${key} ${name}: ${file} says ${JSON.stringify(k.split(' ')[1])}, which the lock's [manifest] does not have`);
  for (const [k, name] of [...b].sort()) if (!a.has(k) && !locked.find((r) => r.name === name)?.sourceKind) out.push(`${key} ${name}: the lock's [manifest] has ${JSON.stringify(k.split(' ')[1])}, which ${file} does not declare`);
  return out;
}

const normalize = (n: string | undefined): string | undefined => n?.toLowerCase().replace(/[-_.]+/g, '-');

const PNPM_SECTIONS = { dependencies: 'dependencies', devDependencies: 'devDependencies', optionalDependencies: 'optionalDependencies' } as const;

/** pnpm records each importer's specifiers; `pnpm install --frozen-lockfile` fails when they differ from package.json. */
function pnpmImporter(ctx: RuleContext, m: PackageJsonData, l: PnpmLockData): Finding[] {
  const rel = path.posix.relative(path.posix.dirname(l.file), path.posix.dirname(m.file)) || '.';
  const imp = l.importers.find((i) => i.path === rel);
  if (!imp) return stale(ctx, l.file, m.file, [`${rel} is not an importer of the lock`], 'Run `pnpm install --lockfile-only` and commit pnpm-lock.yaml.');
  const diffs: string[] = [];
  const declared: Record<keyof typeof PNPM_SECTIONS, Record<string, string>> = { dependencies: {}, devDependencies: {}, optionalDependencies: {} };
  for (const d of m.dependencies) {
    if (d.group === 'peer') continue;
    declared[d.optional ? 'optionalDependencies' : d.dev ? 'devDependencies' : 'dependencies'][d.name] = d.constraint;
  }
  for (const s of Object.keys(PNPM_SECTIONS) as (keyof typeof PNPM_SECTIONS)[]) {
    const a = declared[s];
    const b = imp.sections[s];
    for (const name of new Set([...Object.keys(a), ...Object.keys(b)])) {
      if (a[name] === b[name]?.specifier) continue;
      if (a[name] === undefined) diffs.push(`${s}.${name}: in the lock (${b[name]!.specifier}) but not in package.json`);
      else if (b[name] === undefined) diffs.push(`${s}.${name}: in package.json (${a[name]}) but not in the lock`);
      else diffs.push(`${s}.${name}: package.json says ${a[name]}, the lock ${b[name]!.specifier}`);
    }
  }
  return stale(ctx, l.file, m.file, diffs, 'Run `pnpm install --lockfile-only` and commit pnpm-lock.yaml; `pnpm install --frozen-lockfile` fails while they disagree.');
}

/** Every declared `name@range` must be a descriptor the yarn.lock resolves (`yarn install --immutable` / `--frozen-lockfile`). */
function yarnDescriptors(ctx: RuleContext, m: PackageJsonData, l: YarnLockData): Finding[] {
  const diffs: string[] = [];
  for (const d of m.dependencies) {
    if (d.group === 'peer' || /^(workspace:|link:|portal:|file:)/.test(d.constraint)) continue;
    const keys = l.flavor === 'v1' ? [`${d.name}@${d.constraint}`] : [`${d.name}@${d.constraint}`, `${d.name}@npm:${d.constraint}`];
    if (!keys.some((k) => l.descriptors[k] !== undefined)) diffs.push(`${d.name}@${d.constraint}: declared in package.json but the lock does not resolve it`);
  }
  return stale(ctx, l.file, m.file, diffs, 'Run `yarn install` and commit yarn.lock; `yarn install --immutable` (or `--frozen-lockfile`) fails while it is missing entries.');
}

/** Pipenv stores the Pipfile's hash in the lock: `pipenv install --deploy` refuses a lock whose hash differs. */
function pipfileHash(ctx: RuleContext, m: PipfileData, l: PipfileLockData): Finding[] {
  if (!l.hash || l.hash === m.hash) return [];
  return [
    finding(ctx, 'DW003', fileSpan(l.file), `${l.file} is out of date with ${m.file}: _meta.hash ${l.hash.slice(0, 12)}… does not match the Pipfile (${m.hash.slice(0, 12)}…)`, {
      subject: l.file,
      detail: `${m.file} changed since \`pipenv lock\` wrote ${l.file}; \`pipenv install --deploy\` refuses it.`,
      hint: 'Run `pipenv lock` and commit Pipfile.lock.',
      properties: { lockHash: l.hash, manifestHash: m.hash },
    }),
  ];
}
