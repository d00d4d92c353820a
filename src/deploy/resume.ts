import { appendEvent } from '../governance/audit-log.ts';
import { applyAutomaticRollback } from '../governance/rollback.ts';
import { type DeployEnv, driverSetup, STRATEGIES } from './deploy.ts';
import { finishRecord, unfinished } from './records.ts';
import type { RolloutContext } from './strategies/strategy.ts';

/**
 * Ends the deploys an earlier run started and never finished (its process was killed): each service is brought
 * back to the images it ran before that deploy (its last known good), by the same strategy and without gates,
 * and the record is closed as `interrupted` — never left half-switched without a record. A deploy that had
 * nothing before it (a first deploy) is removed.
 */
export async function resume(env: DeployEnv): Promise<{ id: string; service: string; outcome: string; live: string }[]> {
  const out: { id: string; service: string; outcome: string; live: string }[] = [];
  for (const rec of await unfinished(env.store)) {
    const started = Date.now();
    const setup = await driverSetup(env, rec.service);
    const strategy = STRATEGIES[rec.strategy]!;
    const ctx: RolloutContext = {
      ...setup.ctxBase,
      step: async (what, payload = {}) => void (await appendEvent(env.store, { actor: env.actor, kind: 'deploy_step', payload: { deploy: rec.id, service: rec.service, step: what, resumed: true, ...payload } })),
      elapsed: () => Date.now() - started,
      onGate: async () => {},
    };
    const from = rec.from ? rec.from.split(',') : [];
    await appendEvent(env.store, { actor: env.actor, kind: 'deploy_resumed', payload: { deploy: rec.id, service: rec.service, from, to: rec.to, action: from.length ? `restore ${from[0]}` : 'remove (first deploy)' } });
    if (from.length) await strategy.restore(ctx, from[0]!);
    else for (const g of await setup.driver.current(setup.ctxBase.t)) await setup.driver.stopOld(setup.ctxBase.t, g.group);
    const reason = 'the deploy was interrupted (its process died) and was not judged by its gates';
    if (from.length) await applyAutomaticRollback(env.store, env.config.governance, { service: rec.service, deployId: rec.id, to: from, from: [rec.to], reason, ...(rec.change ? { badChange: rec.change } : {}), actor: env.actor });
    await finishRecord(env.store, rec.id, { outcome: 'interrupted', gates: rec.gates, finished: new Date().toISOString(), durationMs: Date.now() - Date.parse(rec.started), detail: `${reason}; resumed: ${from.length ? `${from[0]} restored` : 'removed'}` });
    out.push({ id: rec.id, service: rec.service, outcome: 'interrupted', live: from.join(',') || '(nothing)' });
  }
  return out;
}
