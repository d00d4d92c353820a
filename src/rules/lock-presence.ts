import path from 'node:path';
import { fileSpan } from '../model/source.ts';
import { finding, type Rule } from './context.ts';
import { allUnits } from './units.ts';

/** Locks of tools depwarden does not parse yet still count as "a lock exists". */
const OTHER_LOCKS = { PyPI: ['uv.lock', 'pdm.lock', 'Pipfile.lock'], npm: ['yarn.lock', 'pnpm-lock.yaml', 'bun.lockb', 'bun.lock'] };

/** DW002: a manifest that declares dependencies has a lock. */
export const lockPresenceRule: Rule = (ctx) => {
  const out = [];
  for (const u of allUnits(ctx.inv)) {
    if (u.lock) continue;
    const d = u.manifestData;
    const deps = d.kind === 'pyproject' || d.kind === 'package-json' ? d.dependencies : d.kind === 'requirements' ? d.requirements : [];
    if (deps.length === 0) continue;
    if (d.kind === 'requirements' && !u.manifest.endsWith('.in')) continue; // an unpinned .txt is DW001's finding
    const dir = path.posix.dirname(u.manifest);
    const other = OTHER_LOCKS[u.ecosystem].find((l) => ctx.inv.allFiles.has(dir === '.' ? l : `${dir}/${l}`));
    if (other) continue;
    const expected = d.kind === 'pyproject' ? 'poetry.lock' : d.kind === 'package-json' ? 'package-lock.json' : path.posix.basename(u.manifest).replace(/\.in$/, '.txt');
    out.push(finding(ctx, 'DW002', fileSpan(u.manifest), `${u.manifest} declares ${deps.length} dependencies but has no lock file (${expected})`, { subject: u.manifest }));
  }
  return out;
};
