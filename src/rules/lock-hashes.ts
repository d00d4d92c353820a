import type { Finding } from '../model/finding.ts';
import type { LockedPackage } from '../model/dependency.ts';
import { requirementsAsLocked } from '../inventory/build.ts';
import { isFullyPinned } from '../inventory/services.ts';
import { fileSpan } from '../model/source.ts';
import { isLockData } from '../model/files.ts';
import { finding, type Rule } from './context.ts';

/** Packages that cannot carry an artifact hash: the repository's own code, git checkouts, workspace links. */
function hashless(p: LockedPackage): boolean {
  if (p.link || p.workspace || p.bundled) return true;
  const t = p.source?.type;
  if (t === 'directory' || t === 'git') return true;
  if (p.ecosystem === 'npm' && p.resolved && /^(git\+|git:|github:|file:)/.test(p.resolved)) return true;
  return false;
}

/** DW005: every locked package carries a hash. One finding per lock, naming the packages. */
export const lockHashesRule: Rule = (ctx) => {
  const out: Finding[] = [];
  for (const d of ctx.inv.files.values()) {
    let pkgs: LockedPackage[];
    if (isLockData(d)) pkgs = d.packages;
    // A pinned *.in is pip-compile's input, not a lock: its hashes live in the compiled *.txt.
    else if (d.kind === 'requirements' && !d.file.endsWith('.in') && isFullyPinned(d)) pkgs = requirementsAsLocked(d);
    else continue;
    const missing = pkgs.filter((p) => p.hashes.length === 0 && !p.integrity && !hashless(p));
    if (missing.length === 0) continue;
    const names = [...new Set(missing.map((p) => `${p.name}@${p.version}`))].sort();
    out.push(
      finding(ctx, 'DW005', missing.length === 1 ? missing[0]!.span : fileSpan(d.file), `${missing.length} of ${pkgs.length} packages locked in ${d.file} have no hash: ${names.slice(0, 5).join(', ')}${names.length > 5 ? ', …' : ''}`, {
        subject: d.file,
        detail: names.join('\n'),
        properties: { missing: missing.length, total: pkgs.length },
      }),
    );
  }
  return out;
};
