import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, rmSync, statSync } from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { GitError, gitMessage } from '../publish/git.ts';
import type { Store } from '../store/store.ts';
import { redactSecrets } from '../util/redact.ts';
import type { RegisteredRepo } from './feature.ts';

/**
 * The registered repositories (`depwarden repo add`): a local path is read where it is; a git URL is cloned into
 * each server's data dir (`<data>/repos/<name>`) and fetched before a job reads it, so replicas on different
 * machines share the registration, not the checkout. Credentials come from git's own places (credential helpers,
 * ~/.netrc, ssh keys); user-info in a URL is stripped before anything is stored or logged.
 */

const run = promisify(execFile);

/** Async `git` (a server must not block its event loop on a fetch), never prompting, with git's own message on failure. */
export async function gitAsync(cwd: string, args: string[], timeoutMs = 300_000): Promise<string> {
  try {
    const r = await run('git', ['-C', cwd, ...args], { encoding: 'utf8', timeout: timeoutMs, maxBuffer: 1 << 26, env: { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_OPTIONAL_LOCKS: '0' } });
    return r.stdout.trim();
  } catch (e) {
    const err = e as { stderr?: string; message: string; killed?: boolean };
    const verb = args.find((a) => !a.startsWith('-') && !a.includes('=')) ?? args[0];
    throw new GitError(`git ${verb}: ${redactSecrets(err.killed ? `timed out after ${timeoutMs / 1000} s` : gitMessage(err.stderr || err.message))}`);
  }
}

const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/;

export function validRepoName(name: string): boolean {
  return NAME.test(name) && !name.includes('..');
}

/** Is `spec` a git URL (scheme://… or scp-like user@host:path) rather than a local path? */
export function isGitUrl(spec: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(spec) || /^[^/\s@]+@[^/\s:]+:/.test(spec);
}

/** The URL without user-info (`https://user:token@host/x` → `https://host/x`); scp-like `git@host:x` keeps its user (no secret). */
export function stripUserinfo(url: string): { url: string; stripped: boolean } {
  const m = /^([a-z][a-z0-9+.-]*:\/\/)([^/@]*@)?(.*)$/i.exec(url);
  if (!m) return { url, stripped: false };
  if (!m[2]) return { url, stripped: false };
  // ssh://git@host is a user name, not a secret; anything with a password, or any user on http(s), is dropped.
  if (/^ssh:/i.test(m[1]!) && !m[2].includes(':')) return { url, stripped: false };
  return { url: `${m[1]}${m[3]}`, stripped: true };
}

interface RepoRow {
  name: string;
  path: string | null;
  remote: string | null;
  branch: string | null;
  webhook_secret_env: string | null;
  added: string | Date;
  last_commit: string | null;
}

export interface RepoRecord extends RegisteredRepo {
  added: string;
  lastCommit: string | null;
  /** Where the checkout comes from: `path` (read in place) or `clone` (cloned from `remote` into the data dir). */
  source: 'path' | 'clone';
}

export function cloneDir(dataDir: string, name: string): string {
  return path.join(dataDir, 'repos', name);
}

function toRecord(r: RepoRow, dataDir: string): RepoRecord {
  return {
    name: r.name,
    root: r.path ?? cloneDir(dataDir, r.name),
    branch: r.branch,
    remote: r.remote,
    webhookSecretEnv: r.webhook_secret_env,
    added: new Date(r.added).toISOString(),
    lastCommit: r.last_commit,
    source: r.path ? 'path' : 'clone',
  };
}

export async function listRepos(store: Store, dataDir: string): Promise<RepoRecord[]> {
  return (await store.query<RepoRow>('SELECT * FROM repos ORDER BY name')).map((r) => toRecord(r, dataDir));
}

export async function getRepo(store: Store, dataDir: string, name: string): Promise<RepoRecord | undefined> {
  const r = (await store.query<RepoRow>('SELECT * FROM repos WHERE name = $1', [name]))[0];
  return r ? toRecord(r, dataDir) : undefined;
}

export class RepoInputError extends Error {}

export interface AddRepoInput {
  /** A local path (absolute) or a git URL. */
  spec: string;
  name?: string;
  branch?: string;
  webhookSecretEnv?: string;
}

