import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { CONFIG_FILES } from '../config/load.ts';
import { uncoveredFiles } from '../discover/coverage.ts';
import { walkEnters } from '../discover/walk.ts';
import type { Inventory } from '../model/inventory.ts';
import { printable } from '../report/printable.ts';
import { UserError } from './context.ts';

/**
 * Resolves the [path] argument of a command to the repository it is in, or says plainly what is wrong.
 * As git does, a folder inside a repository means that repository: the nearest folder, from the path upwards,
 * that holds a depwarden.yaml (or .yml / dotted) or a .git (folder, or file in a worktree). So running inside
 * services/web uses the root's config and the real service names. Without either marker, the path itself.
 * `note` hears where the root was found when it is not the path given.
 */
export function repoPath(cwd: string, arg: string | undefined, note?: (line: string) => void): string {
  const abs = path.resolve(cwd, arg ?? '.');
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UserError(`no such directory: ${arg ?? '.'}`);
  }
  if (!st.isDirectory()) throw new UserError(`not a directory: ${arg ?? '.'} (give the repository folder)`);
  const root = findRepositoryRoot(abs);
  if (root !== abs && note) note(`using the repository at ${printable(root, { oneLine: true })} (${markerOf(root)}), which contains ${arg ?? '.'}`);
  return root;
}

/** The repository marker a folder holds: a config file name or ".git", else undefined. */
function markerOf(dir: string): string | undefined {
  for (const name of [...CONFIG_FILES, '.git']) if (existsSync(path.join(dir, name))) return name;
  return undefined;
}

/**
 * The nearest folder from `dir` upwards that is a repository root (see repoPath), else `dir` itself. A root whose
 * walk would not enter `dir` (ignored by its .gitignore, or under node_modules and the like) does not contain it:
 * then `dir` is its own repository, so a scratch clone inside another checkout is scanned as itself.
 */
export function findRepositoryRoot(dir: string): string {
  for (let d = dir; ; ) {
    if (markerOf(d)) return d === dir || walkEnters(d, path.relative(d, dir)) ? d : dir;
    const up = path.dirname(d);
    if (up === d) return dir;
    d = up;
  }
}

/**
 * An empty or wrong folder must not pass as "no findings" (a typo'd path in CI would be green): when the
 * walk found nothing depwarden reads — no service, no workflow, no compose file — and the folder has no
 * depwarden.yaml either (a config says "this is a depwarden repository", e.g. one that only keeps governance
 * records), the command stops with exit 2 and says what it saw.
 */
export function requireSomething(inv: Inventory, configFile?: string): void {
  if (inv.services.length > 0 || inv.kinds.size > 0 || configFile !== undefined) return;
  const unread = uncoveredFiles(inv.allFiles, inv.kinds).map((u) => printable(u.file, { oneLine: true }));
  const seen = unread.length
    ? `it holds only dependency files depwarden does not read: ${unread.slice(0, 5).join(', ')}${unread.length > 5 ? ', …' : ''}`
    : inv.allFiles.size === 0
      ? 'it holds no files (after .gitignore and `ignore:`)'
      : `none of its ${inv.allFiles.size} files is a Dockerfile, compose file, workflow, manifest or lock depwarden reads`;
  throw new UserError(`no services found in ${printable(inv.root, { oneLine: true })}: ${seen}. Is the path right? (see \`depwarden scan\` and docs/cli.md)`);
}
