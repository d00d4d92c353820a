import { createHash } from 'node:crypto';
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import type { Service } from '../model/inventory.ts';
import type { Store } from '../store/store.ts';
import { writeFileInside } from '../edit/atomic-write.ts';
import { resolveInside } from '../edit/paths.ts';
import { appendChangelog } from '../publish/changelog.ts';
import { appendEvent, appendEventIn, readableEntries, readLog } from './audit-log.ts';
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
  /** The image content digests (`sha256:…`) the service ran healthy with, when a deploy recorded them. */
  images: string[];
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
  const kg: KnownGood = { service: service.name, commit: sha, recorded: now.toISOString(), checks, files, images: [] };
  await store.query('INSERT INTO known_good (service, commit, recorded, checks, files) VALUES ($1,$2,$3,$4,$5)', [kg.service, kg.commit, kg.recorded, JSON.stringify(checks), JSON.stringify(files)]);
  await appendEvent(store, { actor, kind: 'known_good_recorded', payload: { service: kg.service, commit: sha, checks, files: Object.keys(files).length }, time: now });
  return kg;
}

export async function lastKnownGood(store: Store, service: string): Promise<KnownGood | undefined> {
  const r = (await store.query<{ service: string; commit: string; recorded: string; checks: string; files: string; images?: string }>('SELECT * FROM known_good WHERE service = $1 ORDER BY recorded DESC LIMIT 1', [service]))[0];
  if (!r) return undefined;
  const images = JSON.parse(r.images ?? '[]') as unknown;
  return { service: r.service, commit: r.commit, recorded: r.recorded, checks: JSON.parse(r.checks) as string[], files: JSON.parse(r.files) as Record<string, string>, images: Array.isArray(images) ? (images as string[]) : [] };
}

/**
 * A deploy that passed its gates: the service's known-good state gains the image digests that ran healthy. The
 * dependency files and commit of the previous known-good record are kept (the images were built from them), or
 * `commit` when the deploy names the commit it shipped.
 */
export async function recordHealthyImages(store: Store, service: string, images: string[], opts: { actor: string; deployId: string; checks: string[]; commit?: string; now?: Date }): Promise<KnownGood> {
  const now = opts.now ?? new Date();
  const prev = await lastKnownGood(store, service);
  const kg: KnownGood = { service, commit: opts.commit ?? prev?.commit ?? '', recorded: now.toISOString(), checks: opts.checks, files: prev?.files ?? {}, images: [...new Set(images)].sort() };
  await store.transaction(async (q) => {
    await q('INSERT INTO known_good (service, commit, recorded, checks, files, images) VALUES ($1,$2,$3,$4,$5,$6) ON CONFLICT (service, recorded) DO UPDATE SET images = EXCLUDED.images, checks = EXCLUDED.checks', [kg.service, kg.commit, kg.recorded, JSON.stringify(kg.checks), JSON.stringify(kg.files), JSON.stringify(kg.images)]);
    await appendEventIn(q, store.kind, { actor: opts.actor, kind: 'known_good_recorded', payload: { service, images: kg.images, deploy: opts.deployId, checks: kg.checks, ...(kg.commit ? { commit: kg.commit } : {}) }, time: now });
  });
  return kg;
}

/**
 * An automatic rollback by a failed deploy gate, recorded as a change of class `rollback`: it restores a state
 * that was approved and verified (the last known good), so it needs no approval and is merged at once; like
 * every rollback it owes a post-update review (governance.rollbackReview). The change that caused it, if named
 * and deployed, becomes `rolled_back`. One transaction: the change, its review and the events, or none.
 */
