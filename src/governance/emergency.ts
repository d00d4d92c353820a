import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Store } from '../store/store.ts';
import { appendEvent, canonical } from './audit-log.ts';
import { type Change, getChange, PolicyError, rolesOf, verifySignature } from './changes.ts';

/**
 * The emergency lane: a security fix merged without the normal approvals, only when the policy allows it. The
 * bypass is an audit event, and a post-update review is opened with a deadline; until someone with the review
 * role signs it off, `changes list` and `check` report it once overdue.
 */
export function reviewPayload(change: Pick<Change, 'id' | 'digest'>): string {
  return canonical({ change: change.id, decision: 'post-update-review', digest: change.digest });
}

export async function emergencyMerge(store: Store, config: Config, id: string, actor: string, reason: string, now: Date = new Date()): Promise<Change> {
  const e = config.governance.emergency;
  const c = await getChange(store, id);
  if (!e.allowed) throw new PolicyError('the policy does not allow emergency merges (governance.emergency.allowed: false)');
  if (c.class !== 'security') throw new PolicyError(`change ${id} is a ${c.class} update: only security fixes may take the emergency lane`);
  if (c.state !== 'proposed' && c.state !== 'tests_passed') throw new PolicyError(`change ${id} is ${c.state}: only an open change can be merged`);
  if (!reason.trim()) throw new PolicyError('an emergency merge needs a reason');
  const due = new Date(now.getTime() + e.reviewDeadlineHours * 3600_000).toISOString();
  await store.transaction(async (q) => {
    await q('UPDATE changes SET state = $2 WHERE id = $1', [id, 'merged']);
    await q('INSERT INTO reviews (change_id, role, due, reason) VALUES ($1, $2, $3, $4)', [id, e.reviewRole, due, reason]);
  });
  await appendEvent(store, { actor, kind: 'emergency_bypass', payload: { change: id, reason, reviewRole: e.reviewRole, reviewDue: due }, time: now });
  return { ...c, state: 'merged' };
}

export async function signOffReview(store: Store, config: Config, id: string, reviewer: string, signature: string, now: Date = new Date()): Promise<void> {
  const c = await getChange(store, id);
  const r = (await store.query<{ role: string; signed_off_by: string | null }>('SELECT role, signed_off_by FROM reviews WHERE change_id = $1', [id]))[0];
  if (!r) throw new PolicyError(`change ${id} owes no post-update review`);
  if (r.signed_off_by) throw new PolicyError(`the review of ${id} was already signed off by ${r.signed_off_by}`);
  if (!rolesOf(config, reviewer).includes(r.role)) throw new PolicyError(`${reviewer} does not hold the ${r.role} role the review needs`);
  if (reviewer === c.author) throw new PolicyError(`${reviewer} is the author of ${id} and cannot review it`);
  if (!verifySignature(config, reviewer, reviewPayload(c), signature)) throw new PolicyError(`the signature is not ${reviewer}'s review of change ${id}`);
  await store.query('UPDATE reviews SET signed_off_by = $2, signed_off_at = $3 WHERE change_id = $1', [id, reviewer, now.toISOString()]);
  await appendEvent(store, { actor: reviewer, kind: 'review_signed_off', payload: { change: id }, time: now });
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
