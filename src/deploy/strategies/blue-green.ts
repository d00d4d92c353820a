import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../../edit/atomic-write.ts';
import type { Group } from '../drivers/driver.ts';
import { runAnalysis } from '../gates/analysis.ts';
import { readiness } from '../gates/readiness.ts';
import type { GateResult, RolloutContext, RolloutResult, Strategy } from './strategy.ts';

/**
 * Blue/green: the new version starts as a full second copy next to the live one and gets no traffic until its
 * readiness gate passed; then the front switches to it in one step and the analysis window judges it under real
 * traffic. A failed gate switches back to the old side, which was kept running (instant switch-back); after a
 * pass the old side keeps running `blueKeepSeconds` and is stopped by the next deploy (or at once when 0).
 *
 * Which side is live is recorded in `<stateDir>/live.json`, written atomically before and after each switch.
 */
interface LiveState {
  live: Group;
  /** The side kept for switch-back, and until when (ISO). */
  kept?: { group: Group; until: string };
}

const stateFile = (ctx: RolloutContext): string => path.join(ctx.stateDir, 'live.json');
export function readLive(ctx: RolloutContext): LiveState | undefined {
  const f = stateFile(ctx);
  return existsSync(f) ? (JSON.parse(readFileSync(f, 'utf8')) as LiveState) : undefined;
}
function writeLive(ctx: RolloutContext, s: LiveState): void {
  mkdirSync(ctx.stateDir, { recursive: true });
  writeFileAtomic(stateFile(ctx), Buffer.from(`${JSON.stringify(s)}\n`));
}
const other = (g: Group): Group => (g === 'blue' ? 'green' : 'blue');

async function routeTo(ctx: RolloutContext, group: Group): Promise<string[]> {
  const inst = (await ctx.driver.observe(ctx.t, group)).filter((i) => !i.stopping);
  await ctx.driver.shiftTraffic(ctx.t, inst.map((i) => ({ endpoint: i.endpoint, state: 'ready' as const })));
  return inst.map((i) => i.endpoint);
}

export const blueGreen: Strategy = {
  name: 'blue-green',
  async run(ctx, from, to) {
    const gates: GateResult[] = [];
    const state = readLive(ctx);
    const groups = await ctx.driver.current(ctx.t);
    const live: Group | undefined = state?.live ?? groups.find((g) => g.group !== 'main')?.group;
    const idle: Group = live ? other(live) : 'blue';
    // The side kept for switch-back is replaced now: its keep time is over, since a new version is coming.
    if (groups.some((g) => g.group === idle)) await ctx.driver.stopOld(ctx.t, idle);
    if (live) writeLive(ctx, { live });
    const fail = async (failed: string, reason: string): Promise<RolloutResult> => {
      const detectedAtMs = ctx.elapsed();
      await ctx.step('rollback_start', { failed, reason, to: from, group: live ?? null });
      if (live) {
        await routeTo(ctx, live);
        writeLive(ctx, { live });
      }
      const restoredAtMs = ctx.elapsed();
      await ctx.driver.stopOld(ctx.t, idle);
      await ctx.step('rollback_done', { live: from });
      return { ok: false, gates, failed, reason, detectedAtMs, restoredAtMs, live: from };
    };
    await ctx.step('start_new', { group: idle, image: to });
    try {
      await ctx.driver.startNew(ctx.t, idle, to, new AbortController().signal);
    } catch (e) {
      const r = { gate: 'readiness' as const, ok: false, probes: {}, waitedMs: 0, reason: e instanceof Error ? e.message : String(e) };
      gates.push(r);
      await ctx.onGate(r);
      return fail('driver', r.reason);
    }
    const endpoints = (await ctx.driver.observe(ctx.t, idle)).filter((i) => i.image === to && !i.stopping).map((i) => i.endpoint);
    const ready = await readiness(ctx.readiness, endpoints);
    gates.push(ready);
    await ctx.onGate(ready);
    if (!ready.ok) return fail('readiness', ready.reason ?? 'not ready');
    await ctx.step('switch', { from: live ?? null, to: idle });
    await routeTo(ctx, idle);
    writeLive(ctx, { live: idle, ...(live ? { kept: { group: live, until: new Date(Date.now() + ctx.blueKeepSeconds * 1000).toISOString() } } : {}) });
    const a = await runAnalysis(ctx.analysis, async () => endpoints, async () => ({ service: ctx.t.name, ...(await ctx.driver.metricLabels(ctx.t, endpoints)) }));
    gates.push(a);
    await ctx.onGate(a);
    if (!a.ok) return fail('analysis', a.reason ?? 'analysis failed');
    if (live && ctx.blueKeepSeconds === 0) {
      await new Promise((r) => setTimeout(r, ctx.t.drainMs));
      await ctx.driver.stopOld(ctx.t, live);
      writeLive(ctx, { live: idle });
    }
    return { ok: true, gates, live: [to] };
  },
  async restore(ctx, to) {
    // The side that runs `to` gets the traffic; without one, the live side is started on `to` first.
    const groups = await ctx.driver.current(ctx.t);
    let side = groups.find((g) => g.group !== 'main' && g.image === to)?.group;
    if (!side) {
      side = readLive(ctx)?.live ?? 'blue';
      await ctx.driver.startNew(ctx.t, side, to, new AbortController().signal);
    }
    await routeTo(ctx, side);
    writeLive(ctx, { live: side });
    for (const g of groups) if (g.group !== side && g.group !== 'main') await ctx.driver.stopOld(ctx.t, g.group);
  },
};
