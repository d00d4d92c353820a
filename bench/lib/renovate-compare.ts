import path from 'node:path';
import semver from 'semver';
import type { OutdatedEntry } from '../../src/model/update.ts';
import { isPackageRow, type RenovateRow } from './renovate-report.ts';

/**
 * Renovate's lookups against `depwarden outdated`, per (package file, package name).
 *
 * Mapping (Renovate run with its defaults: separateMajorMinor, one major update, rangeStrategy auto, which
 * is update-lockfile for in-range versions, so its currentVersion is the locked version like our `current`):
 * - Renovate's highest `newVersion` (or currentVersion when it has no update) <-> our `latest`;
 * - its non-major update (or currentVersion) <-> our `allowed` (absent: the current version); when our
 *   policy allows a major, `allowed` is counted apart as equal to Renovate's major proposal;
 * - update type: Renovate's type for the version equal to our `allowed` when it proposes that version,
 *   else its highest update's type <-> our `updateType`.
 */

export interface RenovateSide {
  depType?: string;
  current?: string;
  latest?: string;
  nonMajor?: string;
  type?: string;
  /** Update type per proposed version. */
  types: Record<string, string>;
  skipReason?: string;
  /** More rows of the same package in the same file (e.g. dependencies and overrides). */
  extraRows: number;
}

export interface DepwardenSide {
  current?: string;
  declared: string;
  allowed?: string;
  latest?: string;
  updateType?: string;
  note?: string;
}

export interface PairResult {
  file: string;
  name: string;
  presence: 'both' | 'renovate' | 'depwarden';
  renovate?: RenovateSide;
  depwarden?: DepwardenSide;
  outdatedRenovate: boolean;
  outdatedDepwarden: boolean;
  sameCurrent?: boolean;
  sameLatest?: boolean;
  sameAllowed?: boolean;
  sameType?: boolean;
  /** Our `allowed` is a major Renovate proposes separately (policy allows majors), not its non-major. */
  allowedIsRenovateMajor?: boolean;
  /** We propose `pin` (exact version for a range); Renovate with rangeStrategy auto does not. */
  depwardenPin?: boolean;
  /** Fields that differ, for the reader: "latest 3.10.1 vs 3.10.0". */
  differences: string[];
}

export interface CaseSummary {
  renovateDeps: number;
  depwardenDeps: number;
  both: number;
  onlyRenovate: number;
  onlyDepwarden: number;
  outdated: { both: number; onlyRenovate: number; onlyDepwarden: number };
  /** Of the packages found by both and looked up by Renovate. */
  compared: number;
  sameCurrent: number;
  sameLatest: number;
  sameAllowed: number;
  allowedIsRenovateMajor: number;
  depwardenPins: number;
  sameType: number;
  typed: number;
}

/** Largest of some versions by semver (invalid ones last), or undefined. */
function highest(vs: (string | undefined)[]): string | undefined {
  const ok = vs.filter((v): v is string => !!v);
  return ok.sort((a, b) => (semver.valid(a) && semver.valid(b) ? semver.rcompare(a, b) : semver.valid(a) ? -1 : 1))[0];
}

export function renovateSide(rows: RenovateRow[]): RenovateSide {
  // Prefer the row from a dependency section over overrides/resolutions: that is what our entry describes.
  const sorted = [...rows].sort((a, b) => Number(a.depType === 'overrides') - Number(b.depType === 'overrides'));
  const r = sorted[0]!;
  const ups = r.updates.filter((u) => u.newVersion && u.updateType !== 'pin' && u.updateType !== 'digest');
  const current = r.currentVersion ?? r.lockedVersion;
  const latestUp = highest(ups.map((u) => u.newVersion));
  const nonMajor = highest(ups.filter((u) => u.updateType !== 'major').map((u) => u.newVersion));
  const types: Record<string, string> = {};
  for (const u of ups) types[u.newVersion!] = u.updateType;
  return {
    ...(r.depType ? { depType: r.depType } : {}),
    ...(current ? { current } : {}),
    ...(latestUp ?? current ? { latest: latestUp ?? current } : {}),
    ...(nonMajor ?? current ? { nonMajor: nonMajor ?? current } : {}),
    ...(latestUp ? { type: types[latestUp] } : {}),
    types,
    ...(r.skipReason ? { skipReason: r.skipReason } : {}),
    extraRows: rows.length - 1,
  };
}

