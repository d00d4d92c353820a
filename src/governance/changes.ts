import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { appendEvent, canonical } from './audit-log.ts';

/**
 * Change requests and their state machine: proposed → tests_passed → approved → merged → verified, or
 * rejected / rolled_back. Every transition is checked against the policy and written to the audit log.
 */
export const UPDATE_CLASSES = ['patch', 'minor', 'major', 'security'] as const;
export type UpdateClass = (typeof UPDATE_CLASSES)[number];
export type ChangeState = 'proposed' | 'tests_passed' | 'approved' | 'merged' | 'verified' | 'rejected' | 'rolled_back';

export interface Change {
  id: string;
  title: string;
  class: UpdateClass;
  author: string;
  /** Digest of the change's content (e.g. the diff or the commit): approvals sign it, so they cannot move to another change. */
  digest: string;
  state: ChangeState;
  tests: boolean;
  impact: boolean;
  created: string;
}

export interface Approval {
  changeId: string;
  approver: string;
  roles: string[];
  signature: string;
  time: string;
}

export class PolicyError extends Error {}

const NEXT: Record<ChangeState, ChangeState[]> = {
  proposed: ['tests_passed', 'rejected'],
  tests_passed: ['approved', 'rejected'],
  approved: ['merged', 'rejected'],
  merged: ['verified', 'rolled_back'],
  verified: ['rolled_back'],
  rejected: [],
  rolled_back: [],
};

export const SIGNATURE_NAMESPACE = 'depwarden-approval';

/** What an approver signs: the change, its content digest and the decision. */
export function approvalPayload(change: Pick<Change, 'id' | 'digest'>): string {
  return canonical({ change: change.id, decision: 'approve', digest: change.digest });
}

function row(r: Record<string, unknown>): Change {
  return { id: String(r.id), title: String(r.title), class: r.class as UpdateClass, author: String(r.author), digest: String(r.digest), state: r.state as ChangeState, tests: Boolean(r.tests), impact: Boolean(r.impact), created: String(r.created) };
}

export async function getChange(store: Store, id: string): Promise<Change> {
  const r = (await store.query('SELECT * FROM changes WHERE id = $1', [id]))[0];
  if (!r) throw new PolicyError(`no change ${id}`);
  return row(r);
}

export async function listChanges(store: Store): Promise<Change[]> {
  return (await store.query('SELECT * FROM changes ORDER BY created, id')).map(row);
}

export async function approvalsOf(store: Store, id: string): Promise<Approval[]> {
  return (await store.query<{ change_id: string; approver: string; roles: string; signature: string; time: string }>('SELECT * FROM approvals WHERE change_id = $1 ORDER BY approver', [id])).map((r) => ({ changeId: r.change_id, approver: r.approver, roles: JSON.parse(r.roles) as string[], signature: r.signature, time: r.time }));
}

export async function proposeChange(store: Store, c: { id: string; title: string; class: UpdateClass; author: string; digest: string; impact?: boolean; now?: Date }): Promise<Change> {
  const change: Change = { id: c.id, title: c.title, class: c.class, author: c.author, digest: c.digest, state: 'proposed', tests: false, impact: c.impact ?? false, created: (c.now ?? new Date()).toISOString() };
  await store.query('INSERT INTO changes (id, title, class, author, digest, state, tests, impact, created) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9)', [change.id, change.title, change.class, change.author, change.digest, change.state, change.tests, change.impact, change.created]);
  await appendEvent(store, { actor: c.author, kind: 'proposed', payload: { change: change.id, class: change.class, digest: change.digest } });
  return change;
}

async function transition(store: Store, id: string, to: ChangeState, actor: string, payload: Record<string, unknown> = {}): Promise<Change> {
  const c = await getChange(store, id);
  if (!NEXT[c.state].includes(to)) throw new PolicyError(`change ${id} is ${c.state}; it cannot become ${to} (allowed: ${NEXT[c.state].join(', ') || 'none'})`);
  await store.query('UPDATE changes SET state = $2 WHERE id = $1', [id, to]);
  await appendEvent(store, { actor, kind: to, payload: { change: id, ...payload } });
  return { ...c, state: to };
}

export async function recordTests(store: Store, id: string, actor: string, passed: boolean): Promise<Change> {
  if (!passed) return transition(store, id, 'rejected', actor, { reason: 'tests failed' });
  await store.query('UPDATE changes SET tests = true WHERE id = $1', [id]);
  return transition(store, id, 'tests_passed', actor);
}

