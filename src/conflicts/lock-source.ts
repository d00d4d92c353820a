import type { Ecosystem, LockedPackage } from '../model/dependency.ts';
import type { Inventory, Service } from '../model/inventory.ts';
import { satisfies } from '../versioning/constraint.ts';
import { compareVersions } from '../versioning/pep440.ts';
import semver from 'semver';
import { linuxEnvironments, type MarkerEnv } from '../versioning/markers.ts';
import { applies, targetPythons } from './lock-consistency.ts';
import type { PackageSource } from './resolver.ts';

/**
 * A package source built from the locks' own metadata: the versions of a package are every version any lock
 * of the repository holds, and a version's dependencies are the edges its lock records. (Registry-backed
 * sources come with the update engine.) PyPI constraints are read in Poetry's syntax, a superset of PEP 440
 * specifiers; npm ranges with node-semver.
 */
export function lockSource(inv: Inventory, ecosystem: Ecosystem): PackageSource {
  const byName = new Map<string, Map<string, LockedPackage>>();
  for (const s of inv.services) {
    for (const p of s.locked) {
      if (p.ecosystem !== ecosystem || !p.version) continue;
      const m = byName.get(p.normalizedName) ?? new Map<string, LockedPackage>();
      if (!m.has(p.version)) m.set(p.version, p);
      byName.set(p.normalizedName, m);
    }
  }
  const envCache = new Map<string, MarkerEnv[]>();
  const envsOf = (p: LockedPackage): MarkerEnv[] => {
    let e = envCache.get(p.span.file);
    if (!e) {
      const lock = inv.files.get(p.span.file);
      envCache.set(p.span.file, (e = linuxEnvironments(targetPythons(lock?.kind === 'poetry-lock' ? lock.pythonVersions : undefined))));
    }
    return e;
  };
  const order = (a: string, b: string): number => (ecosystem === 'npm' ? (semver.valid(a) && semver.valid(b) ? semver.compare(a, b) : a < b ? -1 : 1) : compareVersions(a, b));
  return {
    versions: (pkg) => [...(byName.get(pkg)?.keys() ?? [])].sort(order),
    dependencies: (pkg, v) => {
      // Marker alternatives of one target (numpy >=1.26 on 3.12+, <1.25 before) become one OR-constraint.
      const byTarget = new Map<string, string[]>();
      for (const e of byName.get(pkg)?.get(v)?.dependencies ?? []) {
        if (e.optional || e.kind === 'peerOptional' || e.markers?.includes('extra')) continue;
        if (e.markers && !applies(e.markers, envsOf(byName.get(pkg)!.get(v)!))) continue; // not on the Linux targets
        byTarget.set(e.normalizedName, [...(byTarget.get(e.normalizedName) ?? []), e.constraint]);
      }
      return [...byTarget].map(([name, cs]) => ({ name, constraint: cs.join(' || ') }));
    },
    allows: (_pkg, constraint, v) => satisfies(ecosystem === 'npm' ? 'npm' : 'poetry', constraint, v) !== false,
  };
}

/** What two (or more) services declare, as requirements that remember which service asked. */
export function serviceRequirements(services: Service[], ecosystem: Ecosystem): { name: string; constraint: string; from: string }[] {
  return services.flatMap((s) =>
    s.dependencies
      .filter((d) => d.ecosystem === ecosystem && !d.dev && !d.optional && d.group !== 'peer' && !(d.source && d.source.type !== 'registry' && d.source.type !== 'legacy'))
      .map((d) => ({ name: d.normalizedName, constraint: d.constraint || '*', from: s.name })),
  );
}
