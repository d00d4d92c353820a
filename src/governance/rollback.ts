import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { Service } from '../model/inventory.ts';
import type { Store } from '../store/store.ts';
import { appendChangelog } from '../publish/changelog.ts';
import { appendEvent } from './audit-log.ts';
import { getChange, PolicyError, proposeChange, type UpdateClass } from './changes.ts';
import { emergencyMerge } from './emergency.ts';
import type { Actor, Gov } from './trust.ts';

export interface KnownGood {
  service: string;
  commit: string;
  recorded: string;
  checks: string[];
  /** Repository-relative path → sha256 of the file at `commit`: locks, manifests, Dockerfiles, compose files. */
  files: Record<string, string>;
}

const git = (root: string, ...args: string[]): string => execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
const gitBytes = (root: string, ...args: string[]): Buffer => execFileSync('git', ['-C', root, ...args], { stdio: ['ignore', 'pipe', 'pipe'], maxBuffer: 1 << 30 });

/** Records the service's dependency files as they are at `commit` (default HEAD), with the checks that passed. */
export async function recordKnownGood(store: Store, root: string, service: Service, checks: string[], actor: string, commit = 'HEAD', now = new Date()): Promise<KnownGood> {
  const sha = git(root, 'rev-parse', '--verify', `${commit}^{commit}`);
  const files: Record<string, string> = {};
  for (const f of service.files) {
    try {
      files[f] = createHash('sha256').update(gitBytes(root, 'show', `${sha}:${f}`)).digest('hex');
    } catch {
      /* not committed at that revision: not part of the known-good state */
    }
  }
  const kg: KnownGood = { service: service.name, commit: sha, recorded: now.toISOString(), checks, files };
  await store.query('INSERT INTO known_good (service, commit, recorded, checks, files) VALUES ($1,$2,$3,$4,$5)', [kg.service, kg.commit, kg.recorded, JSON.stringify(checks), JSON.stringify(files)]);
  await appendEvent(store, { actor, kind: 'known_good_recorded', payload: { service: kg.service, commit: sha, checks, files: Object.keys(files).length }, time: now });
  return kg;
}

export async function lastKnownGood(store: Store, service: string): Promise<KnownGood | undefined> {
  const r = (await store.query<{ service: string; commit: string; recorded: string; checks: string; files: string }>('SELECT * FROM known_good WHERE service = $1 ORDER BY recorded DESC LIMIT 1', [service]))[0];
  return r ? { service: r.service, commit: r.commit, recorded: r.recorded, checks: JSON.parse(r.checks) as string[], files: JSON.parse(r.files) as Record<string, string> } : undefined;
}

export interface RollbackResult {
  branch: string;
  commit: string;
  changeId: string;
  restored: string[];
  emergency: boolean;
}

/**
 * Rolls a service back to its last known good state on a new branch: every recorded file restored to the exact
 * bytes of the known-good commit (locks, manifests, Dockerfile digests), a changelog entry with the reason, one
 * commit, and a change request subject to the policy — through the emergency lane when a failed health check
 * triggered it. The change that caused it, if named, becomes `rolled_back`.
 */
export async function rollback(
  gov: Gov,
  root: string,
  opts: { service: string; reason: string; actor: Actor; healthCheckFailed?: boolean; badChange?: string; changelog?: string; now?: Date },
): Promise<RollbackResult> {
  const store = gov.store;
  const actor = opts.actor.login;
  const now = opts.now ?? new Date();
  const kg = await lastKnownGood(store, opts.service);
  if (!kg) throw new PolicyError(`no known good state is recorded for ${opts.service}: record one with \`depwarden known-good ${opts.service}\` after a healthy deploy`);
  // Untracked files (the embedded database's lock, build output) do not affect what the rollback restores.
  if (git(root, 'status', '--porcelain', '--untracked-files=no')) throw new PolicyError('the working tree has uncommitted changes: commit or stash them before a rollback');
  let stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  const base = `depwarden/rollback-${opts.service.replace(/[^A-Za-z0-9._-]+/g, '-')}`;
  // Two rollbacks of one service in the same second get distinct branches (and change ids).
  const taken = new Set(git(root, 'branch', '--list', `${base}-*`, '--format=%(refname:short)').split('\n'));
  for (let n = 2; taken.has(`${base}-${stamp}`); n++) stamp = `${stamp.replace(/-\d+$/, '')}-${n}`;
  const branch = `${base}-${stamp}`;
  git(root, 'checkout', '-q', '-b', branch);
  const restored: string[] = [];
  for (const [f, hash] of Object.entries(kg.files).sort()) {
    const bytes = gitBytes(root, 'show', `${kg.commit}:${f}`);
    if (createHash('sha256').update(bytes).digest('hex') !== hash) throw new PolicyError(`${f} at ${kg.commit} no longer has the recorded content: the repository history changed`);
    const abs = path.join(root, f);
    if (existsSync(abs) && createHash('sha256').update(readFileSync(abs)).digest('hex') === hash) continue;
    mkdirSync(path.dirname(abs), { recursive: true });
    writeFileSync(abs, bytes);
    restored.push(f);
  }
  const changelog = opts.changelog ?? 'docs/dependency-changelog.md';
  appendChangelog(root, changelog, `## ${now.toISOString().slice(0, 10)} — rollback of ${opts.service}\n\nRolled back to ${kg.commit.slice(0, 12)} (known good since ${kg.recorded}; checks: ${kg.checks.join(', ') || 'none recorded'}).\nReason: ${opts.reason}${opts.healthCheckFailed ? ' (triggered by a failed health check)' : ''}.\nRestored: ${restored.join(', ') || 'nothing differed'}.\n`);
  git(root, 'add', '--', ...restored, changelog);
  git(root, '-c', 'user.name=depwarden', '-c', 'user.email=depwarden@localhost', 'commit', '-q', '-m', `revert(deps): roll ${opts.service} back to ${kg.commit.slice(0, 12)}\n\n${opts.reason}`);
  const commit = git(root, 'rev-parse', 'HEAD');
  const changeId = `rollback-${opts.service.replace(/[^A-Za-z0-9._-]+/g, '-')}-${stamp}`;
  const cls: UpdateClass = opts.healthCheckFailed ? 'security' : 'patch';
  await proposeChange(gov, { id: changeId, title: `Roll ${opts.service} back to ${kg.commit.slice(0, 12)}`, class: cls, author: opts.actor, commit, now });
  await appendEvent(store, { actor, kind: 'rollback_proposed', payload: { change: changeId, service: opts.service, to: kg.commit, branch, restored, reason: opts.reason }, time: now });
  if (opts.healthCheckFailed) await emergencyMerge(gov, changeId, opts.actor, `health check failed: ${opts.reason}`, now);
  if (opts.badChange) {
    const bad = await getChange(store, opts.badChange);
    if (bad.state === 'merged' || bad.state === 'verified') {
      await store.query('UPDATE changes SET state = $2 WHERE id = $1', [bad.id, 'rolled_back']);
      await appendEvent(store, { actor, kind: 'rolled_back', payload: { change: bad.id, by: changeId }, time: now });
    }
  }
  return { branch, commit, changeId, restored, emergency: Boolean(opts.healthCheckFailed) };
}
