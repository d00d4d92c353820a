import type { Finding } from '../model/finding.ts';
import type { Store } from '../store/store.ts';
import { appendEventIn } from './audit-log.ts';
import { actionPayload, type Bound, type Change, getChange, OPEN_STATES, PolicyError, prove, refuse, signedRecord } from './changes.ts';
import type { Actor, Gov } from './trust.ts';

/**
 * The emergency lane: a security fix merged without the normal approvals, only when the policy allows it and only
 * by a member of `governance.emergency.mergeRoles` (SSH-signed). The bypass is an audit event, and a post-update
 * review is opened with a deadline; until someone with the review role signs it off, `changes list` and `check`
 * report it once overdue.
 */
export function reviewPayload(gov: Gov, change: Bound): string {
  return actionPayload(gov, change, 'review');
}

export async function emergencyMerge(gov: Gov, id: string, actor: Actor, reason: string, now: Date = new Date()): Promise<Change> {
  const e = gov.policy.governance.emergency;
  const c = await getChange(gov.store, id);
  const no = (why: string) => refuse(gov, 'emergency-merge', id, actor.login, why);
  if (!e.allowed) return no('the policy does not allow emergency merges (governance.emergency.allowed: false)');
  // The class is the signed one, not the row's: a row edited to `security` does not open the lane.
  const signed = await signedRecord(gov, id);
  if (signed.problems.length) return no(`change ${id} cannot take the emergency lane: ${signed.problems.join('; ')}`);
  if (signed.proposal!.class !== 'security' || c.class !== 'security') return no(`change ${id} is a ${signed.proposal!.class} update: only security fixes may take the emergency lane`);
  if (!OPEN_STATES.includes(c.state)) return no(`change ${id} is ${c.state}: only an open change can be merged`);
  if (!reason.trim()) return no('an emergency merge needs a reason');
  const proof = await prove(gov, c, 'emergency-merge', actor, { reason });
  const due = new Date(now.getTime() + e.reviewDeadlineHours * 3600_000).toISOString();
  try {
    return await gov.store.transaction(async (q) => {
      const r = (await q<{ state: string }>('SELECT state FROM changes WHERE id = $1 FOR UPDATE', [id]))[0];
      if (!r || !OPEN_STATES.includes(r.state as Change['state'])) throw new PolicyError(`change ${id} is ${r?.state ?? 'gone'}: only an open change can be merged`);
      await q('UPDATE changes SET state = $2 WHERE id = $1', [id, 'merged']);
      await q('INSERT INTO reviews (change_id, role, due, reason) VALUES ($1, $2, $3, $4)', [id, e.reviewRole, due, reason]);
      await appendEventIn(q, gov.store.kind, { actor: actor.login, kind: 'emergency_bypass', payload: { change: id, reason, reviewRole: e.reviewRole, reviewDue: due, signature: proof.signature }, time: now });
      return { ...c, state: 'merged' as const };
    });
  } catch (err) {
    if (err instanceof PolicyError) return no(err.message);
    throw err;
  }
}

export async function signOffReview(gov: Gov, id: string, reviewer: Actor, now: Date = new Date()): Promise<void> {
  const c = await getChange(gov.store, id);
  const no = (why: string) => refuse(gov, 'review', id, reviewer.login, why);
  const r = (await gov.store.query<{ role: string; signed_off_by: string | null }>('SELECT role, signed_off_by FROM reviews WHERE change_id = $1', [id]))[0];
  if (!r) return no(`change ${id} owes no post-update review`);
  if (r.signed_off_by) return no(`the review of ${id} was already signed off by ${r.signed_off_by}`);
  if (reviewer.login === c.author) return no(`${reviewer.login} is the author of ${id} and cannot review it`);
  const proof = await prove(gov, c, 'review', reviewer);
  const done = await gov.store.transaction(async (q) => {
    const rows = await q('UPDATE reviews SET signed_off_by = $2, signed_off_at = $3 WHERE change_id = $1 AND signed_off_by IS NULL RETURNING change_id', [id, reviewer.login, now.toISOString()]);
    if (rows.length) await appendEventIn(q, gov.store.kind, { actor: reviewer.login, kind: 'review_signed_off', payload: { change: id, signature: proof.signature }, time: now });
    return rows.length > 0;
  });
  if (!done) return no(`the review of ${id} was signed off meanwhile`);
}

export async function openReviews(store: Store): Promise<{ changeId: string; role: string; due: string; reason: string }[]> {
  return (await store.query<{ change_id: string; role: string; due: string; reason: string }>('SELECT change_id, role, due, reason FROM reviews WHERE signed_off_by IS NULL ORDER BY due')).map((r) => ({ changeId: r.change_id, role: r.role, due: r.due, reason: r.reason }));
}

/** DW501 for every post-update review past its deadline. */
export async function governanceFindings(store: Store, now: Date): Promise<Finding[]> {
  return (await openReviews(store))
    .filter((r) => r.due < now.toISOString())
    .map((r) => ({
      ruleId: 'DW501',
      severity: 'high' as const,
      message: `the post-update review of emergency change ${r.changeId} was due ${r.due} and is not signed off (${r.reason})`,
      hint: `Someone with the ${r.role} role reviews the change and signs off: depwarden changes review ${r.changeId} --as <login> --key <ssh key>.`,
      location: { file: '.depwarden/audit-head', line: 1, column: 1 },
      subject: r.changeId,
    }));
}
