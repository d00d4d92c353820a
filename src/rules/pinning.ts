import type { Dependency } from '../model/dependency.ts';
import { isExactPin } from '../versioning/constraint.ts';
import { finding, type Rule } from './context.ts';
import { allUnits } from './units.ts';

const SHA = /^[0-9a-f]{40}$/i;

/** Sources that are pinned by what they are, not by a version constraint. */
function pinnedBySource(d: Dependency): boolean {
  const s = d.source;
  if (!s) return false;
  switch (s.type) {
    case 'directory':
    case 'file':
      return true; // the repository's own code: versioned with it
    case 'url':
      return true; // one artifact; the lock records its hash (DW005 checks that)
    case 'git':
      return SHA.test(s.reference ?? '') || SHA.test(s.resolvedReference ?? '');
    default:
      return false;
  }
}

/** DW001: every direct dependency declared with one exact version. */
export const pinningRule: Rule = (ctx) => {
  const out = [];
  for (const u of allUnits(ctx.inv)) {
    const d = u.manifestData;
    const deps = d.kind === 'pyproject' || d.kind === 'package-json' || d.kind === 'pipfile' ? d.dependencies : d.kind === 'requirements' ? d.requirements : [];
    for (const dep of deps) {
      if (dep.group === 'peer') continue; // peer ranges state compatibility, they install nothing
      if (pinnedBySource(dep)) continue;
      if (dep.constraintSyntax !== 'none' && isExactPin(dep.constraintSyntax, dep.constraint)) continue;
      const shown = dep.constraint === '' ? 'no version' : `"${dep.constraint}"`;
      out.push(
        finding(ctx, 'DW001', dep.constraintSpan ?? dep.span, `${dep.name} is declared with ${shown}, not one exact version`, {
          subject: dep.name,
          properties: { group: dep.group, constraint: dep.constraint },
        }),
      );
    }
  }
  return out;
};
