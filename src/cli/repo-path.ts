import { statSync } from 'node:fs';
import path from 'node:path';
import { UserError } from './context.ts';

/** Resolves the [path] argument of a command to an existing directory, or says plainly what is wrong. */
export function repoPath(cwd: string, arg: string | undefined): string {
  const abs = path.resolve(cwd, arg ?? '.');
  let st;
  try {
    st = statSync(abs);
  } catch {
    throw new UserError(`no such directory: ${arg ?? '.'}`);
  }
  if (!st.isDirectory()) throw new UserError(`not a directory: ${arg ?? '.'} (give the repository folder)`);
  return abs;
}
