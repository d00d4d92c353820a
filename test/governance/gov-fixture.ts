import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Actor, Gov } from '../../src/governance/trust.ts';
import type { Store } from '../../src/store/store.ts';

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/**
 * A real git repository for governance tests: `main` holds depwarden.yaml (the trusted policy, with each
 * member's real SSH public key) and a service's requirements; changes are commits on branches.
 */
export interface GovRepo {
  dir: string;
  root: string;
  keys: Record<string, { file: string; pub: string }>;
  git: (...a: string[]) => string;
  /** A commit on a new branch (from main) that sets the requirements to `text` (plus any other files); back on main after. */
  branch: (name: string, files: Record<string, string>) => string;
  actor: (login: string, keyOf?: string) => Actor;
  writePolicy: (yaml: string) => void;
  cleanup: () => void;
}

export function makeRepo(logins: string[], roles: (pub: (login: string) => string) => string, extra = ''): GovRepo {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-gov-'));
  const root = path.join(dir, 'repo');
  mkdirSync(path.join(root, 'api'), { recursive: true });
  const keys: GovRepo['keys'] = {};
  for (const n of logins) {
    const file = path.join(dir, `key-${n}`);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', n, '-f', file]);
    keys[n] = { file, pub: readFileSync(`${file}.pub`, 'utf8').trim() };
  }
  const git = (...a: string[]): string => execFileSync('git', ['-C', root, ...a], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@t');
  git('config', 'user.name', 't');
  const writePolicy = (yaml: string): void => writeFileSync(path.join(root, 'depwarden.yaml'), yaml);
  writePolicy(`governance:\n  roles:\n${roles((n) => keys[n]!.pub)}${extra}`);
  writeFileSync(path.join(root, 'api', 'requirements.txt'), requirement('requests', '2.31.0'));
  writeFileSync(path.join(root, '.gitignore'), '.depwarden/state*\n');
  git('add', '-A');
  git('commit', '-qm', 'fleet');
  const branch = (name: string, files: Record<string, string>): string => {
    git('checkout', '-q', '-b', name, 'main');
    for (const [f, text] of Object.entries(files)) {
      mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
      writeFileSync(path.join(root, f), text);
    }
    git('add', '-A');
    git('commit', '-qm', name);
    const sha = git('rev-parse', 'HEAD');
    git('checkout', '-q', 'main');
    return sha;
  };
  return { dir, root, keys, git, branch, actor: (login, keyOf = login) => ({ login, sign: (payload: string) => sshSign(payload, keys[keyOf]!.file) }), writePolicy, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** `ssh-keygen -Y sign` in the approval namespace (the fixture's own, so attack tests import nothing of governance). */
function sshSign(payload: string, keyFile: string): string {
  const d = mkdtempSync(path.join(tmpdir(), 'dw-fx-sign-'));
  try {
    writeFileSync(path.join(d, 'm'), payload);
    execFileSync('ssh-keygen', ['-Y', 'sign', '-f', keyFile, '-n', 'depwarden-approval', path.join(d, 'm')], { stdio: 'ignore' });
    return readFileSync(path.join(d, 'm.sig'), 'utf8');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
}

/** A hash-pinned requirements line (so the protocol's own checks find nothing to say about the fixture). */
export function requirement(name: string, version: string): string {
  return `${name}==${version} --hash=sha256:${(version.replace(/\D/g, '') + 'a'.repeat(64)).slice(0, 64)}\n`;
}

/** A role list in YAML: `members('developers', ['alice', 'bob'])`. */
export function members(pub: (login: string) => string, role: string, logins: string[]): string {
  return `    ${role}:\n${logins.map((l) => `      - login: ${l}\n        key: "${pub(l)}"\n`).join('')}`;
}

export type StoreKind = 'pglite' | 'postgres';

/** A fresh store: PGlite in the temp dir, or a fresh schema on the real server (dropped by `drop`). */
export async function freshStore(kind: StoreKind, dir: string): Promise<{ store: Store; drop: () => Promise<void> }> {
  const { openStore } = await import('../../src/store/store.ts');
  if (kind === 'pglite') {
    const store = await openStore({ dir: path.join(dir, `state-${Math.random().toString(36).slice(2)}`) });
    return { store, drop: () => store.close() };
  }
  const schema = `dw_gov_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const store = await openStore({ databaseUrl: DATABASE_URL, schema, dir });
  return {
    store,
    drop: async () => {
      await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await store.close();
    },
  };
}

export async function govFor(store: Store, repo: GovRepo, trustedRef?: string): Promise<Gov> {
  return (await import('../../src/governance/trust.ts')).openGov(store, repo.root, trustedRef);
}
