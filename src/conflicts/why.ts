import type { LockedPackage } from '../model/dependency.ts';
import type { Inventory } from '../model/inventory.ts';
import { lockGraph } from '../sbom/graph.ts';
import { normalizeName } from '../util/names.ts';

export interface WhyChain {
  service: string;
  lock: string;
  /** From a direct dependency (declared in a manifest) down to the package, with each edge's constraint. */
  steps: { name: string; version: string; constraint?: string }[];
  /** The manifest's own constraint for the first step, when it is a direct dependency. */
  declared?: string;
}

/**
 * Who requires a package: per service and lock, the shortest chains from each direct dependency to it
 * (breadth-first over the lock's resolved edges, reversed). A package nobody requires is reported as a root.
 */
export function why(inv: Inventory, pkgName: string, maxChains = 5): WhyChain[] {
  const out: WhyChain[] = [];
  for (const s of inv.services) {
    for (const lock of [...new Set(s.locked.map((p) => p.span.file))].sort()) {
      const pkgs = s.locked.filter((p) => p.span.file === lock);
      const targets = pkgs.filter((p) => p.normalizedName === normalizeName(p.ecosystem, pkgName) || p.name === pkgName);
      if (targets.length === 0) continue;
      const { edges } = lockGraph(pkgs);
      const parents = new Map<LockedPackage, { from: LockedPackage; constraint: string }[]>();
      for (const [from, tos] of edges) {
        for (const t of tos) {
          const c = from.dependencies.find((e) => e.normalizedName === t.normalizedName)?.constraint ?? '';
          parents.set(t, [...(parents.get(t) ?? []), { from, constraint: c }]);
        }
      }
      const declared = new Map(s.dependencies.map((d) => [d.normalizedName, d.constraint]));
      for (const target of targets) {
        // BFS upwards from the target until a direct dependency (or a package nobody requires).
        const queue: { pkg: LockedPackage; path: WhyChain['steps'] }[] = [{ pkg: target, path: [{ name: target.name, version: target.version }] }];
        const seen = new Set<LockedPackage>([target]);
        let found = 0;
        while (queue.length && found < maxChains) {
          const { pkg, path } = queue.shift()!;
          const ps = parents.get(pkg) ?? [];
          if (declared.has(pkg.normalizedName) || ps.length === 0) {
            out.push({ service: s.name, lock, steps: path, ...(declared.has(pkg.normalizedName) ? { declared: declared.get(pkg.normalizedName)! } : {}) });
            found++;
            if (declared.has(pkg.normalizedName) && ps.length === 0) continue;
            if (declared.has(pkg.normalizedName)) continue;
          }
          for (const { from, constraint } of ps) {
            if (seen.has(from)) continue;
            seen.add(from);
            const [first, ...rest] = path;
            queue.push({ pkg: from, path: [{ name: from.name, version: from.version }, { ...first!, constraint }, ...rest] });
          }
        }
      }
    }
  }
  return out;
}

export function renderWhy(pkg: string, chains: WhyChain[]): string {
  if (chains.length === 0) return `${pkg} is not locked in any service.\n`;
  const lines: string[] = [];
  for (const c of chains) {
    const head = c.steps[0]!;
    const chain = c.steps.map((st, i) => (i === 0 ? `${st.name} ${st.version}` : `${st.name} ${st.version} (as ${st.constraint || '*'})`)).join(' -> ');
    lines.push(`${c.service}  ${c.lock}: ${c.declared !== undefined ? `declares ${head.name} ${c.declared || '(any)'}: ` : c.steps.length === 1 ? 'not required by anything (a lock root): ' : ''}${chain}`);
  }
  return `${lines.join('\n')}\n`;
}