/** Roles a login holds in the policy. */
export function rolesOf(config: Config, login: string): string[] {
  return Object.entries(config.governance.roles)
    .filter(([, members]) => members.some((m) => m.login === login))
    .map(([r]) => r)
    .sort();
}

/**
 * Verifies an SSH signature over the approval payload with the real `ssh-keygen -Y verify`, against an
 * allowed-signers file made from the policy's keys for that login only (as git does). Editing the stored
 * approval, the change's digest or the policy's key makes it fail.
 */
export function verifySignature(config: Config, login: string, payload: string, signature: string): boolean {
  const keys = Object.values(config.governance.roles).flat().filter((m) => m.login === login && m.key).map((m) => m.key!);
  if (keys.length === 0) return false;
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

/** Signs the approval payload with a private key file (`ssh-keygen -Y sign`). */
export function signApproval(change: Pick<Change, 'id' | 'digest'>, keyFile: string): string {
  return signPayload(approvalPayload(change), keyFile);
}

export function signPayload(payload: string, keyFile: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-sign-'));
  try {
    const msg = path.join(dir, 'approval');
    writeFileSync(msg, payload);
    execFileSync('ssh-keygen', ['-Y', 'sign', '-f', keyFile, '-n', SIGNATURE_NAMESPACE, msg], { stdio: 'ignore' });
    return readFileSync(`${msg}.sig`, 'utf8');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Records an approval after every check; moves the change to `approved` when the policy is met. */
export async function approve(store: Store, config: Config, id: string, approver: string, signature: string, now: Date = new Date()): Promise<{ change: Change; gate: GateResult }> {
  const c = await getChange(store, id);
  if (c.state !== 'tests_passed' && c.state !== 'proposed') throw new PolicyError(`change ${id} is ${c.state}: approvals are taken while it is proposed or tested`);
  if (approver === c.author) throw new PolicyError(`${approver} is the author of ${id} and cannot approve it`);
  const roles = rolesOf(config, approver);
  if (roles.length === 0) throw new PolicyError(`${approver} holds no role in the policy and cannot approve`);
  if (!verifySignature(config, approver, approvalPayload(c), signature)) throw new PolicyError(`the signature is not ${approver}'s signature of change ${id} at digest ${c.digest.slice(0, 12)}…: approval refused`);
  await store.query('INSERT INTO approvals (change_id, approver, roles, signature, time) VALUES ($1,$2,$3,$4,$5) ON CONFLICT (change_id, approver) DO UPDATE SET signature = EXCLUDED.signature, time = EXCLUDED.time, roles = EXCLUDED.roles', [id, approver, JSON.stringify(roles), signature, now.toISOString()]);
  await appendEvent(store, { actor: approver, kind: 'approved', payload: { change: id, roles, digest: c.digest } });
  const g = await gate(store, config, id);
  if (g.ok && c.state === 'tests_passed') return { change: await transition(store, id, 'approved', approver), gate: g };
  return { change: c, gate: g };
}

export interface GateResult {
  ok: boolean;
  missing: string[];
}

/**
 * Is the policy met for this change? Every stored approval is re-verified (a row edited in the database does not
 * count), each approver counts once per role they hold, the author never counts.
 */
export async function gate(store: Store, config: Config, id: string): Promise<GateResult> {
  const c = await getChange(store, id);
  const p = config.governance.policy[c.class];
  const missing: string[] = [];
  if (p.tests && !c.tests) missing.push('tests have not passed');
  if (p.impactAssessment && !c.impact) missing.push('no impact assessment attached');
  const valid = (await approvalsOf(store, id)).filter((a) => a.approver !== c.author && verifySignature(config, a.approver, approvalPayload(c), a.signature));
  for (const req of p.approvals) {
    const have = valid.filter((a) => rolesOf(config, a.approver).includes(req.role)).length;
    if (have < req.count) missing.push(`${req.count - have} more approval${req.count - have > 1 ? 's' : ''} from ${req.role}`);
  }
  return { ok: missing.length === 0 && c.state !== 'rejected', missing };
}

export async function reject(store: Store, id: string, actor: string, reason: string): Promise<Change> {
  return transition(store, id, 'rejected', actor, { reason });
}

export async function merge(store: Store, config: Config, id: string, actor: string): Promise<Change> {
  const g = await gate(store, config, id);
  if (!g.ok) throw new PolicyError(`change ${id} cannot be merged: ${g.missing.join('; ')}`);
  return transition(store, id, 'merged', actor);
}

export async function verifyChange(store: Store, id: string, actor: string): Promise<Change> {
  return transition(store, id, 'verified', actor);
}
