import path from 'node:path';
import type { Finding } from '../model/finding.ts';
import type { LockedPackage } from '../model/dependency.ts';
import { satisfies } from '../versioning/constraint.ts';
import { isLockData, type UvRequirement } from '../model/files.ts';
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
    // uv: an override-dependency replaces every requirement on its name, so it is what the lock must meet.
    const overrides = new Map<string, UvRequirement[]>();
    if (l.kind === 'uv-lock') for (const r of l.overrides) overrides.set(r.normalizedName, [...(overrides.get(r.normalizedName) ?? []), r]);
    for (const dep of m.dependencies) {
      if (dep.group === 'peer' || !dep.constraint || (dep.source && dep.source.type !== 'registry' && dep.source.type !== 'legacy')) continue;
      const locked = candidates.get(dep.normalizedName);
      if (!locked?.length) continue; // not locked at all: the lock is stale (DW003) or the dep is optional
      const ov = overrides.get(dep.normalizedName);
      if (ov && ov.some((r) => r.sourceKind || !r.specifier)) continue; // overridden by a URL/path, or to "any version"
      const specs = ov ? ov.map((r) => r.specifier) : [dep.constraint];
      const results = locked.flatMap((p) => specs.map((c) => satisfies(ov ? 'pep440' : dep.constraintSyntax, c, p.version)));
      if (results.some((r) => r !== false)) continue; // met, or unreadable (never guess a failure)
      const versions = locked.map((p) => p.version).join(', ');
      const said = ov ? `"${dep.constraint}", overridden to "${specs.join(' | ')}" (override-dependencies),` : `"${dep.constraint}"`;
      out.push(
        finding(ctx, 'DW004', dep.constraintSpan ?? dep.span, `${dep.name} is declared as ${said} but ${l.file} locks ${versions}`, {
          subject: dep.name,
          properties: { constraint: ov ? specs.join(' | ') : dep.constraint, locked: versions },
        }),
      );
    }
    // uv: a constraint-dependency (the workspace root's) narrows whatever requires its name, direct or not.
    if (m.kind === 'pyproject' && l.kind === 'uv-lock' && path.posix.dirname(m.file) === path.posix.dirname(l.file)) {
      for (const c of m.uvConstraints ?? []) {
        // Marker-limited constraints apply to some environments only: not judged offline.
        if (!c.constraint || c.markers || c.source) continue;
        const locked = candidates.get(c.normalizedName);
        if (!locked?.length) continue;
        if (locked.some((p) => satisfies('pep440', c.constraint, p.version) !== false)) continue;
        const versions = locked.map((p) => p.version).join(', ');
        out.push(
          finding(ctx, 'DW004', c.constraintSpan ?? c.span, `${c.name} is constrained to "${c.constraint}" (constraint-dependencies) but ${l.file} locks ${versions}`, {
            subject: c.name,
            properties: { constraint: c.constraint, locked: versions },
          }),
        );
      }
    }
  }
  return out;
};
