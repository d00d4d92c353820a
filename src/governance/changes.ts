import type { Config } from '../config/schema.ts';
import type { Store } from '../store/store.ts';
import { type AuditEntry, appendEvent, appendEventIn, canonical, readLog, verifyLog } from './audit-log.ts';
import { PolicyError } from './errors.ts';
import { type Actor, commitOf, execGit, configAt, contentDigest, type Gov, type Governance, isAncestor, rolesIn, verifyBy } from './trust.ts';

export { PolicyError } from './errors.ts';
export { SIGNATURE_NAMESPACE, signPayload } from './trust.ts';

/**
 * Change requests and their state machine. Open states: proposed → tests_passed → approved (tests and approvals
 * come in either order; `approved` means the gate is met), then merged → verified, or rejected / rolled_back.
 *
 * The audit log is the record, the `changes` table an index: every step is an event signed by its actor (an SSH
 * key the trusted policy lists for the login), over a payload that binds the change id, class, author, the
 * content digest depwarden computed from the change's commit, the repository and the store. The gate rebuilds
 * the change from those signed events and refuses when the table disagrees with them.
 */
// `rollback` is its own class, not the security lane: an automatic rollback (a failed deploy gate restoring the
// last known good state, which was approved and verified) needs no approval; a manual rollback to an older or
// different state needs the approvals `governance.policy.rollback` names (default: one team-lead). Both owe a
// post-update review (`governance.rollbackReview`).
export const UPDATE_CLASSES = ['patch', 'minor', 'major', 'security', 'rollback'] as const;
export type UpdateClass = (typeof UPDATE_CLASSES)[number];
export type ChangeState = 'proposed' | 'tests_passed' | 'approved' | 'merged' | 'verified' | 'rejected' | 'rolled_back';