/** The repository as it will be stored: validated, URL stripped of credentials, path made absolute and checked. */
export function normaliseRepo(input: AddRepoInput, cwd: string): { name: string; path: string | null; remote: string | null; branch: string | null; webhookSecretEnv: string | null; notes: string[] } {
  const notes: string[] = [];
  let p: string | null = null;
  let remote: string | null = null;
  if (isGitUrl(input.spec)) {
    const s = stripUserinfo(input.spec);
    if (s.stripped) notes.push('credentials in the URL were not stored: configure them where git finds them (a credential helper, ~/.netrc or an ssh key)');
    remote = s.url;
  } else {
    p = path.resolve(cwd, input.spec);
    if (!existsSync(p) || !statSync(p).isDirectory()) throw new RepoInputError(`${p} is not a directory`);
  }
  const derived = (remote ? remote.replace(/\.git$/, '').split(/[/:]/).at(-1) : path.basename(p!)) ?? '';
  const name = input.name ?? derived.replace(/[^A-Za-z0-9._-]+/g, '-');
  if (!validRepoName(name)) throw new RepoInputError(`invalid repository name ${JSON.stringify(name)}: letters, digits, '.', '_' and '-' (give one with --name)`);
  if (input.branch !== undefined && !/^[A-Za-z0-9._/-]{1,200}$/.test(input.branch)) throw new RepoInputError(`invalid branch name ${JSON.stringify(input.branch)}`);
  if (input.webhookSecretEnv !== undefined && !/^[A-Z_][A-Z0-9_]*$/.test(input.webhookSecretEnv)) throw new RepoInputError(`invalid environment variable name ${JSON.stringify(input.webhookSecretEnv)}`);
  if (p && !remote) {
    // A local checkout's own remote is recorded (for links and webhooks), without credentials.
    remote = null;
  }
  return { name, path: p, remote, branch: input.branch ?? null, webhookSecretEnv: input.webhookSecretEnv ?? null, notes };
}

export async function insertRepo(store: Store, r: ReturnType<typeof normaliseRepo>): Promise<boolean> {
  const rows = await store.query('INSERT INTO repos (name, path, remote, branch, webhook_secret_env) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (name) DO NOTHING RETURNING name', [r.name, r.path, r.remote, r.branch, r.webhookSecretEnv]);
  return rows.length === 1;
}

export async function removeRepo(store: Store, dataDir: string, name: string): Promise<boolean> {
  const rows = await store.query('DELETE FROM repos WHERE name = $1 RETURNING name', [name]);
  if (rows.length) rmSync(cloneDir(dataDir, name), { recursive: true, force: true });
  return rows.length === 1;
}

/**
 * Brings the checkout up to date and answers the commit a job reads: a clone is created or fetched (the branch,
 * else the remote's default) and its work tree reset to it; a local path is read as it is, at its HEAD (or the
 * named branch's commit when it has one).
 */
export async function syncCheckout(repo: RepoRecord): Promise<string> {
  if (repo.source === 'clone') {
    const dir = repo.root;
    if (!existsSync(path.join(dir, '.git'))) {
      rmSync(dir, { recursive: true, force: true });
      mkdirSync(path.dirname(dir), { recursive: true });
      await gitAsync(path.dirname(dir), ['clone', '--quiet', '--no-tags', ...(repo.branch ? ['--branch', repo.branch] : []), '--', repo.remote!, dir]);
    } else {
      await gitAsync(dir, ['fetch', '--quiet', '--no-tags', 'origin', repo.branch ?? 'HEAD']);
      await gitAsync(dir, ['reset', '--quiet', '--hard', 'FETCH_HEAD']);
      await gitAsync(dir, ['clean', '-qfdx']);
    }
    return gitAsync(dir, ['rev-parse', 'HEAD']);
  }
  if (!existsSync(repo.root)) throw new RepoInputError(`${repo.root} does not exist any more`);
  try {
    return await gitAsync(repo.root, ['rev-parse', repo.branch ? `refs/heads/${repo.branch}` : 'HEAD']);
  } catch (e) {
    // A plain directory (no git) is still a repository to check: its "commit" is the content state at that time.
    if (e instanceof GitError && /not a git repository/i.test(e.message)) return 'working-tree';
    throw e;
  }
}

export async function setLastCommit(store: Store, name: string, commit: string): Promise<void> {
  await store.query('UPDATE repos SET last_commit = $2 WHERE name = $1', [name, commit]);
}
