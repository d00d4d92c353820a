import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { CONFIG_FILES, parseConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { classify } from '../formats/registry.ts';
import type { Store } from '../store/store.ts';
import { PolicyError } from './errors.ts';

/**
 * Where trust comes from. The policy (roles, their keys, the approvals each class needs) is read from a trusted
 * ref — the base branch — never from the working tree or the change being gated, so a change cannot grant its
 * author a role. Identities are proven by SSH signatures made with a key the trusted policy lists for that login;
 * what is signed binds the repository, the store and a content digest depwarden computes itself from git.
 */
export type Governance = Config['governance'];

export interface TrustedPolicy {
  /** The ref as given or found (e.g. `main`). */
  ref: string;
  /** The commit it pointed at when read. */
  commit: string;
  governance: Governance;
  /** The repository's identity: its root commit (the first, sorted, reachable from the trusted ref). */
  repository: string;
}

/** Everything a governance operation needs: the store, the repository and the trusted policy. */
export interface Gov {
  store: Store;
  root: string;
  policy: TrustedPolicy;
  /** Random id of this store (migration 010): signatures made for one store do not count in another. */
  storeId: string;
}

/** Someone acting: a login and a way to sign a payload as them (a key file, or a signature made elsewhere). */
export interface Actor {
  login: string;
  sign(payload: string): string | undefined;
}

export const SIGNATURE_NAMESPACE = 'depwarden-approval';

export const execGit = (root: string, ...args: string[]): string => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 28 }).trim();
function tryGit(root: string, ...args: string[]): string | undefined {
  try {
    return execGit(root, ...args);
  } catch {
    return undefined;
  }
}

/** The commit a revision names, or undefined when it names none in this repository. */
export function commitOf(root: string, rev: string): string | undefined {
  if (rev.startsWith('-')) return undefined;
  return tryGit(root, 'rev-parse', '--verify', '--quiet', `${rev}^{commit}`);
}

