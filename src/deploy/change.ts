import { appendEvent } from '../governance/audit-log.ts';
import { getChange } from '../governance/changes.ts';
import { recordHealthyImages } from '../governance/rollback.ts';
import { type AlsoRolledBack, deploy, type DeployEnv, type DeployOutcome, driverSetup, reportFailure, STRATEGIES } from './deploy.ts';
import { DeployError } from './errors.ts';
import { finishRecord } from './records.ts';
import type { RolloutContext } from './strategies/strategy.ts';

/**
 * One change, many services: the images of one approved change rolled out in waves — the first
 * `deploy.waves.first` services (in the order given), then the rest — each with its own gates. One failed gate
 * anywhere aborts the change everywhere: every service already updated goes back to the images it ran before
 * (its known good), and there is one verdict: one notice naming the dependency change, one post-mortem, the
 * change `rolled_back`. Known-good records gain the new images only when the whole change passed.
 */
export interface ChangeOutcome {
  ok: boolean;
  change: string;
  waves: string[][];
  deploys: DeployOutcome[];
  failed?: { service: string; gate: string; reason: string };
  postmortem?: string;
}

export async function deployChange(env: DeployEnv, change: string, images: [service: string, image: string][]): Promise<ChangeOutcome> {
  const c = await getChange(env.store, change).catch(() => undefined);
  if (!c) throw new DeployError(`no change ${change} in this repository's store`);
  if (!images.length) throw new DeployError('deploy --change needs one --image SERVICE=NAME@sha256:<digest> per service of the change');
  const first = env.config.deploy.waves.first;
  const waves = [images.slice(0, first).map(([s]) => s), images.slice(first).map(([s]) => s)].filter((w) => w.length);
  await appendEvent(env.store, { actor: env.actor, kind: 'deploy_step', payload: { change, step: 'waves', waves } });
  const done: DeployOutcome[] = [];
  for (const wave of waves) {
    // A wave's services roll out one after another: the front of each is its own, the verdict is shared.
    for (const service of wave) {
      const image = images.find(([s]) => s === service)![1];
      const out = await deploy(env, { service, image, change, collective: true });
      if (out.result.ok) {
        done.push(out);
        continue;
      }
      // Abort everywhere: every service already updated goes back to what it ran before, newest first.
      const also: AlsoRolledBack[] = [];
      for (const d of [...done].reverse()) {
        const from = d.record.from ? d.record.from.split(',') : [];
        const setup = await driverSetup(env, d.record.service);
        const started = Date.now();
        const ctx: RolloutContext = { ...setup.ctxBase, step: async (what, payload = {}) => void (await appendEvent(env.store, { actor: env.actor, kind: 'deploy_step', payload: { deploy: d.record.id, service: d.record.service, step: what, ...payload } })), elapsed: () => Date.now() - started, onGate: async () => {} };
        await ctx.step('rollback_start', { reason: `change ${change} failed in ${service}`, to: from });
        if (from.length) await STRATEGIES[d.record.strategy]!.restore(ctx, from[0]!);
        else for (const g of await setup.driver.current(setup.ctxBase.t)) await setup.driver.stopOld(setup.ctxBase.t, g.group);
        await ctx.step('rollback_done', { live: from });
        await finishRecord(env.store, d.record.id, { outcome: 'rolled_back', gates: d.record.gates, finished: new Date().toISOString(), durationMs: Date.now() - Date.parse(d.record.started), detail: `passed its own gates; rolled back because change ${change} failed in ${service}` });
        also.push({ service: d.record.service, deployId: d.record.id, from, to: d.record.to });
      }
      const rec = out.record;
      const report = await reportFailure(env, { id: rec.id, req: { service, image, change }, from: rec.from ? rec.from.split(',') : [], to: rec.to, result: out.result, durationMs: rec.durationMs ?? 0, finished: new Date(), also });
      return { ok: false, change, waves, deploys: [...done, report], failed: { service, gate: out.result.failed ?? '?', reason: out.result.reason ?? '' }, ...(report.postmortem ? { postmortem: report.postmortem } : {}) };
    }
  }
  for (const d of done) await recordHealthyImages(env.store, d.record.service, [d.record.to], { actor: env.actor, deployId: d.record.id, checks: [...d.result.gates.map((g) => `${g.gate}:passed`), `change:${change}`] });
  await appendEvent(env.store, { actor: env.actor, kind: 'deploy_succeeded', payload: { change, services: done.map((d) => d.record.service) } });
  return { ok: true, change, waves, deploys: done };
}
