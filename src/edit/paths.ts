import fs from 'node:fs';
import path from 'node:path';
import { EditError } from './edit-error.ts';
import { isInside } from '../util/inside.ts';

/**
 * The one guard every writer of ours goes through (edits, relock outputs, rollback, the changelog): the absolute
 * path to write for a repository-relative `file`. Refused: absolute paths, `..`, and any symbolic link on the way
 * (a directory or the file itself). A link is refused even when it points inside the repository: a committed
 * link is repository content an attacker controls, and writing through it (or replacing it) is never what a
 * dependency edit means.
 */
export function resolveInside(root: string, file: string): string {
  const parts = file.split(/[\\/]/).filter((p) => p !== '' && p !== '.');
  if (path.isAbsolute(file) || parts.includes('..') || !parts.length) throw new EditError(`${file}: edits name repository-relative paths without ..`);
  const realRoot = fs.realpathSync(root);
  let cur = realRoot;
  for (const [i, part] of parts.entries()) {
    cur = path.join(cur, part);
    let st: fs.Stats;
    try {
      st = fs.lstatSync(cur);
    } catch {
      break; // does not exist (yet): nothing below it can be a link
    }
    const shown = parts.slice(0, i + 1).join('/');
    if (st.isSymbolicLink()) {
      let to = '';
      try {
        to = fs.realpathSync(cur);
      } catch {
        to = fs.readlinkSync(cur);
      }
      const outside = !isInside(realRoot, to);
      throw new EditError(`${file}: ${shown} is a symbolic link${outside ? ` to ${to}, outside the repository` : ''}; depwarden does not write through symbolic links`);
    }
    if (i < parts.length - 1 && !st.isDirectory()) throw new EditError(`${file}: ${shown} is not a directory`);
  }
  return path.join(realRoot, ...parts);
}
