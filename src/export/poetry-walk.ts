import type { Dependency, LockedPackage } from '../model/dependency.ts';
import type { PoetryLockData, PyprojectData } from '../model/files.ts';
import { normalizePypiName } from '../util/names.ts';
import { compareVersions, satisfiesSpecifier } from '../versioning/pep440.ts';
import { poetryToPep440 } from '../versioning/poetry-constraint.ts';
import { and, isEmpty, type MarkerSet, markerText, normalizeExtra, notPython, or, parseMarkerSet, pythonConstraint, pythonOnly, withExtras } from './marker-set.ts';

/**
 * Which locked packages a requirements export of a Poetry project contains, and under which marker.
 * Lock 2.1 records each package's groups and markers, so they are read as they are (what poetry-plugin-export
 * does for such locks); older locks are walked from the project's declared dependencies, each edge's marker
 * intersected along the path and the paths united (the plugin's walk, with a different marker simplifier).
 */
export interface ExportSelection {
  groups: string[];
  extras: string[];
}
export interface SelectedPackage {
  pkg: LockedPackage;
  marker: MarkerSet;
  /** The extras the project's requirements ask of it (older locks only; for the `name[extra]` form). */
  features: string[];
}
export class ExportError extends Error {}

/** Lock 2.1 and later carry groups and markers per package. */
export function locksGroupsAndMarkers(lockVersion: string): boolean {
  const [maj, min] = lockVersion.split('.').map(Number);
  return (maj ?? 0) > 2 || ((maj ?? 0) === 2 && (min ?? 0) >= 1);
}

/**
 * Poetry's per-dependency `python = "..."` and `platform = "..."` keys (which the pyproject records do not keep),
 * as marker sets: `group\0name` -> one per specification, in file order (a name may have several).
 */
export type PoetryEnvMarkers = Map<string, MarkerSet[]>;

export function selectPackages(lock: PoetryLockData, project: PyprojectData, poetryEnv: PoetryEnvMarkers, sel: ExportSelection): SelectedPackage[] {
  const projectPython = pythonConstraint(project.requiresPython);
  const extras = new Set(sel.extras.map(normalizeExtra));
  for (const e of sel.extras) if (!Object.keys(project.extras).some((k) => normalizeExtra(k) === normalizeExtra(e))) throw new ExportError(`the project declares no extra named ${e} (declared: ${Object.keys(project.extras).sort().join(', ') || 'none'})`);
  const groups = new Set(sel.groups);
  return locksGroupsAndMarkers(lock.lockVersion) ? fromGroupsAndMarkers(lock, projectPython, groups, extras) : walk(lock, project, poetryEnv, projectPython, groups, extras);
}

function fromGroupsAndMarkers(lock: PoetryLockData, projectPython: MarkerSet, groups: Set<string>, extras: Set<string>): SelectedPackage[] {
  const out: SelectedPackage[] = [];
  for (const pkg of lock.packages) {
    const inGroups = pkg.groups.filter((g) => groups.has(g));
    if (!inGroups.length) continue;
    let marker: MarkerSet;
    if (pkg.markersByGroup) {
      marker = [];
      // A group the package is in without a marker entry means "always" for that group.
      for (const g of inGroups) marker = or(marker, parseMarkerSet(pkg.markersByGroup[g]));
    } else marker = parseMarkerSet(pkg.markers);
    marker = and(withExtras(marker, extras), projectPython);
    if (isEmpty(marker)) continue;
    out.push({ pkg, marker, features: [] });
  }
  return out;
}

interface Requirement {
  name: string;
  constraint: string;
  marker: MarkerSet;
  extras: string[];
  from: string;
}

/** `name (>=1.0)`, `name[x] (>=1) ; marker` as they appear in [package.extras]. */
function extraRequirementName(s: string): string {
  return normalizePypiName(/^\s*([A-Za-z0-9][A-Za-z0-9._-]*)/.exec(s)?.[1] ?? s);
}

const allowsCache = new Map<string, boolean>();
function allows(constraint: string, version: string): boolean {
  const key = `${constraint}\0${version}`;
  let hit = allowsCache.get(key);
  if (hit === undefined) {
    hit = allowsUncached(constraint, version);
    if (allowsCache.size > 50_000) allowsCache.clear();
    allowsCache.set(key, hit);
  }
  return hit;
}
function allowsUncached(constraint: string, version: string): boolean {
  const alts = poetryToPep440(constraint);
  if (!alts) return true; // an unreadable constraint does not choose: the version named by the lock stands
  return alts.some((a) => a === '' || satisfiesSpecifier(version, a, { prereleases: true }));
}

