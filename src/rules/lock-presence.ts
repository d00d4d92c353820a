import path from 'node:path';
import { fileSpan } from '../model/source.ts';
import { finding, type Rule } from './context.ts';
import { allUnits } from './units.ts';

/**
 * Locks of other tools: the manifest is not "missing a lock". When depwarden cannot read that lock, DW012
 * reports it (naming this manifest as unverified), so the manifest is never counted as locked either.
 */
const OTHER_LOCKS = { PyPI: ['pdm.lock'], npm: ['bun.lockb', 'bun.lock'] };

/** DW002: a manifest that declares dependencies has a lock. */
export const lockPresenceRule: Rule = (ctx) => {
  const out = [];
  for (const u of allUnits(ctx.inv)) {
    if (u.lock) continue;
    const d = u.manifestData;
    const deps = d.kind === 'pyproject' || d.kind === 'package-json' || d.kind === 'pipfile' ? d.dependencies : d.kind === 'requirements' ? d.requirements : [];
    if (deps.length === 0) continue;
    if (d.kind === 'requirements' && !u.manifest.endsWith('.in')) continue; // an unpinned .txt is DW001's finding
    const dir = path.posix.dirname(u.manifest);
    const other = OTHER_LOCKS[u.ecosystem].find((l) => ctx.inv.allFiles.has(dir === '.' ? l : `${dir}/${l}`));
    if (other) continue;
    // The lock is there but could not be parsed: its DW000 says so; "has no lock file" would be false.
    const sib = (name: string): string => (dir === '.' ? name : `${dir}/${name}`);
    const candidates = d.kind === 'pyproject' ? [sib('poetry.lock'), sib('uv.lock')] : d.kind === 'pipfile' ? [sib('Pipfile.lock')] : d.kind === 'package-json' ? [sib('package-lock.json'), sib('npm-shrinkwrap.json'), sib('pnpm-lock.yaml'), sib('yarn.lock')] : [u.manifest.replace(/\.in$/, '.txt')];
    if (candidates.some((c) => ctx.inv.kinds.has(c) && !ctx.inv.files.has(c))) continue;
    const expected = d.kind === 'pyproject' ? (d.hasPoetrySection ? 'poetry.lock' : 'poetry.lock or uv.lock') : d.kind === 'pipfile' ? 'Pipfile.lock' : d.kind === 'package-json' ? 'package-lock.json, pnpm-lock.yaml or yarn.lock' : path.posix.basename(u.manifest).replace(/\.in$/, '.txt');
    out.push(finding(ctx, 'DW002', fileSpan(u.manifest), `${u.manifest} declares ${deps.length} dependencies but has no lock file (${expected})`, { subject: u.manifest }));
  }
  return out;
};
