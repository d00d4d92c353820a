import type { Finding } from '../model/finding.ts';
import type { LockedPackage } from '../model/dependency.ts';
import { satisfies } from '../versioning/constraint.ts';
import { isLockData } from '../model/files.ts';
import { finding, type Rule } from './context.ts';
import { allUnits } from './units.ts';

/** DW004: each direct constraint is met by the version its lock holds. */
export const lockConstraintsRule: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const u of allUnits(ctx.inv)) {
    const m = u.manifestData;
    const l = u.lockData;
    if (!l || u.manifest === u.lock) continue;
    if (m.kind !== 'pyproject' && m.kind !== 'package-json' && m.kind !== 'pipfile') continue;
    const candidates = new Map<string, LockedPackage[]>();
    for (const p of isLockData(l) ? l.packages : []) {
      // npm: a direct dependency is the top-level install; nested copies belong to other packages.
      if (l.kind === 'package-lock' && p.path !== undefined && p.path !== `node_modules/${p.name}`) continue;
      const list = candidates.get(p.normalizedName) ?? [];
      list.push(p);
      candidates.set(p.normalizedName, list);
    }
    for (const dep of m.dependencies) {
      if (dep.group === 'peer' || !dep.constraint || (dep.source && dep.source.type !== 'registry' && dep.source.type !== 'legacy')) continue;
      const locked = candidates.get(dep.normalizedName);
      if (!locked?.length) continue; // not locked at all: the lock is stale (DW003) or the dep is optional
      const results = locked.map((p) => satisfies(dep.constraintSyntax, dep.constraint, p.version));
      if (results.some((r) => r !== false)) continue; // met, or unreadable (never guess a failure)
      const versions = locked.map((p) => p.version).join(', ');
      out.push(
        finding(ctx, 'DW004', dep.constraintSpan ?? dep.span, `${dep.name} is declared as "${dep.constraint}" but ${l.file} locks ${versions}`, {
          subject: dep.name,
          properties: { constraint: dep.constraint, locked: versions },
        }),
      );
    }
  }
  return out;
};