export interface Change {
  id: string;
  title: string;
  class: UpdateClass;
  author: string;
  /** `sha256:` over the dependency files of `commit` (computed by depwarden, see trust.ts contentDigest). */
  digest: string;
  /** The git commit the change proposes. */
  commit: string;
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

/** Steps the policy gives to roles; each is SSH-signed by its actor. */
export type Action = 'propose' | 'tested' | 'approve' | 'reject' | 'merge' | 'verified' | 'emergency-merge' | 'review';

export const OPEN_STATES: readonly ChangeState[] = ['proposed', 'tests_passed', 'approved'];

/** Audit-log kinds only depwarden's own governance steps write; `audit-log record` refuses them. */
export const GOVERNANCE_EVENT_KINDS = ['proposed', 'tests_passed', 'approved', 'rejected', 'merged', 'verified', 'emergency_bypass', 'review_signed_off', 'rolled_back', 'rollback_proposed', 'rollback_started', 'rollback_abandoned', 'rollback_applied', 'known_good_recorded', 'refused', 'deploy_started', 'deploy_step', 'deploy_gate', 'deploy_succeeded', 'deploy_failed', 'deploy_rolled_back', 'deploy_resumed'] as const;

/** The fields of a change every signature binds. */
export type Bound = Pick<Change, 'id' | 'class' | 'author' | 'digest' | 'commit' | 'impact'>;

/** What every signature over a change covers: everything the gate decides on. */
function binding(gov: Gov, c: Bound): Record<string, string | boolean> {
  return { author: c.author, change: c.id, class: c.class, commit: c.commit, digest: c.digest, impact: c.impact, repository: gov.policy.repository, store: gov.storeId };
}

/** The exact text an actor signs for a step (canonical JSON). */
export function actionPayload(gov: Gov, c: Bound, action: Action, details: Record<string, unknown> = {}): string {
  return canonical({ action, ...details, ...binding(gov, c) });
}

export function proposalPayload(gov: Gov, c: Bound & Pick<Change, 'title'>): string {
  return actionPayload(gov, c, 'propose', { title: c.title });
}

export function approvalPayload(gov: Gov, c: Bound): string {
  return actionPayload(gov, c, 'approve');
}

function row(r: Record<string, unknown>): Change {
  return { id: String(r.id), title: String(r.title), class: r.class as UpdateClass, author: String(r.author), digest: String(r.digest), commit: String(r.commit ?? ''), state: r.state as ChangeState, tests: Boolean(r.tests), impact: Boolean(r.impact), created: String(r.created) };
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

/** Roles a login holds in a policy. */
export function rolesOf(config: Pick<Config, 'governance'>, login: string): string[] {
  return rolesIn(config.governance, login);
}

const VERB: Record<Action, string> = { propose: 'propose changes', tested: 'record test results', approve: 'approve', reject: 'reject', merge: 'record merges', verified: 'record verifications', 'emergency-merge': 'take the emergency lane', review: 'sign off post-update reviews' };

/** Roles that may take a step on a change of this class; undefined = a member of any role. */
export function allowedRoles(g: Governance, action: Action, cls: UpdateClass): string[] | undefined {
  const p = g.permissions;
  switch (action) {
    case 'approve':
      return undefined; // any member; an approval counts only for the roles its approver holds
    case 'reject':
      return p.reject.length ? p.reject : [...new Set(g.policy[cls].approvals.map((r) => r.role))].sort();
    case 'emergency-merge':
      return g.emergency.mergeRoles;
    case 'review':
      return [g.emergency.reviewRole];
    default:
      return p[action].length ? p[action] : undefined;
  }
}

function permitted(g: Governance, action: Action, cls: UpdateClass, login: string): boolean {
  const roles = rolesIn(g, login);
  const allowed = allowedRoles(g, action, cls);
  return roles.length > 0 && (!allowed || roles.some((r) => allowed.includes(r)));
}

/** Every refusal is an audit event (who tried what, and why it was refused), then a PolicyError. */
export async function refuse(gov: Gov, action: Action, id: string, login: string, reason: string): Promise<never> {
  await appendEvent(gov.store, { actor: login, kind: 'refused', payload: { action, change: id, reason } });
  throw new PolicyError(reason);
}

/**
 * Proves that `actor` may take this step: they hold a role the policy gives it to, and their signature of the
 * step's payload verifies against a key the trusted policy lists for them. Refusals are recorded.
 */
export async function prove(gov: Gov, c: Bound, action: Action, actor: Actor, details: Record<string, unknown> = {}, payload = actionPayload(gov, c, action, details)): Promise<{ roles: string[]; signature: string }> {
  const g = gov.policy.governance;
  const roles = rolesIn(g, actor.login);
  const allowed = allowedRoles(g, action, c.class);
  if (roles.length === 0) return refuse(gov, action, c.id, actor.login, `${actor.login} holds no role in the policy at ${gov.policy.ref} and cannot ${VERB[action]}`);
  if (allowed && !roles.some((r) => allowed.includes(r))) return refuse(gov, action, c.id, actor.login, `${actor.login} (${roles.join(', ')}) does not hold a role that may ${VERB[action]}${action === 'reject' || action === 'propose' ? ` for a ${c.class} change` : ''} (${allowed.join(', ') || 'none'})`);
  let signature: string | undefined;
  try {
    signature = actor.sign(payload);
  } catch (e) {
    if (e instanceof PolicyError) return refuse(gov, action, c.id, actor.login, e.message);
    throw e;
  }
  if (!signature) return refuse(gov, action, c.id, actor.login, `${action} of ${c.id} needs ${actor.login}'s SSH signature (--key, or --signature of: ${payload})`);
  if (!verifyBy(g, actor.login, payload, signature)) return refuse(gov, action, c.id, actor.login, `the signature is not ${actor.login}'s signature of change ${c.id} (${action}) at digest ${c.digest.slice(0, 19)}… for this repository and store, by a key the policy at ${gov.policy.ref} lists for ${actor.login}: refused`);
  return { roles, signature };
}

/**
 * Proposes the change at `commit`. depwarden computes the digest from the commit itself; the author signs the
 * proposal. `automated` is for `depwarden update` without a key: the proposal is recorded as unproven (its author
 * a name only) — the content is still bound by the digest.
 */
export async function proposeChange(gov: Gov, c: { id: string; title: string; class: UpdateClass; author: Actor; commit: string; impact?: boolean; now?: Date; automated?: boolean }): Promise<Change> {
  if (!(UPDATE_CLASSES as readonly string[]).includes(c.class)) throw new PolicyError(`class must be one of ${UPDATE_CLASSES.join(', ')}`);
  const { commit, digest } = contentDigest(gov.root, c.commit);
  const change: Change = { id: c.id, title: c.title, class: c.class, author: c.author.login, digest, commit, state: 'proposed', tests: false, impact: c.impact ?? false, created: (c.now ?? new Date()).toISOString() };
  const proof = c.automated ? undefined : await prove(gov, change, 'propose', c.author, {}, proposalPayload(gov, change));
  await gov.store.transaction(async (q) => {
    if ((await q('SELECT 1 FROM changes WHERE id = $1', [change.id])).length) throw new PolicyError(`a change ${change.id} already exists`);
    await q('INSERT INTO changes (id, title, class, author, digest, commit, state, tests, impact, created) VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10)', [change.id, change.title, change.class, change.author, change.digest, change.commit, change.state, change.tests, change.impact, change.created]);
    await appendEventIn(q, gov.store.kind, { actor: change.author, kind: 'proposed', payload: { ...JSON.parse(proposalPayload(gov, change)), ...(proof ? { signature: proof.signature } : { automated: true }) }, ...(c.now ? { time: c.now } : {}) });
  });
  return change;
}

interface StepOptions {
  action: Action;
  actor: string;
  from: readonly ChangeState[];
  /** The new state, from the locked row (tests and approvals keep or advance it; they never reopen a closed change). */
  to: ChangeState | ((c: Change) => ChangeState);
  kind: string;
  payload: Record<string, unknown>;
  set?: string; // extra SET clause
  also?: (q: Store['query']) => Promise<void>;
  time?: Date;
}

/**
 * One state change: the row is locked (`SELECT … FOR UPDATE`), its state checked, updated and the event
 * appended in the same transaction, so two steps on one change serialise and a closed change stays closed.
 */
async function step(gov: Gov, id: string, o: StepOptions): Promise<Change> {
  try {
    return await gov.store.transaction(async (q) => {
      const r = (await q('SELECT * FROM changes WHERE id = $1 FOR UPDATE', [id]))[0];
      if (!r) throw new PolicyError(`no change ${id}`);
      const c = row(r);
      const to = typeof o.to === 'function' ? o.to(c) : o.to;
      if (!o.from.includes(c.state)) throw new PolicyError(`change ${id} is ${c.state}; it cannot become ${to} (it can become: ${NEXT[c.state].join(', ') || 'nothing'})`);
      await q(`UPDATE changes SET state = $2${o.set ? `, ${o.set}` : ''} WHERE id = $1`, [id, to]);
      await o.also?.(q);
      await appendEventIn(q, gov.store.kind, { actor: o.actor, kind: o.kind, payload: { change: id, ...o.payload }, ...(o.time ? { time: o.time } : {}) });
      return row((await q('SELECT * FROM changes WHERE id = $1', [id]))[0]!);
    });
  } catch (e) {
    if (e instanceof PolicyError) return refuse(gov, o.action, id, o.actor, e.message);
    throw e;
  }
}

const NEXT: Record<ChangeState, ChangeState[]> = {
  proposed: ['tests_passed', 'approved', 'merged', 'rejected'],
  tests_passed: ['approved', 'merged', 'rejected'],
  // approved → rolled_back: a deploy of the approved change failed its gates and was rolled back.
  approved: ['merged', 'rejected', 'rolled_back'],
  merged: ['verified', 'rolled_back'],
  verified: ['rolled_back'],
  rejected: [],
  rolled_back: [],
};

/** After tests or an approval: `approved` when the gate is met, else where the tests leave it (open changes only). */
async function settle(gov: Gov, id: string): Promise<{ change: Change; gate: GateResult }> {
  const g = await gate(gov, id);
  const c = await getChange(gov.store, id);
  const next: ChangeState = g.ok ? 'approved' : c.tests ? 'tests_passed' : 'proposed';
  const r = (await gov.store.query("UPDATE changes SET state = $2 WHERE id = $1 AND state IN ('proposed', 'tests_passed', 'approved') RETURNING *", [id, next]))[0];
  return { change: r ? row(r) : await getChange(gov.store, id), gate: g };
}

export async function recordTests(gov: Gov, id: string, actor: Actor, passed: boolean): Promise<Change> {
  const c = await getChange(gov.store, id);
  const proof = await prove(gov, c, 'tested', actor, { passed });
  if (!passed) return step(gov, id, { action: 'tested', actor: actor.login, from: OPEN_STATES, to: 'rejected', kind: 'rejected', payload: { passed, reason: 'tests failed', signature: proof.signature } });
  await step(gov, id, { action: 'tested', actor: actor.login, from: OPEN_STATES, to: (now) => (now.state === 'proposed' ? 'tests_passed' : now.state), set: 'tests = true', kind: 'tests_passed', payload: { passed, signature: proof.signature } });
  return (await settle(gov, id)).change;
}

/** Records a signed approval (valid at any state before merge); the change becomes `approved` once the gate is met. */
export async function approve(gov: Gov, id: string, approver: Actor, now: Date = new Date()): Promise<{ change: Change; gate: GateResult }> {
  const c = await getChange(gov.store, id);
  if (!OPEN_STATES.includes(c.state)) return refuse(gov, 'approve', id, approver.login, `change ${id} is ${c.state}: approvals are taken until it is merged`);
  if (approver.login === c.author) return refuse(gov, 'approve', id, approver.login, `${approver.login} is the author of ${id} and cannot approve it`);
  const proof = await prove(gov, c, 'approve', approver);
  await step(gov, id, {
    action: 'approve',
    actor: approver.login,
    from: OPEN_STATES,
    to: (now) => now.state,
    kind: 'approved',
    payload: { approver: approver.login, roles: proof.roles, signature: proof.signature },
    also: async (q) => void (await q('INSERT INTO approvals (change_id, approver, roles, signature, time) VALUES ($1,$2,$3,$4,$5) ON CONFLICT (change_id, approver) DO UPDATE SET signature = EXCLUDED.signature, time = EXCLUDED.time, roles = EXCLUDED.roles', [id, approver.login, JSON.stringify(proof.roles), proof.signature, now.toISOString()])),
    time: now,
  });
  return settle(gov, id);
}

export interface GateResult {
  ok: boolean;
  missing: string[];
}

/** A change as its signed events in the audit log tell it. */
export interface SignedRecord {
  proposal?: Pick<Change, 'id' | 'title' | 'class' | 'author' | 'digest' | 'commit' | 'impact'> & { automated: boolean };
  problems: string[];
  tests: boolean;
  rejected: boolean;
  approvers: string[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/**
 * Rebuilds a change from the audit log: the chain must be intact, the proposal signed by its author for this
 * repository and store, and only steps whose signatures verify against the trusted policy count (a forged or
 * replayed event does not). A rejection counts whoever wrote it: refusing is the safe side.
 */
export async function signedRecord(gov: Gov, id: string, entries?: AuditEntry[]): Promise<SignedRecord> {
  const log = entries ?? (await readLog(gov.store));
  const g = gov.policy.governance;
  const out: SignedRecord = { problems: [], tests: false, rejected: false, approvers: [] };
  const broken = verifyLog(log);
  if (broken.length) out.problems.push(`the audit log is broken (${broken.length} problem(s); see depwarden audit-log verify)`);
  const events = log.filter((e) => e.payload !== null && typeof e.payload === 'object' && (e.payload as { change?: unknown }).change === id);
  const proposed = events.find((e) => e.kind === 'proposed');
  if (!proposed) {
    out.problems.push(`the audit log holds no proposal of ${id}`);
    return out;
  }
  const p = proposed.payload as Record<string, unknown>;
  const cls = str(p.class) as UpdateClass;
  const pc = { id, title: str(p.title), class: cls, author: str(p.author), digest: str(p.digest), commit: str(p.commit), impact: p.impact === true, automated: p.automated === true && p.signature === undefined };
  if (!(UPDATE_CLASSES as readonly string[]).includes(cls)) out.problems.push(`the proposal of ${id} names no valid class`);
  if (p.repository !== gov.policy.repository || p.store !== gov.storeId) out.problems.push(`the proposal of ${id} was made for another repository or store`);
  else if (!pc.automated && !verifyBy(g, pc.author, proposalPayload(gov, pc), str(p.signature))) out.problems.push(`the proposal of ${id} is not signed by ${pc.author} with a key the policy at ${gov.policy.ref} lists`);
  out.proposal = pc;
  const approvers = new Set<string>();
  for (const e of events) {
    const d = e.payload as Record<string, unknown>;
    if (e.kind === 'rejected') out.rejected = true;
    else if (e.kind === 'tests_passed') {
      if (permitted(g, 'tested', cls, e.actor) && verifyBy(g, e.actor, actionPayload(gov, pc, 'tested', { passed: true }), str(d.signature))) out.tests = true;
    } else if (e.kind === 'approved') {
      const who = str(d.approver);
      if (who && who !== pc.author && verifyBy(g, who, approvalPayload(gov, pc), str(d.signature))) approvers.add(who);
    }
  }
  out.approvers = [...approvers].sort();
  return out;
}

/** Does the change's commit edit the governance policy (against where it branched from the trusted ref)? */
async function editsPolicy(gov: Gov, commit: string): Promise<boolean> {
  let base: string | undefined;
  try {
    base = execGit(gov.root, 'merge-base', commit, gov.policy.commit);
  } catch {
    base = gov.policy.commit;
  }
  if (base === commit) {
    // Already part of the trusted ref: what it changed is against its first parent.
    base = commitOf(gov.root, `${commit}^`) ?? commit;
  }
  try {
    return canonical((await configAt(gov.root, commit)).governance) !== canonical((await configAt(gov.root, base)).governance);
  } catch {
    return true; // a policy that does not parse is a change to it
  }
}

/**
 * Is the policy met for this change? Decided from the signed record only (see `signedRecord`), under the policy
 * read from the trusted ref; the stored row must agree with the signed proposal, and the commit must still have
 * the signed digest. A change that edits the governance policy also needs the approvals of
 * `governance.policyChangeClass` as the current policy names them.
 */
export async function gate(gov: Gov, id: string): Promise<GateResult> {
  const c = await getChange(gov.store, id);
  const r = await signedRecord(gov, id);
  const missing = [...r.problems];
  const p = r.proposal;
  if (p) {
    const differs = (['class', 'author', 'digest', 'commit', 'impact'] as const).filter((k) => c[k] !== p[k]);
    if (differs.length) missing.push(`the stored change disagrees with its signed proposal (${differs.map((k) => `${k}: ${String(c[k]) || '(none)'} stored, ${String(p[k])} signed`).join('; ')})`);
    if (!commitOf(gov.root, p.commit)) missing.push(`the change's commit ${p.commit.slice(0, 12)} is not in this repository`);
    else if (contentDigest(gov.root, p.commit).digest !== p.digest) missing.push(`the dependency files of ${p.commit.slice(0, 12)} do not have the signed digest`);
    const g = gov.policy.governance;
    const policy = g.policy[p.class] ?? g.policy.major;
    const reqs = new Map(policy.approvals.map((a) => [a.role, a.count]));
    let tests = policy.tests;
    let impact = policy.impactAssessment;
    if (p.commit && commitOf(gov.root, p.commit) && (await editsPolicy(gov, p.commit))) {
      const extra = g.policy[g.policyChangeClass];
      for (const a of extra.approvals) reqs.set(a.role, Math.max(reqs.get(a.role) ?? 0, a.count));
      tests ||= extra.tests;
      impact ||= extra.impactAssessment;
    }
    if (tests && !r.tests) missing.push('tests have not passed');
    if (impact && !p.impact) missing.push('no impact assessment attached');
    for (const [role, count] of reqs) {
      const have = r.approvers.filter((a) => rolesIn(g, a).includes(role)).length;
      if (have < count) missing.push(`${count - have} more approval${count - have > 1 ? 's' : ''} from ${role}`);
    }
  }
  if (r.rejected || c.state === 'rejected' || c.state === 'rolled_back') missing.push(`the change is ${c.state === 'rolled_back' ? 'rolled back' : 'rejected'}`);
  return { ok: missing.length === 0, missing };
}

export async function reject(gov: Gov, id: string, actor: Actor, reason: string): Promise<Change> {
  const c = await getChange(gov.store, id);
  if (!reason.trim()) return refuse(gov, 'reject', id, actor.login, 'a rejection needs a reason');
  const proof = await prove(gov, c, 'reject', actor, { reason });
  return step(gov, id, { action: 'reject', actor: actor.login, from: OPEN_STATES, to: 'rejected', kind: 'rejected', payload: { reason, signature: proof.signature } });
}

/**
 * Records that the change was merged elsewhere (on the forge, or by git): `into` (default: the trusted ref) must
 * be a commit of this repository that contains the change — its commit is an ancestor, or (a squash) its
 * dependency files have the change's digest — and the gate must be met. depwarden does not write to git here.
 */
export async function merge(gov: Gov, id: string, actor: Actor, into?: string): Promise<Change> {
  const c = await getChange(gov.store, id);
  // The gate first: once it passes, the row agrees with the signed proposal, so the digest below is the signed one.
  const g = await gate(gov, id);
  if (!g.ok) return refuse(gov, 'merge', id, actor.login, `change ${id} cannot be merged: ${g.missing.join('; ')}`);
  const target = into ?? gov.policy.ref;
  const mergeCommit = commitOf(gov.root, target);
  if (!mergeCommit) return refuse(gov, 'merge', id, actor.login, `${target} is not a commit of this repository: give the merge commit (--into)`);
  if (!isAncestor(gov.root, mergeCommit, commitOf(gov.root, gov.policy.ref) ?? gov.policy.commit)) return refuse(gov, 'merge', id, actor.login, `${target} (${mergeCommit.slice(0, 12)}) is not on the trusted ref ${gov.policy.ref}: a merge is recorded once it is there`);
  if (!containsChange(gov.root, c, mergeCommit)) return refuse(gov, 'merge', id, actor.login, `${target} (${mergeCommit.slice(0, 12)}) does not contain change ${id} as approved: neither it nor a merged parent has the change's dependency files (${c.digest.slice(0, 19)}…); merge the change's branch as approved first`);
  const proof = await prove(gov, c, 'merge', actor, { into: mergeCommit });
  // A manual rollback owes a post-update review once merged, like an automatic one (governance.rollbackReview).
  const review = gov.policy.governance.rollbackReview;
  const owesReview = c.class === 'rollback';
  const due = new Date(Date.now() + review.deadlineHours * 3600_000).toISOString();
  return step(gov, id, {
    action: 'merge',
    actor: actor.login,
    from: OPEN_STATES,
    to: 'merged',
    kind: 'merged',
    payload: { into: mergeCommit, signature: proof.signature, ...(owesReview ? { reviewRole: review.role, reviewDue: due } : {}) },
    ...(owesReview ? { also: async (q: Store['query']) => void (await q('INSERT INTO reviews (change_id, role, due, reason) VALUES ($1, $2, $3, $4) ON CONFLICT (change_id) DO NOTHING', [id, review.role, due, `manual rollback ${id}: post-update review`])) } : {}),
  });
}

/**
 * Does `mergeCommit` bring in exactly the approved content? Its dependency files have the change's digest
 * (fast-forward, squash), or it merges a parent that descends from the change's commit and has that digest (a
 * merge commit). A branch that grew after the approval has another digest and is not the approved change.
 */
function containsChange(root: string, c: Change, mergeCommit: string): boolean {
  if (!c.commit) return false;
  if (contentDigest(root, mergeCommit).digest === c.digest) return true;
  const parents = (commitOf(root, mergeCommit) ? execGit(root, 'rev-list', '--parents', '-n', '1', mergeCommit) : '').split(' ').slice(1);
  return parents.some((p) => isAncestor(root, c.commit, p) && contentDigest(root, p).digest === c.digest);
}

export async function verifyChange(gov: Gov, id: string, actor: Actor): Promise<Change> {
  const c = await getChange(gov.store, id);
  const proof = await prove(gov, c, 'verified', actor);
  return step(gov, id, { action: 'verified', actor: actor.login, from: ['merged'], to: 'verified', kind: 'verified', payload: { signature: proof.signature } });
}
