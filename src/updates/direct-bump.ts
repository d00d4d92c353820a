import semver from 'semver';
import type { LockedPackage } from '../model/dependency.ts';
import type { PackageReleases } from '../model/update.ts';

/**
 * `updates.transitiveFix: bump`: a security fix the declared ranges forbid is reached by moving the direct
 * dependency that holds it back to the smallest version whose own requirement admits the fix, instead of forcing
 * the package with an override. npm only: the registry's packument gives every version's `dependencies`.
 */

/** Lock packages installed at the top level whose edge to `name` excludes `fixed`: the requirers holding it back. */
export function holdersOf(lock: LockedPackage[], name: string, fixed: string): { pkg: LockedPackage; range: string }[] {
  const out: { pkg: LockedPackage; range: string }[] = [];
  for (const p of lock) {
    if (p.link || !p.path) continue;
    for (const e of p.dependencies) {
      if (e.normalizedName !== name || e.kind === 'peer' || e.kind === 'peerOptional') continue;
      if (semver.validRange(e.constraint) && !semver.intersects(e.constraint, `>=${fixed}`)) out.push({ pkg: p, range: e.constraint });
    }
  }
  return out.sort((a, b) => (a.pkg.path! < b.pkg.path! ? -1 : 1));
}

/**
 * The smallest release of `parent` above `current` whose requirement on `name` admits a version at or above
 * `fixed` (or that no longer requires it). Prereleases and deprecated releases are skipped unless `current` is one.
 */
export function smallestFixingBump(parent: PackageReleases, current: string, name: string, fixed: string): { version: string; range?: string } | undefined {
  const pre = semver.prerelease(current) !== null;
  for (const r of parent.releases) {
    if (!semver.valid(r.version) || semver.lte(r.version, current) || r.deprecated || r.yanked) continue;
    if (!pre && semver.prerelease(r.version) !== null) continue;
    // Packuments (full and abbreviated) list every dependency; a release without the field has none.
    const range = r.dependencies?.[name];
    if (range === undefined) return { version: r.version };
    if (semver.validRange(range) && semver.intersects(range, `>=${fixed}`)) return { version: r.version, range };
  }
  return undefined;
}