function walk(lock: PoetryLockData, project: PyprojectData, poetryEnv: PoetryEnvMarkers, projectPython: MarkerSet, groups: Set<string>, extras: Set<string>): SelectedPackage[] {
  const byName = new Map<string, LockedPackage[]>();
  for (const p of lock.packages) {
    const l = byName.get(p.normalizedName) ?? [];
    l.push(p);
    byName.set(p.normalizedName, l);
  }
  // Prefer higher versions, as the plugin does when several versions of a name are locked.
  for (const l of byName.values()) l.sort((a, b) => -compareVersions(a.version, b.version));

  const extraNames = new Set<string>();
  for (const [k, names] of Object.entries(project.extras)) if (extras.has(normalizeExtra(k))) for (const n of names) extraNames.add(normalizePypiName(n));

  const queue: Requirement[] = [];
  const nth = new Map<string, number>();
  for (const d of project.dependencies) {
    const envKey = `${groupOf(d)}\0${d.normalizedName}`;
    const index = nth.get(envKey) ?? 0;
    nth.set(envKey, index + 1);
    if (!groups.has(groupOf(d))) continue;
    if (d.optional && groupOf(d) === 'main' && !extraNames.has(d.normalizedName)) continue;
    let marker = and(parseMarkerSet(d.markers), projectPython);
    const env = poetryEnv.get(envKey)?.[index];
    if (env) marker = and(marker, env);
    if (isEmpty(marker)) continue;
    queue.push({ name: d.normalizedName, constraint: d.constraint, marker, extras: d.extras ?? [], from: project.file });
  }

  const result = new Map<string, SelectedPackage>();
  const seen = new Set<string>();
  for (let qi = 0; qi < queue.length; qi++) {
    const req = queue[qi]!;
    const key = `${req.name}\0${req.constraint}\0${req.extras.join(',')}\0${markerText(req.marker)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const candidates = (byName.get(req.name) ?? []).filter((p) => allows(req.constraint, p.version));
    if (!candidates.length) throw new ExportError(`${req.from} requires ${req.name}${req.constraint ? ` ${req.constraint}` : ''}, and ${lock.file} locks no matching version (run \`poetry lock\`)`);
    // Each candidate takes the part of the marker its python-versions allows that a higher version has not taken.
    let remaining = req.marker;
    for (const pkg of candidates) {
      if (isEmpty(remaining)) break;
      const part = and(remaining, pythonConstraint(pkg.pythonVersions));
      if (isEmpty(part)) continue;
      remaining = and(remaining, notPython(pythonConstraint(pkg.pythonVersions)));
      // One line per package and set of extras, as Poetry writes them: `uvicorn` and `uvicorn[standard]` both.
      const feats = [...new Set(req.extras.map(normalizeExtra))].sort();
      const rkey = `${pkg.name}\0${pkg.version}\0${feats.join(',')}`;
      const sel = result.get(rkey) ?? { pkg, marker: [], features: feats };
      sel.marker = or(sel.marker, part);
      result.set(rkey, sel);
      const features = new Set(req.extras.map(normalizeExtra));
      const enabled = new Set<string>();
      for (const [f, reqs] of Object.entries(pkg.extras ?? {})) if (features.has(normalizeExtra(f))) for (const r of reqs) enabled.add(extraRequirementName(r));
      for (const e of pkg.dependencies) {
        if (e.optional && !enabled.has(e.normalizedName)) continue;
        // Extra markers on an edge belong to the package's own extras, already decided by `optional` above.
        const m = and(withExtras(parseMarkerSet(e.markers), features), part);
        if (isEmpty(m)) continue;
        queue.push({ name: e.normalizedName, constraint: e.constraint, marker: m, extras: e.extras ?? [], from: `${pkg.name} ${pkg.version}` });
      }
    }
    // Pythons the project supports where this requirement applies but no locked version does: pip would pick any
    // version there (or, with hashes, refuse the file). Refused here instead.
    const uncovered = and(pythonOnly(remaining), projectPython);
    if (!isEmpty(uncovered)) throw new ExportError(`${req.from} requires ${req.name} where \`${markerText(uncovered)}\`, and no version locked in ${lock.file} supports those Pythons: the export would leave ${req.name} unpinned there (narrow the project's python constraint or relock)`);
  }
  return [...result.values()];
}

const groupOf = (d: Dependency): string => (d.group === 'dev' ? 'dev' : d.group);
