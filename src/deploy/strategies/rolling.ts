import { readiness } from '../gates/readiness.ts';
import { runAnalysis } from '../gates/analysis.ts';
import type { GateResult, RolloutContext, RolloutResult, Strategy } from './strategy.ts';
import { TrafficSync } from './traffic-sync.ts';

/**
 * Rolling: the engine replaces instances in place, start-first and `parallelism` at a time, while the traffic
 * front follows it (a new instance gets traffic once its readiness probe passed, a stopping one is drained).
 * Gates: readiness of each new instance as it comes (the first one not ready aborts at once), then the analysis
 * window over the new version. A failed gate rolls the service back to `from` the same way, start-first.
 */
export const rolling: Strategy = {
  name: 'rolling',
  async run(ctx, from, to) {
    const gates: GateResult[] = [];
    const sync = new TrafficSync(ctx, ['main']);
    sync.watch = to;
    sync.start();
    const abort = new AbortController();
    let failure: { failed: string; reason: string; detectedAtMs: number } | undefined;
    const watchdog = setInterval(() => {
      const bad = sync.firstUnready();
      if (bad && !abort.signal.aborted) {
        failure = { failed: 'readiness', reason: `new instance ${bad.endpoint} not ready within ${ctx.readiness.timeoutMs} ms (${bad.error})`, detectedAtMs: ctx.elapsed() };
        abort.abort();
      }
    }, 100);
    try {
      await ctx.step('start_new', { group: 'main', image: to });
      try {
        await ctx.driver.startNew(ctx.t, 'main', to, abort.signal);
      } catch (e) {
        failure ??= { failed: 'driver', reason: e instanceof Error ? e.message : String(e), detectedAtMs: ctx.elapsed() };
      }
      if (!failure) {
        await sync.tick();
        const endpoints = (await ctx.driver.observe(ctx.t, 'main')).filter((i) => i.image === to && !i.stopping).map((i) => i.endpoint);
        const r = await readiness(ctx.readiness, endpoints);
        gates.push(r);
        await ctx.onGate(r);
        if (!r.ok) failure = { failed: 'readiness', reason: r.reason ?? 'not ready', detectedAtMs: ctx.elapsed() };
      } else {
        const r = { gate: 'readiness' as const, ok: false, probes: {}, waitedMs: 0, reason: failure.reason };
        gates.push(r);
        await ctx.onGate(r);
      }
      if (!failure) {
        // Every new instance must be in the front before the window opens (the next sync tick puts it there).
        for (let i = 0; i < 20 && sync.readyOf(to).length < ctx.t.replicas; i++) await new Promise((r) => setTimeout(r, 100));
        const newEndpoints = async () => sync.readyOf(to).map((i) => i.endpoint);
        const a = await runAnalysis(ctx.analysis, newEndpoints, async () => ({ service: ctx.t.name, ...(await ctx.driver.metricLabels(ctx.t, await newEndpoints())) }));
        gates.push(a);
        await ctx.onGate(a);
        if (!a.ok) failure = { failed: 'analysis', reason: a.reason ?? 'analysis failed', detectedAtMs: ctx.elapsed() };
      }
      if (!failure) return { ok: true, gates, live: [to] };
      // Roll back: the previous image, the same start-first way; the front keeps following.
      sync.watch = undefined;
      await ctx.step('rollback_start', { failed: failure.failed, reason: failure.reason, to: from });
      if (from.length) await ctx.driver.startNew(ctx.t, 'main', from[0]!, new AbortController().signal);
      else await ctx.driver.stopOld(ctx.t, 'main');
      await sync.tick();
      const restoredAtMs = ctx.elapsed();
      await ctx.step('rollback_done', { live: from });
      return { ok: false, gates, ...failure, restoredAtMs, live: from };
    } finally {
      clearInterval(watchdog);
      await sync.stop();
    }
  },
  async restore(ctx, to) {
    const sync = new TrafficSync(ctx, ['main']);
    sync.start();
    try {
      await ctx.driver.startNew(ctx.t, 'main', to, new AbortController().signal);
      await sync.tick();
    } finally {
      await sync.stop();
    }
  },
};
