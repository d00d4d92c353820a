import path from 'node:path';
import type { LockedPackage } from '../model/dependency.ts';
import { poetrySatisfies } from './versioning.ts';

/**
 * The dependency graph of one lock: each recorded edge resolved to the locked package it installs.
 * npm: Node's resolution (the nearest node_modules/<name> walking up from the dependent's path).
 * Poetry: the package of that name; when several versions are locked, the one the constraint allows (the one
 * locked under the edge's markers first).
 * pnpm, Yarn and uv: the package the lock resolved the edge to (`LockedEdge.target`).
 * Edges that resolve to nothing (optional, platform-specific, or not locked) are left out and counted.
 */
export function lockGraph(packages: LockedPackage[]): { edges: Map<LockedPackage, LockedPackage[]>; unresolved: number } {
  const edges = new Map<LockedPackage, LockedPackage[]>();
  let unresolved = 0;
  const byPath = new Map<string, LockedPackage>();
  const byName = new Map<string, LockedPackage[]>();
  const byId = new Map<string, LockedPackage>();
  for (const p of packages) {
    byId.set(`${p.normalizedName}@${p.version}`, p);
    if (p.path !== undefined) byPath.set(p.path, p);
    const same = byName.get(p.normalizedName);
    if (same) same.push(p);
    else byName.set(p.normalizedName, [p]);
  }
  for (const p of packages) {
    const targets = new Set<LockedPackage>();
    for (const e of p.dependencies) {
      let t: LockedPackage | undefined;
      if (e.target !== undefined) t = byId.get(e.target); // pnpm, Yarn, uv: the lock says which one
      else if (p.ecosystem === 'npm' && p.path !== undefined) {
        let dir = p.path;
        for (;;) {
          const cand = byPath.get(`${dir ? `${dir}/` : ''}node_modules/${e.name}`);
          if (cand) {
            t = cand;
            break;
          }
          if (!dir) break;
          // Up one package level: strip the last "node_modules/<name>" (scoped names have two segments).
          const cut = dir.lastIndexOf('node_modules/');
          dir = cut <= 0 ? '' : dir.slice(0, cut - 1);
        }
        // A link entry resolves to its target folder's entry.
        if (t?.link && t.resolved) t = byPath.get(path.posix.normalize(t.resolved)) ?? t;
      } else {
        const cands = byName.get(e.normalizedName) ?? [];
        if (cands.length <= 1) t = cands[0];
        else {
          // Several versions locked (split by markers): the one the constraint allows, preferring the one
          // locked under the edge's own markers; never none when the lock names the package.
          const allowed = cands.filter((c) => poetrySatisfies(e.constraint, c.version) !== false);
          t = (e.markers ? allowed.find((c) => c.markers === e.markers) : undefined) ?? allowed[0] ?? cands[0];
        }
      }
      if (t && t !== p) targets.add(t);
      else if (!t) unresolved++;
    }
    edges.set(p, [...targets]);
  }
  return { edges, unresolved };
}
