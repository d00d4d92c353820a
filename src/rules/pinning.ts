import type { Dependency } from '../model/dependency.ts';
import type { ParsedData } from '../model/files.ts';
import { lockedVersion } from '../inventory/locked-version.ts';
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

/** The exact pin as the manifest itself writes it: what to paste. */
function pinIn(kind: ParsedData['kind'], dep: Dependency, version: string): string {
  if (kind === 'package-json') return `"${dep.name}": "${version}"`;
  if (kind === 'requirements') return `${dep.name}==${version}`;
  if (kind === 'pipfile') return `${dep.name} = "==${version}"`;
  // pyproject: Poetry tables take `name = "1.2.3"`; PEP 621 / dependency-group lists take PEP 508 strings.
  return dep.constraintSyntax === 'poetry' ? `${dep.name} = "${version}"` : `"${dep.name}==${version}"`;
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
      const locked = lockedVersion(ctx.inv, u, dep);
      out.push(
        finding(ctx, 'DW001', dep.constraintSpan ?? dep.span, `${dep.name} is declared with ${shown}, not one exact version`, {
          subject: dep.name,
          ...(locked ? { hint: `Pin it to the version ${u.lock} holds: ${pinIn(d.kind, dep, locked)}.` } : {}),
          properties: { group: dep.group, constraint: dep.constraint },
        }),
      );
    }
  }
  return out;
};
