import { realpathSync } from 'node:fs';
import path from 'node:path';

/** Whether the real path `target` lies inside the real path `realRoot` (a repository). */
export function isInside(realRoot: string, target: string): boolean {
  const rel = path.relative(realRoot, target);
  return !rel.startsWith('..') && !path.isAbsolute(rel);
}

/**
 * The real path of a repository file that is read only from inside the repository (config, triage): a link to
 * nothing is `dangling`, a link out of the repository is `outside` (with where it leads). Never reads the file.
 */
export function realPathInside(root: string, file: string): { real: string } | { problem: 'dangling' } | { problem: 'outside'; real: string } {
  let real: string;
  let realRoot: string;
  try {
    real = realpathSync(path.join(root, file));
    realRoot = realpathSync(root);
  } catch {
    return { problem: 'dangling' };
  }
  return isInside(realRoot, real) ? { real } : { problem: 'outside', real };
}
