import type { Dependency, Ecosystem } from '../model/dependency.ts';
import { isExactNpm, npmSatisfies, semverLib } from './npm.ts';
import { compareVersions, isValidVersion, parseVersion, satisfiesSpecifier } from './pep440.ts';
import { poetryToPep440 } from './poetry-constraint.ts';

export type ConstraintSyntax = Dependency['constraintSyntax'];

/**
 * Does `version` meet `constraint` written in `syntax`? undefined when either cannot be read: callers never
 * turn "unreadable" into "violated".
 */
// syntax + prerelease option -> constraint -> version -> answer. Nested maps, not one joined key: a fleet check
// asks ~90,000 questions, and building and hashing a joined string per question cost more than the answers.
const memo = new Map<string, Map<string, Map<string, boolean | undefined>>>();
let memoSize = 0;

export function satisfies(syntax: ConstraintSyntax, constraint: string, version: string, opts: { prereleases?: boolean } = {}): boolean | undefined {
  // Memoised: a fleet's locks ask the same (constraint, version) questions thousands of times.
  const mode = opts.prereleases === undefined ? syntax : `${syntax}\0${opts.prereleases}`;
  let byConstraint = memo.get(mode);
  if (!byConstraint) memo.set(mode, (byConstraint = new Map()));
  let byVersion = byConstraint.get(constraint);
  if (!byVersion) byConstraint.set(constraint, (byVersion = new Map()));
  const have = byVersion.get(version);
  if (have !== undefined || byVersion.has(version)) return have;
  const r = satisfiesUncached(syntax, constraint, version, opts);
  if (memoSize < 500_000) {
    byVersion.set(version, r);
    memoSize++;
  }
  return r;
}

function satisfiesUncached(syntax: ConstraintSyntax, constraint: string, version: string, opts: { prereleases?: boolean }): boolean | undefined {
  switch (syntax) {
    case 'none':
      return undefined;
    case 'npm':
      return npmSatisfies(version, constraint, { includePrerelease: opts.prereleases ?? true });
    case 'pep440':
      if (!isValidVersion(version)) return undefined;
      try {
        return satisfiesSpecifier(version, constraint, opts);
      } catch {
        return undefined;
      }
    case 'poetry': {
      if (!isValidVersion(version)) return undefined;
      const alts = poetryToPep440(constraint);
      if (!alts) return undefined;
      try {
        return alts.some((a) => satisfiesSpecifier(version, a, opts));
      } catch {
        return undefined;
      }
    }
  }
}

/** One exact version: `==1.2.3` (no wildcard), Poetry `1.2.3` / `==1.2.3`, npm `1.2.3`. `===` counts too. */
export function isExactPin(syntax: ConstraintSyntax, constraint: string): boolean {
  const c = constraint.trim();
  switch (syntax) {
    case 'npm':
      return isExactNpm(c);
    case 'pep440':
      return /^===\s*\S+$/.test(c) || (/^==\s*[^,*;\s]+$/.test(c) && isValidVersion(c.replace(/^==\s*/, '')));
    case 'poetry':
      return (/^(==|=)?\s*[^,*|^~<>!=\s]+$/.test(c) && isValidVersion(c.replace(/^==?\s*/, ''))) || /^===\s*\S+$/.test(c);
    case 'none':
      return false;
  }
}

/**
 * Orders two versions by the ecosystem's rules: node-semver for npm (versions it cannot read fall back to string
 * order, so sorting stays total), PEP 440 otherwise.
 */
export function compareIn(ecosystem: string, a: string, b: string): number {
  if (ecosystem === 'npm') {
    const semver = semverLib();
    const x = semver.valid(a, { loose: true });
    const y = semver.valid(b, { loose: true });
    return x && y ? semver.compare(x, y) : a < b ? -1 : a > b ? 1 : 0;
  }
  return compareVersions(a, b);
}

export type UpdateType = 'major' | 'minor' | 'patch' | 'prerelease' | 'none' | 'downgrade' | 'unknown';

/** Classifies the step from one version to another, by the ecosystem's version rules. */
export function classifyUpdate(ecosystem: Ecosystem, from: string, to: string): UpdateType {
  if (ecosystem === 'npm') {
    const semver = semverLib();
    const a = semver.valid(from, { loose: true });
    const b = semver.valid(to, { loose: true });
    if (!a || !b) return 'unknown';
    const c = semver.compare(a, b);
    if (c === 0) return 'none';
    if (c > 0) return 'downgrade';
    const d = semver.diff(a, b);
    return d === 'major' || d === 'premajor' ? 'major' : d === 'minor' || d === 'preminor' ? 'minor' : d === 'patch' || d === 'prepatch' ? 'patch' : 'prerelease';
  }
  if (ecosystem === 'PyPI') {
    const a = parseVersion(from);
    const b = parseVersion(to);
    if (!a || !b) return 'unknown';
    const c = compareVersions(from, to);
    if (c === 0) return 'none';
    if (c > 0) return 'downgrade';
    const ra = a.release;
    const rb = b.release;
    if (a.epoch !== b.epoch || (ra[0] ?? 0) !== (rb[0] ?? 0)) return 'major';
    if ((ra[1] ?? 0) !== (rb[1] ?? 0)) return 'minor';
    if ((ra[2] ?? 0) !== (rb[2] ?? 0)) return 'patch';
    return b.is_prerelease || b.is_devrelease ? 'prerelease' : 'patch';
  }
  return 'unknown';
}
