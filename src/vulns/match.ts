import semver from 'semver';
import { compareVersions, isValidVersion } from '../versioning/pep440.ts';
import type { OsvAffected, OsvEvent, OsvRange } from './osv-record.ts';

/** Version order of one ecosystem: PEP 440 for PyPI, SemVer for npm and for SEMVER ranges. */
interface Order {
  valid(v: string): boolean;
  compare(a: string, b: string): number;
}

const PEP440: Order = { valid: isValidVersion, compare: compareVersions };
const SEMVER: Order = {
  valid: (v) => semver.valid(v, { loose: true }) !== null,
  compare: (a, b) => semver.compare(semver.valid(a, { loose: true })!, semver.valid(b, { loose: true })!),
};

function orderFor(ecosystem: string, rangeType: OsvRange['type']): Order {
  return rangeType === 'SEMVER' || ecosystem === 'npm' ? SEMVER : PEP440;
}

export interface MatchResult {
  /** true: affected; false: not affected; undefined: the advisory cannot say (only GIT ranges, invalid data). */
  affected: boolean | undefined;
  /** Version strings in the advisory that do not parse in the ecosystem's scheme (reported, never fatal). */
  invalid: string[];
  /** Smallest `fixed` event above the version, in the range that matched. */
  fixedIn?: string;
}

const eventVersion = (e: OsvEvent): string => e.introduced ?? e.fixed ?? e.last_affected ?? e.limit ?? '';

/**
 * OSV's evaluation of one range (schema "Evaluation"): sort the events by version ("0" first), walk them
 * and flip the state at introduced / fixed / last_affected; `limit` caps the range.
 */
export function rangeIncludes(version: string, range: OsvRange, ecosystem: string): { affected: boolean | undefined; invalid: string[]; fixedIn?: string } {
  const order = orderFor(ecosystem, range.type);
  const invalid: string[] = [];
  const events: OsvEvent[] = [];
  for (const e of range.events) {
    const v = eventVersion(e);
    if (e.introduced === '0' || e.limit === '*') events.push(e);
    else if (v !== '' && order.valid(v)) events.push(e);
    // An empty `fixed` / `last_affected` (GitHub writes "fixed": "" when no fix exists) closes nothing:
    // dropped from the walk, so the range stays open, and reported.
    else if (v === '' && (e.fixed !== undefined || e.last_affected !== undefined)) invalid.push(v);
    else return { affected: undefined, invalid: [v] };
  }
  // Other unreadable versions would silently widen or narrow the range: that range cannot be decided.
  const key = (e: OsvEvent): string => eventVersion(e);
  const cmp = (a: OsvEvent, b: OsvEvent): number => {
    if (a.introduced === '0') return b.introduced === '0' ? 0 : -1;
    if (b.introduced === '0') return 1;
    if (a.limit === '*') return b.limit === '*' ? 0 : 1;
    if (b.limit === '*') return -1;
    return order.compare(key(a), key(b));
  };
  const sorted = events.filter((e) => e.limit === undefined).sort(cmp);
  const limits = events.filter((e) => e.limit !== undefined && e.limit !== '*').map((e) => e.limit!);
  if (!order.valid(version)) return { affected: undefined, invalid: [] };
  let affected = false;
  let fixedIn: string | undefined;
  for (const e of sorted) {
    if (e.introduced !== undefined) {
      if (e.introduced === '0' || order.compare(e.introduced, version) <= 0) affected = true;
      else break;
    } else if (e.fixed !== undefined) {
      if (order.compare(e.fixed, version) <= 0) affected = false;
      else {
        fixedIn = e.fixed;
        break;
      }
    } else if (e.last_affected !== undefined) {
      if (order.compare(e.last_affected, version) < 0) affected = false;
      else break;
    }
  }
  if (affected && limits.length > 0 && limits.every((l) => order.compare(version, l) >= 0)) affected = false;
  return { affected, invalid, ...(affected && fixedIn ? { fixedIn } : {}) };
}

/**
 * Is `version` of the package affected by this affected entry? The `versions` list and every ECOSYSTEM/SEMVER
 * range count; GIT ranges say nothing about a version string and are skipped — when nothing else is given the
 * answer is "unknown", never "not affected".
 */
export function isAffected(version: string, a: OsvAffected): MatchResult {
  const invalid: string[] = [];
  if (listed(version, a)) return { affected: true, invalid, ...fixedFrom(version, a) };
  let decidedByRange = false;
  let unknown = false;
  for (const r of a.ranges) {
    if (r.type === 'GIT') continue;
    const res = rangeIncludes(version, r, a.ecosystem);
    invalid.push(...res.invalid);
    if (res.affected === true) return { affected: true, invalid, ...(res.fixedIn ? { fixedIn: res.fixedIn } : {}) };
    if (res.affected === false) decidedByRange = true;
    else unknown = true;
  }
  if (decidedByRange && !unknown) return { affected: false, invalid };
  // The explicit versions list does not name this version: authoritative when the ranges cannot be read.
  if (a.versions.length > 0) return { affected: false, invalid };
  return { affected: undefined, invalid };
}

/** In the `versions` list: exact text, or (PyPI) the same PEP 440 version written differently (1.0 == 1.0.0). */
function listed(version: string, a: OsvAffected): boolean {
  if (a.versions.includes(version)) return true;
  if (a.ecosystem !== 'PyPI' || !isValidVersion(version)) return false;
  return a.versions.some((v) => isValidVersion(v) && compareVersions(v, version) === 0);
}

function fixedFrom(version: string, a: OsvAffected): { fixedIn?: string } {
  for (const r of a.ranges) {
    if (r.type === 'GIT') continue;
    const res = rangeIncludes(version, r, a.ecosystem);
    if (res.fixedIn) return { fixedIn: res.fixedIn };
  }
  return {};
}

/** Every `fixed` version of an entry that is above `version` (for "smallest upgrade that fixes all"). */
export function fixedVersionsAbove(version: string, a: OsvAffected): string[] {
  const out: string[] = [];
  for (const r of a.ranges) {
    if (r.type === 'GIT') continue;
    const order = orderFor(a.ecosystem, r.type);
    if (!order.valid(version)) continue;
    for (const e of r.events) if (e.fixed && order.valid(e.fixed) && order.compare(e.fixed, version) > 0) out.push(e.fixed);
  }
  return out;
}