export function isAncestor(root: string, ancestor: string, of: string): boolean {
  if (!ancestor || !of || ancestor.startsWith('-') || of.startsWith('-')) return false; // never an option
  try {
    execFileSync('git', ['-C', root, 'merge-base', '--is-ancestor', ancestor, of], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

/** The trusted ref when none is given: the remote's default branch, else `main`, else `master`. */
const DEFAULT_REFS = ['refs/remotes/origin/HEAD', 'main', 'master'];

/** The policy in depwarden.yaml at a commit; the protocol's defaults when the commit has no config file. */
export async function configAt(root: string, commit: string, label = commit.slice(0, 12)): Promise<Config> {
  const names = new Set(tryGit(root, 'ls-tree', '--name-only', commit)?.split('\n') ?? []);
  for (const name of CONFIG_FILES) {
    if (!names.has(name)) continue;
    return parseConfig(`${label}:${name}`, execGit(root, 'show', `${commit}:${name}`));
  }
  const { configSchema } = await import('../config/schema.ts');
  return configSchema.parse({});
}

/**
 * Reads the policy from the trusted ref: `explicit` (the `--trusted-ref` option or DEPWARDEN_TRUSTED_REF, set by
 * whoever runs the check, not by the change), else the default branch; the default branch's own policy may name
 * another ref in `governance.trustedRef`.
 */
export async function loadTrustedPolicy(root: string, explicit?: string): Promise<TrustedPolicy> {
  if (tryGit(root, 'rev-parse', '--git-dir') === undefined) throw new PolicyError(`${root} is not a git repository: governance reads its policy (roles and keys) from a trusted ref of the repository, never from the working tree`);
  explicit = explicit?.trim() || undefined;
  let ref = explicit ?? DEFAULT_REFS.find((r) => commitOf(root, r));
  if (!ref) throw new PolicyError(`no trusted ref to read the policy from: none of ${DEFAULT_REFS.join(', ')} exists; commit depwarden.yaml on the base branch or pass --trusted-ref <ref>`);
  let commit = commitOf(root, ref);
  if (!commit) throw new PolicyError(`the trusted ref ${ref} does not name a commit in ${root}`);
  let config = await configAt(root, commit, ref);
  const named = config.governance.trustedRef;
  if (!explicit && named && named !== ref) {
    const c = commitOf(root, named);
    if (!c) throw new PolicyError(`governance.trustedRef at ${ref} names ${named}, which does not exist in ${root}`);
    ref = named;
    commit = c;
    config = await configAt(root, commit, ref);
  }
  const repository = execGit(root, 'rev-list', '--max-parents=0', commit).split('\n').sort()[0]!;
  return { ref, commit, governance: config.governance, repository };
}

export async function storeIdOf(store: Store): Promise<string> {
  const r = (await store.query<{ value: string }>("SELECT value FROM store_meta WHERE key = 'store_id'"))[0];
  if (!r) throw new PolicyError('the store has no identity (migration 010 did not run)');
  return r.value;
}

export async function openGov(store: Store, root: string, trustedRef?: string): Promise<Gov> {
  return { store, root, policy: await loadTrustedPolicy(root, trustedRef), storeId: await storeIdOf(store) };
}

/** Files whose content a change's digest covers: every dependency file depwarden reads, and its own config. */
export function isDigestedFile(relPath: string): boolean {
  return classify(relPath) !== undefined || CONFIG_FILES.includes(relPath);
}

/**
 * The content digest of a change, computed by depwarden from git: sha256 over the sorted `path NUL blob-id`
 * lines of the dependency files in the commit's tree. The same dependency files give the same digest (a rebase
 * that leaves them alone keeps approvals); any edit of one gives another.
 */
export function contentDigest(root: string, rev: string): { commit: string; digest: string } {
  const commit = commitOf(root, rev);
  if (!commit) throw new PolicyError(`${rev} is not a commit in ${root}`);
  const lines = execFileSync('git', ['-C', root, 'ls-tree', '-r', '-z', '--full-tree', commit], { maxBuffer: 1 << 28 })
    .toString('utf8')
    .split('\0')
    .filter(Boolean)
    .map((l) => {
      const tab = l.indexOf('\t');
      return { path: l.slice(tab + 1), blob: l.slice(0, tab).split(' ')[2]! };
    })
    .filter((e) => isDigestedFile(e.path))
    .map((e) => `${e.path}\0${e.blob}`)
    .sort();
  return { commit, digest: `sha256:${createHash('sha256').update(lines.join('\n')).digest('hex')}` };
}

/** Roles a login holds in the policy. */
export function rolesIn(g: Governance, login: string): string[] {
  return Object.entries(g.roles)
    .filter(([, members]) => members.some((m) => m.login === login))
    .map(([r]) => r)
    .sort();
}

/**
 * Verifies an SSH signature with the real `ssh-keygen -Y verify`, against an allowed-signers file made from the
 * trusted policy's keys for that login only (as git does).
 */
export function verifyBy(g: Governance, login: string, payload: string, signature: string | undefined): boolean {
  if (!signature) return false;
  const keys = [...new Set(Object.values(g.roles).flat().filter((m) => m.login === login && m.key).map((m) => m.key!.trim()))];
  if (keys.length === 0 || /\s/.test(login)) return false;
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-sig-'));
  try {
    writeFileSync(path.join(dir, 'allowed_signers'), keys.map((k) => `${login} ${k}`).join('\n') + '\n');
    writeFileSync(path.join(dir, 'sig'), signature);
    execFileSync('ssh-keygen', ['-Y', 'verify', '-f', path.join(dir, 'allowed_signers'), '-I', login, '-n', SIGNATURE_NAMESPACE, '-s', path.join(dir, 'sig')], { input: payload, stdio: ['pipe', 'ignore', 'ignore'] });
    return true;
  } catch {
    return false;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Signs a payload with a private key file (`ssh-keygen -Y sign`). */
export function signPayload(payload: string, keyFile: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-sign-'));
  try {
    const msg = path.join(dir, 'payload');
    writeFileSync(msg, payload);
    execFileSync('ssh-keygen', ['-Y', 'sign', '-f', keyFile, '-n', SIGNATURE_NAMESPACE, msg], { stdio: 'ignore' });
    return readFileSync(`${msg}.sig`, 'utf8');
  } catch {
    throw new PolicyError(`could not sign with the key ${keyFile} (ssh-keygen -Y sign failed: is it a readable, unencrypted private key?)`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function keyActor(login: string, keyFile: string): Actor {
  return { login, sign: (payload) => signPayload(payload, keyFile) };
}

export function signatureActor(login: string, signature: string): Actor {
  return { login, sign: () => signature };
}

/** An actor with no proof (the update bot without a key): recorded as unproven, never counted as a role. */
export function unprovenActor(login: string): Actor {
  return { login, sign: () => undefined };
}
