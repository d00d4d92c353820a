import path from 'node:path';
import type { Finding } from '../model/finding.ts';
import type { PackageJsonData, PackageLockData, ParsedData, PoetryLockData, PyprojectData, RequirementsData } from '../model/files.ts';
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
