import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * The real `git` binary, never a prompt (GIT_TERMINAL_PROMPT=0), errors with git's own message. Update branches
 * are built in a temporary worktree, so the user's working tree and index are never touched, whatever fails.
 */
export class GitError extends Error {}

const IDENTITY = ['-c', 'user.name=depwarden', '-c', 'user.email=depwarden@localhost', '-c', 'commit.gpgsign=false'];

export function git(cwd: string, args: string[], input?: string): string {
  try {
    return execFileSync('git', ['-C', cwd, ...args], {
      encoding: 'utf8',
      input,
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' },
      maxBuffer: 1 << 28,
    }).trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string };
    throw new GitError(`git ${args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? args[0]}: ${gitMessage(err.stderr || err.message)}`);
  }
}

/** git's own first line (the cause; later lines are consequences), and its first fatal/error line when that is another. */
export function gitMessage(stderr: string): string {
  const lines = stderr.split('\n').map((l) => l.trim()).filter(Boolean);
  const first = lines[0] ?? 'failed';
  const error = lines.find((l) => /^(fatal|error):/.test(l));
  return error && error !== first ? `${first} (${error})` : first;
}

export function isGitRepo(root: string): boolean {
  try {
    return git(root, ['rev-parse', '--is-inside-work-tree']) === 'true';
  } catch {
    return false;
  }
}

export function headCommit(root: string): string {
  return git(root, ['rev-parse', 'HEAD']);
}

/** The path of `root` inside its repository ("" at the top), so a worktree finds the same folder. */
export function prefixOf(root: string): string {
  return git(root, ['rev-parse', '--show-prefix']);
}

export interface Worktree {
  dir: string;
  /** The repository folder inside the worktree that corresponds to the caller's root. */
  root: string;
  commit(files: string[], message: string): string;
  remove(): void;
}

/**
 * A detached worktree at `base`. `commit` stages the given paths (relative to `root`) and commits; the caller
 * then points a branch at the result. `remove` deletes the worktree whatever state it is in.
 */
export function openWorktree(root: string, base: string): Worktree {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-update-'));
  git(root, ['worktree', 'add', '--detach', '-q', dir, base]);
  const inner = path.join(dir, prefixOf(root));
  return {
    dir,
    root: inner,
    commit(files, message) {
      git(inner, ['add', '-A', '--', ...files]);
      git(inner, [...IDENTITY, 'commit', '-q', '--no-verify', '-F', '-'], message);
      return git(inner, ['rev-parse', 'HEAD']);
    },
    remove() {
      try {
        git(root, ['worktree', 'remove', '--force', dir]);
      } catch {
        rmSync(dir, { recursive: true, force: true });
        git(root, ['worktree', 'prune']);
      }
    },
  };
}

/** Points `branch` at `commit` (creating or moving it), never touching the checked-out branch. */
export function setBranch(root: string, branch: string, commit: string): void {
  const current = git(root, ['rev-parse', '--abbrev-ref', 'HEAD']);
  if (current === branch) throw new GitError(`${branch} is checked out here; switch to the base branch before updating`);
  git(root, ['branch', '-f', branch, commit]);
}

export function branchCommit(root: string, branch: string): string | undefined {
  try {
    return git(root, ['rev-parse', '--verify', '-q', `refs/heads/${branch}`]);
  } catch {
    return undefined;
  }
}

/** Tree of a commit, to tell whether a re-run produced the same content. */
export function treeOf(root: string, commit: string): string {
  return git(root, ['rev-parse', `${commit}^{tree}`]);
}

/**
 * Before any work: the remote exists and answers (`git ls-remote`, which also proves the credentials for it), so a
 * run does not build every branch and then fail at the first push. Throws GitError with git's own first line.
 */
export function checkRemote(root: string, remote: string): void {
  try {
    git(root, ['remote', 'get-url', remote]);
  } catch {
    throw new GitError(`git remote: no remote named "${remote}" in ${root} (git remote -v lists them; --remote picks one)`);
  }
  git(root, ['ls-remote', '--heads', '-q', remote]);
}

export function push(root: string, remote: string, branch: string): void {
  git(root, ['push', '-q', '--force-with-lease', remote, `refs/heads/${branch}:refs/heads/${branch}`]);
}