export async function applyAutomaticRollback(
  store: Store,
  g: Pick<Gov['policy']['governance'], 'rollbackReview'>,
  opts: { service: string; deployId: string; to: string[]; from: string[]; reason: string; badChange?: string; actor: string; now?: Date },
): Promise<{ changeId: string; reviewDue: string }> {
  const now = opts.now ?? new Date();
  const id = `rollback-${opts.deployId}`;
  const digest = `sha256:${createHash('sha256').update(JSON.stringify({ service: opts.service, images: [...opts.to].sort() })).digest('hex')}`;
  const due = new Date(now.getTime() + g.rollbackReview.deadlineHours * 3600_000).toISOString();
  const kg = await lastKnownGood(store, opts.service);
  await store.transaction(async (q) => {
    if ((await q('SELECT 1 FROM changes WHERE id = $1', [id])).length) return; // recorded by an interrupted run
    await q('INSERT INTO changes (id, title, class, author, digest, commit, state, tests, impact, created) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)', [id, `Roll ${opts.service} back to its last known good images`, 'rollback', opts.actor, digest, kg?.commit ?? '', 'merged', false, false, now.toISOString()]);
    await q('INSERT INTO reviews (change_id, role, due, reason) VALUES ($1, $2, $3, $4)', [id, g.rollbackReview.role, due, `automatic rollback of ${opts.service}: ${opts.reason}`]);
    await appendEventIn(q, store.kind, { actor: opts.actor, kind: 'rollback_applied', payload: { change: id, service: opts.service, deploy: opts.deployId, automatic: true, from: opts.from, to: opts.to, reason: opts.reason, reviewRole: g.rollbackReview.role, reviewDue: due }, time: now });
    if (opts.badChange) {
      const bad = (await q<{ state: string }>('SELECT state FROM changes WHERE id = $1 FOR UPDATE', [opts.badChange]))[0];
      if (bad && ['approved', 'merged', 'verified'].includes(bad.state)) {
        await q('UPDATE changes SET state = $2 WHERE id = $1', [opts.badChange, 'rolled_back']);
        await appendEventIn(q, store.kind, { actor: opts.actor, kind: 'rolled_back', payload: { change: opts.badChange, by: id, deploy: opts.deployId }, time: now });
      }
    }
  });
  return { changeId: id, reviewDue: due };
}

export interface RollbackResult {
  /** True when the working tree already holds the known-good bytes: no branch, commit or change was made. */
  nothingToRestore: boolean;
  /** True when this run finished a rollback that an earlier, interrupted run had recorded and committed. */
  resumed: boolean;
  branch: string;
  commit: string;
  changeId: string;
  restored: string[];
  emergency: boolean;
  /** The known-good commit rolled back to. */
  to: string;
}

/** What `rollback_started` records before anything is done, so an interrupted run can be found and finished. */
interface StartedRollback {
  change: string;
  service: string;
  to: string;
  branch: string;
  /** The commit the rollback branch starts from, and the branch (or commit) that was checked out. */
  from: string;
  fromRef: string;
  restored: string[];
  reason: string;
  healthCheckFailed: boolean;
  badChange?: string;
}

/** Steps a rollback reports as it goes (tests stop a real process at one of them). */
export type RollbackStep = 'recorded' | 'branched' | 'written' | 'committed' | 'proposed';

/** The last rollback of `service` that was started (its intent recorded) but neither proposed nor abandoned. */
async function unfinishedRollback(store: Store, service: string): Promise<StartedRollback | undefined> {
  const started = new Map<string, StartedRollback>();
  for (const e of readableEntries(await readLog(store))) {
    const p = e.payload as Partial<StartedRollback> | null;
    if (!p || typeof p !== 'object' || typeof p.change !== 'string') continue;
    if (e.kind === 'rollback_started' && p.service === service) started.set(p.change, p as StartedRollback);
    else if (e.kind === 'rollback_proposed' || e.kind === 'rollback_abandoned') started.delete(p.change);
  }
  return [...started.values()].pop();
}

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const gitOk = (root: string, ...args: string[]): string | undefined => {
  try {
    return git(root, ...args);
  } catch {
    return undefined;
  }
};

/**
 * Rolls a service back to its last known good state on a new branch: every recorded file restored to the exact
 * bytes of the known-good commit (locks, manifests, Dockerfile digests), a changelog entry with the reason, one
 * commit, and a change request subject to the policy — through the emergency lane when a failed health check
 * triggered it. The change that caused it, if named, becomes `rolled_back`.
 *
 * Idempotent: when the working tree already holds the known-good bytes, nothing is done and `nothingToRestore`
 * says so. Recorded before done: the intent (`rollback_started`, with the branch and change id) is appended to the
 * audit log before the branch is created, so a run killed after its commit is found by the next run, which
 * proposes the change for that commit instead of making another; one killed before its commit is recorded as
 * abandoned. Files are written only through the path guard: a symbolic link on the way is refused before anything
 * is touched, and the commit is checked to contain every restored file.
 */
