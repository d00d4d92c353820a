import { getChange, proposeChange, PolicyError } from '../governance/changes.ts';
import { type Actor, type Gov, unprovenActor } from '../governance/trust.ts';
import type { Store } from '../store/store.ts';
import type { PlannedChange } from './plan.ts';

/**
 * Every published update is a governance change (proposed, with an impact assessment attached), so approvals,
 * the gate and the audit trail apply to it like to any other change. Same store as `depwarden changes`.
 */
export async function openChangeCount(store: Store): Promise<number> {
  const r = await store.query<{ n: string | number }>("SELECT count(*) AS n FROM changes WHERE state IN ('proposed', 'tests_passed', 'approved')");
  return Number(r[0]?.n ?? 0);
}

/** The change id is the plan's slug plus the content digest: new content is a new change, a re-run is not. */
export async function registerChange(gov: Gov, change: PlannedChange, digest: string, commit: string, actor: string | Actor, now: Date): Promise<string> {
  const id = `${change.slug}-${digest.slice(0, 10)}`;
  try {
    await getChange(gov.store, id);
    return id;
  } catch (e) {
    if (!(e instanceof PolicyError)) throw e;
  }
  // Without a key the bot's proposal is recorded as unproven; governance still binds it to the commit's digest.
  await proposeChange(gov, { id, title: change.title, class: change.class, author: typeof actor === 'string' ? unprovenActor(actor) : actor, commit, impact: true, now, automated: typeof actor === 'string' });
  return id;
}
