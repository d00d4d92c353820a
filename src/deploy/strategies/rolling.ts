import { UnhealthyError } from '../errors.ts';
import { readiness } from '../gates/readiness.ts';
import { type AnalysisResult, runAnalysis } from '../gates/analysis.ts';
import type { GateResult, RolloutContext, RolloutResult, Strategy } from './strategy.ts';
import { TrafficSync } from './traffic-sync.ts';

/**
 * Rolling: the engine replaces instances in place, start-first and `parallelism` at a time, while the traffic
 * front follows it (a new instance gets traffic once its readiness probe passed, a stopping one is drained).
 *
 * Gates: readiness of each new instance as it comes (the first one not ready aborts at once); the analysis
 * window runs in the background from the first ready new instance on (as Argo Rollouts' background analysis),
 * window after window while the rollout goes on, and one full window once every instance is new. A failed gate
 * first takes the new version out of traffic where old instances still run (service restored), then rolls the
 * engine back to `from`, start-first, all instances at once.
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
    const fail = (failed: string, reason: string) => {
      if (failure) return;
      failure = { failed, reason, detectedAtMs: ctx.elapsed() };
      sync.exclude = to;
      abort.abort();
    };
    const watchdog = setInterval(() => {
      const bad = sync.firstUnready();
      if (bad) fail('readiness', `new instance ${bad.endpoint} not ready within ${ctx.readiness.timeoutMs} ms (${bad.error})`);
    }, 100);
    const newEndpoints = async () => sync.readyOf(to).map((i) => i.endpoint);
    const vars = async () => ({ service: ctx.t.name, ...(await ctx.driver.metricLabels(ctx.t, await newEndpoints())) });
    let rolledOut = false;
    let lastWindow: AnalysisResult | undefined;
    // Background analysis: windows over the new instances while the engine replaces the rest.
    const background = (async () => {
      while (!rolledOut && !abort.signal.aborted && !sync.readyOf(to).length) await new Promise((r) => setTimeout(r, 100));
      while (!rolledOut && !abort.signal.aborted) {
        const a = await runAnalysis(ctx.analysis, newEndpoints, vars, abort.signal);
        if (abort.signal.aborted && !a.measurements.length) return;
        lastWindow = a;
        if (!a.ok) {
          fail('analysis', a.reason ?? 'analysis failed');
          return;
        }
      }
    })();
    try {
      await ctx.step('start_new', { group: 'main', image: to });
      try {
        await ctx.driver.startNew(ctx.t, 'main', to, abort.signal);
      } catch (e) {
        // The engine's own health check refusing the new version is a failed readiness, not a driver fault.
        fail(e instanceof UnhealthyError ? 'readiness' : 'driver', e instanceof Error ? e.message : String(e));
      }
      rolledOut = true;
      if (!failure) {
        await sync.tick();
        const endpoints = (await ctx.driver.observe(ctx.t, 'main')).filter((i) => i.image === to && !i.stopping).map((i) => i.endpoint);
        const r = await readiness(ctx.readiness, endpoints);
        gates.push(r);
        await ctx.onGate(r);
        if (!r.ok) fail('readiness', r.reason ?? 'not ready');
      } else if (failure.failed !== 'analysis') {
        const r = { gate: 'readiness' as const, ok: false, probes: {}, waitedMs: 0, reason: failure.reason };
        gates.push(r);
        await ctx.onGate(r);
      }
      await background;
      if (failure?.failed === 'analysis' && lastWindow) {
        gates.push(lastWindow);
        await ctx.onGate(lastWindow);
      }
      if (!failure) {
        // Every new instance must be in the front before the final window opens (the next sync tick puts it there).
        for (let i = 0; i < 20 && sync.readyOf(to).length < ctx.t.replicas; i++) await new Promise((r) => setTimeout(r, 100));
        const a = await runAnalysis(ctx.analysis, newEndpoints, vars);
        gates.push(a);
        await ctx.onGate(a);
        if (!a.ok) fail('analysis', a.reason ?? 'analysis failed');
      }
      if (!failure) return { ok: true, gates, live: [to] };
      const f = failure as { failed: string; reason: string; detectedAtMs: number };
      await ctx.step('rollback_start', { failed: f.failed, reason: f.reason, to: from });
      // Old instances still running take all traffic at once: the service is restored before the engine is.
      await sync.tick();
      let restoredAtMs = sync.othersReady(to) > 0 && from.length ? ctx.elapsed() : undefined;
      if (from.length) await ctx.driver.startNew({ ...ctx.t, parallelism: ctx.t.replicas, batchDelayMs: 0 }, 'main', from[0]!, new AbortController().signal);
      else await ctx.driver.stopOld(ctx.t, 'main');
      await sync.tick();
      restoredAtMs ??= ctx.elapsed();
      await ctx.step('rollback_done', { live: from, engineConvergedAtMs: ctx.elapsed() });
      return { ok: false, gates, ...f, restoredAtMs, live: from };
    } finally {
      rolledOut = true;
      clearInterval(watchdog);
      await background.catch(() => {});
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