export async function rollback(
  gov: Gov,
  root: string,
  opts: { service: string; reason: string; actor: Actor; healthCheckFailed?: boolean; badChange?: string; changelog?: string; now?: Date; onStep?: (step: RollbackStep) => void },
): Promise<RollbackResult> {
  const store = gov.store;
  const actor = opts.actor.login;
  const now = opts.now ?? new Date();
  const step = opts.onStep ?? (() => {});
  const kg = await lastKnownGood(store, opts.service);
  if (!kg) throw new PolicyError(`no known good state is recorded for ${opts.service}: record one with \`depwarden known-good ${opts.service}\` after a healthy deploy`);
  const pending = await unfinishedRollback(store, opts.service);
  // Untracked files (the embedded database's lock, build output) do not affect what the rollback restores.
  if (git(root, 'status', '--porcelain', '--untracked-files=no')) {
    throw new PolicyError(`the working tree has uncommitted changes: commit or stash them before a rollback${pending ? ` (an interrupted rollback, change ${pending.change} on branch ${pending.branch}, may have left them: \`git checkout -- .\` discards them)` : ''}`);
  }
  if (pending) {
    const tip = gitOk(root, 'rev-parse', '--verify', '-q', `refs/heads/${pending.branch}`);
    if (tip && tip !== pending.from && pending.restored.every((f) => kg.files[f] && gitOk(root, 'rev-parse', `${tip}:${f}`) !== undefined && sha256(gitBytes(root, 'show', `${tip}:${f}`)) === kg.files[f])) {
      // Killed after its commit: finish that rollback rather than make another.
      return finish(gov, root, { ...pending, commit: tip, actor: opts.actor, now, resumed: true, step });
    }
    // Killed before its commit: nothing of it survives but the branch; record that and start again.
    if (tip === pending.from) {
      if (gitOk(root, 'symbolic-ref', '-q', '--short', 'HEAD') === pending.branch) git(root, 'checkout', '-q', pending.fromRef);
      git(root, 'branch', '-q', '-D', pending.branch);
    }
    await appendEvent(store, { actor, kind: 'rollback_abandoned', payload: { change: pending.change, service: opts.service, branch: pending.branch, reason: 'interrupted before its commit' }, time: now });
  }

  // Plan first, write later: every file is checked (content at the known-good commit, the path guard) before a
  // branch exists, so a refusal leaves the repository as it was.
  const plan: { file: string; abs: string; bytes: Buffer }[] = [];
  for (const [f, hash] of Object.entries(kg.files).sort()) {
    const mode = git(root, 'ls-tree', kg.commit, '--', f).split(/\s/)[0];
    if (mode === '120000') throw new PolicyError(`${f} is a symbolic link at ${kg.commit.slice(0, 12)}: a rollback restores file contents, not links`);
    const bytes = gitBytes(root, 'show', `${kg.commit}:${f}`);
    if (sha256(bytes) !== hash) throw new PolicyError(`${f} at ${kg.commit} no longer has the recorded content: the repository history changed`);
    let abs: string;
    try {
      abs = resolveInside(root, f);
    } catch (e) {
      throw new PolicyError(`cannot restore ${e instanceof Error ? e.message : String(e)}; nothing was changed`);
    }
    if (existsSync(abs) && sha256(readFileSync(abs)) === hash) continue;
    plan.push({ file: f, abs, bytes });
  }
  if (!plan.length) return { nothingToRestore: true, resumed: false, branch: '', commit: git(root, 'rev-parse', 'HEAD'), changeId: '', restored: [], emergency: false, to: kg.commit };

  let stamp = now.toISOString().replace(/[-:]/g, '').slice(0, 15);
  const safe = opts.service.replace(/[^A-Za-z0-9._-]+/g, '-');
  const base = `depwarden/rollback-${safe}`;
  // Two rollbacks of one service in the same second get distinct branches (and change ids).
  const taken = new Set(git(root, 'branch', '--list', `${base}-*`, '--format=%(refname:short)').split('\n'));
  for (let n = 2; taken.has(`${base}-${stamp}`); n++) stamp = `${stamp.replace(/-\d+$/, '')}-${n}`;
  const started: StartedRollback = {
    change: `rollback-${safe}-${stamp}`,
    service: opts.service,
    to: kg.commit,
    branch: `${base}-${stamp}`,
    from: git(root, 'rev-parse', 'HEAD'),
    fromRef: gitOk(root, 'symbolic-ref', '-q', '--short', 'HEAD') ?? git(root, 'rev-parse', 'HEAD'),
    restored: plan.map((p) => p.file),
    reason: opts.reason,
    healthCheckFailed: Boolean(opts.healthCheckFailed),
    ...(opts.badChange ? { badChange: opts.badChange } : {}),
  };
  await appendEvent(store, { actor, kind: 'rollback_started', payload: started, time: now });
  step('recorded');
  git(root, 'checkout', '-q', '-b', started.branch);
  step('branched');
  for (const p of plan) writeFileInside(root, p.file, p.bytes);
  step('written');
  const changelog = opts.changelog ?? 'docs/dependency-changelog.md';
  appendChangelog(root, changelog, `## ${now.toISOString().slice(0, 10)} — rollback of ${opts.service}\n\nRolled back to ${kg.commit.slice(0, 12)} (known good since ${kg.recorded}; checks: ${kg.checks.join(', ') || 'none recorded'}).\nReason: ${opts.reason}${opts.healthCheckFailed ? ' (triggered by a failed health check)' : ''}.\nRestored: ${started.restored.join(', ')}.\n`);
  git(root, 'add', '--', ...started.restored, changelog);
  git(root, '-c', 'user.name=depwarden', '-c', 'user.email=depwarden@localhost', 'commit', '-q', '-m', `revert(deps): roll ${opts.service} back to ${kg.commit.slice(0, 12)}\n\n${opts.reason}`);
  const commit = git(root, 'rev-parse', 'HEAD');
  // The commit must hold what we say it restores (a write that went elsewhere would leave it out).
  for (const p of plan) {
    if (gitOk(root, 'rev-parse', `${commit}:${p.file}`) === undefined || sha256(gitBytes(root, 'show', `${commit}:${p.file}`)) !== kg.files[p.file]) {
      throw new PolicyError(`the rollback commit ${commit.slice(0, 12)} on ${started.branch} does not contain the restored ${p.file}: the rollback did not happen (change ${started.change} was not proposed)`);
    }
  }
  step('committed');
  return finish(gov, root, { ...started, commit, actor: opts.actor, now, resumed: false, step });
}

/** The change request and the events after the commit; safe to run again for the same commit (resume). */
async function finish(gov: Gov, _root: string, r: StartedRollback & { commit: string; actor: Actor; now: Date; resumed: boolean; step: (s: RollbackStep) => void }): Promise<RollbackResult> {
  const store = gov.store;
  const actor = r.actor.login;
  // A manual rollback is its own class (approvals per governance.policy.rollback); one a failed health check
  // triggered still takes the emergency lane here (`depwarden deploy` rolls back through applyAutomaticRollback).
  const cls: UpdateClass = r.healthCheckFailed ? 'security' : 'rollback';
  const existing = await getChange(store, r.change).catch(() => undefined);
  if (!existing) await proposeChange(gov, { id: r.change, title: `Roll ${r.service} back to ${r.to.slice(0, 12)}`, class: cls, author: r.actor, commit: r.commit, now: r.now });
  await appendEvent(store, { actor, kind: 'rollback_proposed', payload: { change: r.change, service: r.service, to: r.to, branch: r.branch, restored: r.restored, reason: r.reason, ...(r.resumed ? { resumed: true } : {}) }, time: r.now });
  r.step('proposed');
  if (r.healthCheckFailed && (await getChange(store, r.change)).state !== 'merged') await emergencyMerge(gov, r.change, r.actor, `health check failed: ${r.reason}`, r.now);
  if (r.badChange) {
    const bad = await getChange(store, r.badChange);
    if (bad.state === 'merged' || bad.state === 'verified') {
      await store.query('UPDATE changes SET state = $2 WHERE id = $1', [bad.id, 'rolled_back']);
      await appendEvent(store, { actor, kind: 'rolled_back', payload: { change: bad.id, by: r.change }, time: r.now });
    }
  }
  return { nothingToRestore: false, resumed: r.resumed, branch: r.branch, commit: r.commit, changeId: r.change, restored: r.restored, emergency: r.healthCheckFailed, to: r.to };
}
