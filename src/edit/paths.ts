import fs from 'node:fs';
import path from 'node:path';
import { EditError } from './edit-error.ts';

/**
 * The absolute path to write for a repository-relative `file`: inside `root`, with symlinks followed (so a
 * linked file is updated, not replaced by a copy) but never to a target outside the repository.
 */
export function resolveInside(root: string, file: string): string {
  if (path.isAbsolute(file) || file.split(/[\\/]/).includes('..')) throw new EditError(`${file}: edits name repository-relative paths without ..`);
  const realRoot = fs.realpathSync(root);
  const abs = path.join(realRoot, file);
  let target = abs;
  try {
    target = fs.realpathSync(abs);
  } catch {
    // Does not exist (yet): its parent must still be inside.
    const parent = fs.existsSync(path.dirname(abs)) ? fs.realpathSync(path.dirname(abs)) : path.dirname(abs);
    target = path.join(parent, path.basename(abs));
  }
  const rel = path.relative(realRoot, target);
  if (rel.startsWith('..') || path.isAbsolute(rel)) throw new EditError(`${file}: resolves outside the repository (${target})`);
  return target;
}