/** A file path relative to the project root, with forward slashes, whatever form each tool reports. */
export function relFile(root: string, file: string): string {
  const rel = path.isAbsolute(file) ? path.relative(root, file) : file;
  return rel.split(path.sep).join('/').replace(/^\.\//, '');
}

export function compareCase(root: string, renovateRows: RenovateRow[], entries: OutdatedEntry[]): { pairs: PairResult[]; summary: CaseSummary } {
  const key = (file: string, name: string): string => `${relFile(root, file)}\0${name}`;
  const rBy = new Map<string, RenovateRow[]>();
  for (const r of renovateRows) {
    if (!isPackageRow(r)) continue;
    const k = key(r.packageFile, r.depName);
    rBy.set(k, [...(rBy.get(k) ?? []), r]);
  }
  const dBy = new Map<string, OutdatedEntry>();
  for (const e of entries) {
    if (e.ecosystem !== 'npm' || e.target !== 'dependency') continue;
    const k = key(e.file, e.name);
    if (!dBy.has(k)) dBy.set(k, e);
  }
  const pairs: PairResult[] = [];
  for (const k of [...new Set([...rBy.keys(), ...dBy.keys()])].sort()) {
    const [file, name] = k.split('\0') as [string, string];
    const rRows = rBy.get(k);
    const e = dBy.get(k);
    const R = rRows ? renovateSide(rRows) : undefined;
    const D: DepwardenSide | undefined = e
      ? {
          declared: e.declared,
          ...(e.current ? { current: e.current } : {}),
          ...(e.allowed ? { allowed: e.allowed } : {}),
          ...(e.latest ? { latest: e.latest } : {}),
          ...(e.updateType ? { updateType: e.updateType } : {}),
          ...(e.note ? { note: e.note } : {}),
        }
      : undefined;
    const outdatedRenovate = !!R && !!R.latest && R.latest !== R.current;
    const outdatedDepwarden = !!D && !!D.latest && !!D.current && D.latest !== D.current;
    const p: PairResult = { file, name, presence: R && D ? 'both' : R ? 'renovate' : 'depwarden', ...(R ? { renovate: R } : {}), ...(D ? { depwarden: D } : {}), outdatedRenovate, outdatedDepwarden, differences: [] };
    if (R && D && !R.skipReason) {
      p.sameCurrent = R.current === D.current;
      p.sameLatest = R.latest === D.latest;
      // No `allowed` means nothing newer is allowed: the current version stays, as Renovate's "no update".
      const allowed = D.allowed ?? D.current;
      p.sameAllowed = R.nonMajor === allowed;
      // Our default policy allows majors (they need approval): then `allowed` is Renovate's major proposal.
      p.allowedIsRenovateMajor = !p.sameAllowed && !!allowed && R.types[allowed] === 'major';
      // `pin` (range -> exact version, rule DW001) has no Renovate counterpart under rangeStrategy auto.
      p.depwardenPin = D.updateType === 'pin';
      const rType = allowed && R.types[allowed] ? R.types[allowed] : R.type;
      if (!p.depwardenPin && (rType || D.updateType)) p.sameType = rType === D.updateType;
      if (!p.sameCurrent) p.differences.push(`current ${R.current} vs ${D.current}`);
      if (!p.sameLatest) p.differences.push(`latest ${R.latest} vs ${D.latest}`);
      if (!p.sameAllowed && !p.allowedIsRenovateMajor) p.differences.push(`allowed ${R.nonMajor} (Renovate non-major) vs ${allowed}${D.note ? ` (${D.note})` : ''}`);
      if (p.sameType === false) p.differences.push(`type ${rType} vs ${D.updateType}`);
    }
    pairs.push(p);
  }
  const both = pairs.filter((p) => p.presence === 'both');
  const compared = both.filter((p) => p.sameLatest !== undefined);
  const summary: CaseSummary = {
    renovateDeps: rBy.size,
    depwardenDeps: dBy.size,
    both: both.length,
    onlyRenovate: pairs.filter((p) => p.presence === 'renovate').length,
    onlyDepwarden: pairs.filter((p) => p.presence === 'depwarden').length,
    outdated: {
      both: pairs.filter((p) => p.outdatedRenovate && p.outdatedDepwarden).length,
      onlyRenovate: pairs.filter((p) => p.outdatedRenovate && !p.outdatedDepwarden).length,
      onlyDepwarden: pairs.filter((p) => !p.outdatedRenovate && p.outdatedDepwarden).length,
    },
    compared: compared.length,
    sameCurrent: compared.filter((p) => p.sameCurrent).length,
    sameLatest: compared.filter((p) => p.sameLatest).length,
    sameAllowed: compared.filter((p) => p.sameAllowed).length,
    allowedIsRenovateMajor: compared.filter((p) => p.allowedIsRenovateMajor).length,
    depwardenPins: compared.filter((p) => p.depwardenPin).length,
    sameType: compared.filter((p) => p.sameType === true).length,
    typed: compared.filter((p) => p.sameType !== undefined).length,
  };
  return { pairs, summary };
}
