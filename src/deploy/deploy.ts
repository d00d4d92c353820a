import { mkdirSync } from 'node:fs';
import type { Notifier } from '../alerts/notifier.ts';
import type { Config } from '../config/schema.ts';
import type { DeployServiceConfig } from '../config/sections/deploy.ts';
import { resolveInside } from '../edit/paths.ts';
import { appendEvent, readLog } from '../governance/audit-log.ts';
import { getChange } from '../governance/changes.ts';
import { applyAutomaticRollback, lastKnownGood, recordHealthyImages } from '../governance/rollback.ts';
import type { Store } from '../store/store.ts';
import { localImageId } from './drivers/docker-cli.ts';
import type { Driver, ServiceTarget } from './drivers/driver.ts';
import { SwarmDriver } from './drivers/swarm.ts';
import { ComposeProxyDriver } from './drivers/compose-proxy.ts';
import { KubernetesDriver } from './drivers/kubernetes.ts';
import { DeployError } from './errors.ts';
import type { AnalysisSpec } from './gates/analysis.ts';
import type { ReadinessSpec } from './gates/readiness.ts';
import { describeLockChanges, lockChanges } from './lock-changes.ts';
import { writePostmortem } from './postmortem.ts';
import { ensureProxy } from './proxy/haproxy.ts';
import { type DeployRecord, finishRecord, listRecords, startRecord, unfinished } from './records.ts';
import { blueGreen, readLive } from './strategies/blue-green.ts';
import { rolling } from './strategies/rolling.ts';
import type { GateResult, RolloutContext, RolloutResult, Strategy } from './strategies/strategy.ts';

/** Everything a deploy touches, injected (tests pass their own notifier and store). */
export interface DeployEnv {
  root: string;
  config: Config;
  store: Store;
  notifier: Notifier;
  actor: string;
  /** Builds the driver of a service (default: by `driver:` in its config). */
  driverFor?: (name: string, svc: DeployServiceConfig, stateDir: string) => Driver;
  /** Environment of the engine's CLI (DOCKER_HOST, KUBECONFIG); default the process's. */
  engineEnv?: NodeJS.ProcessEnv;
  /** Called after each step (tests kill the process at one). */
  onStep?: (step: string) => void;
}

export interface DeployRequest {
  service: string;
  image: string;
  strategy?: 'rolling' | 'blue-green';
  change?: string;
  /** Part of a change rolled out in waves: the caller records known-good images and reports a failure once. */
  collective?: boolean;
}

export interface DeployOutcome {
  record: DeployRecord;
  result: RolloutResult;
  postmortem?: string;
  rollbackChange?: string;
}

const DIGEST_REF = /^(?:(.+)@)?(sha256:[0-9a-f]{64})$/;
export const STRATEGIES: Record<string, Strategy> = { rolling, 'blue-green': blueGreen };

function defaultDriver(env: DeployEnv, name: string, svc: DeployServiceConfig, stateDir: string): Driver {
  if (svc.driver === 'swarm') return new SwarmDriver({ proxyDir: stateDir, ...(env.engineEnv ? { env: env.engineEnv } : {}) });
  if (svc.driver === 'compose-proxy') return new ComposeProxyDriver({ proxyDir: stateDir, ...(env.engineEnv ? { env: env.engineEnv } : {}) });
  const k = svc.kubernetes;
  const kubeconfig = env.engineEnv?.KUBECONFIG;
  return new KubernetesDriver({ namespace: k?.namespace ?? 'default', deployment: k?.deployment ?? name, service: k?.service ?? name, ...(kubeconfig ? { kubeconfig } : {}) });
}

/** The service's config, the folder of its traffic front, and the target the drivers are given. */
export function serviceSetup(env: DeployEnv, service: string): { svc: DeployServiceConfig; stateDir: string; t: ServiceTarget } {
  const d = env.config.deploy;
  const svc = d.services[service];
  if (!svc) throw new DeployError(`unknown service ${service}: deploy.services in depwarden.yaml names ${Object.keys(d.services).sort().join(', ') || 'no service'}`);
  const stateDir = resolveInside(env.root, `${d.stateDir}/${service}`);
  return { svc, stateDir, t: { name: service, replicas: svc.replicas, targetPort: svc.targetPort, parallelism: svc.parallelism, batchDelayMs: svc.batchDelaySeconds * 1000, drainMs: svc.drainSeconds * 1000, readinessTimeoutMs: d.readinessTimeoutSeconds * 1000, healthIntervalMs: d.probeIntervalSeconds * 1000, ...(svc.healthCmd ? { healthCmd: svc.healthCmd } : {}) } };
}

export function gateSpecs(config: Config, svc: DeployServiceConfig): { readiness: ReadinessSpec; analysis: AnalysisSpec } {
  const d = config.deploy;
  const intervalMs = d.probeIntervalSeconds * 1000;
  const probeTimeoutMs = Math.min(2000, Math.max(250, intervalMs));
  return {
    readiness: { kind: svc.probe, path: svc.healthPath, intervalMs, timeoutMs: d.readinessTimeoutSeconds * 1000, probeTimeoutMs },
    analysis: {
      intervalMs: d.analysis.intervalSeconds * 1000,
      count: d.analysis.count,
      failureLimit: d.analysis.failureLimit,
      success: d.analysis.successCondition,
      ...(d.prometheus ? { prometheus: { url: d.prometheus.url, errorRatio: d.prometheus.errorRatio, latencyP95Seconds: d.prometheus.latencyP95Seconds, window: d.prometheus.window } } : {}),
      probe: { kind: 'http', path: svc.trafficPath, timeoutMs: probeTimeoutMs, perMeasurement: d.analysis.probesPerMeasurement },
    },
  };
}

/** Refused before anything started: an audit event says what and why, then the error. */
async function refuse(env: DeployEnv, req: Partial<DeployRequest>, e: unknown): Promise<never> {
  const reason = e instanceof Error ? e.message : String(e);
  await appendEvent(env.store, { actor: env.actor, kind: 'deploy_failed', payload: { service: req.service ?? null, image: req.image ?? null, change: req.change ?? null, stage: 'before start', reason, left: 'the service was not touched' } });
  throw e instanceof DeployError ? e : new DeployError(reason, 3);
}

function requireDigest(ref: string): RegExpExecArray {
  const m = DIGEST_REF.exec(ref);
  if (!m) throw new DeployError(`${ref} is not pinned by digest: deploy images as NAME@sha256:<64 hex> (the protocol deploys digests, never tags)`);
  return m;
}

/** `REF@sha256:…` → the content digest the engine knows the image by (its ID). */
export async function resolveImage(ref: string, env?: NodeJS.ProcessEnv): Promise<string> {
  const m = requireDigest(ref);
  const id = (await localImageId(ref, env)) ?? (await localImageId(m[2]!, env));
  if (!id) throw new DeployError(`the engine has no image ${ref}: build or load it first (depwarden deploys images the engine holds, by digest)`);
  return id;
}

export async function driverSetup(env: DeployEnv, service: string): Promise<{ driver: Driver; ctxBase: Omit<RolloutContext, 'step' | 'elapsed' | 'onGate'>; svc: DeployServiceConfig }> {
  const { svc, stateDir, t } = serviceSetup(env, service);
  const driver = env.driverFor ? env.driverFor(service, svc, stateDir) : defaultDriver(env, service, svc, stateDir);
  if (driver.kind !== 'kubernetes') {
    mkdirSync(stateDir, { recursive: true });
    await ensureProxy({ dir: stateDir, port: svc.port, metricsPort: svc.metricsPort, healthPath: svc.healthPath, checkIntervalMs: env.config.deploy.probeIntervalSeconds * 1000 });
  }
  return { driver, svc, ctxBase: { driver, t, ...gateSpecs(env.config, svc), blueKeepSeconds: env.config.deploy.blueKeepSeconds, stateDir } };
}

/** The image(s) serving traffic now: the rolling group's, or the live side's of a blue/green service. */
function liveImages(groups: { group: string; image: string }[], strategy: Strategy, ctx: RolloutContext): string[] {
  if (strategy.name === 'rolling') return groups.filter((g) => g.group === 'main').map((g) => g.image);
  const live = readLive(ctx)?.live;
  return groups.filter((g) => g.group !== 'main' && (!live || g.group === live)).map((g) => g.image).slice(0, 1);
}

/**
 * One deploy of one service: checks (service, digest, engine, change) before anything moves, records the deploy
 * as started, runs the strategy with its gates, and then either records the known-good images (passed) or —
 * the strategy having rolled back itself — records the automatic rollback (a `rollback` change, the bad change
 * `rolled_back`), sends one notice through the notifier and writes the post-mortem.
 */
export async function deploy(env: DeployEnv, req: DeployRequest): Promise<DeployOutcome> {
  const started = new Date();
  let to: string;
  let setup: Awaited<ReturnType<typeof driverSetup>>;
  let from: string[];
  let strategy: Strategy;
  const id = `${req.service}-${started.toISOString().replace(/[-:.]/g, '').slice(0, 18)}`;
  const baseCtx = (): RolloutContext => ({
    ...setup.ctxBase,
    step: async (what, payload = {}) => {
      await appendEvent(env.store, { actor: env.actor, kind: 'deploy_step', payload: { deploy: id, service: req.service, step: what, ...payload } });
      env.onStep?.(what);
    },
    elapsed: () => Date.now() - started.getTime(),
    onGate: async (g) => void (await appendEvent(env.store, { actor: env.actor, kind: 'deploy_gate', payload: { deploy: id, service: req.service, ...gateSummary(g) } })),
  });
  try {
    const { svc } = serviceSetup(env, req.service);
    requireDigest(req.image);
    // Kubernetes pulls the image itself: the pinned reference is what it runs (and what is recorded).
    to = svc.driver === 'kubernetes' ? req.image : await resolveImage(req.image, env.engineEnv);
    setup = await driverSetup(env, req.service);
    strategy = STRATEGIES[req.strategy ?? setup.svc.strategy ?? env.config.deploy.strategy]!;
    if (req.change) {
      const c = await getChange(env.store, req.change).catch(() => undefined);
      if (!c) throw new DeployError(`no change ${req.change} in this repository's store`);
      if (!['approved', 'merged', 'verified'].includes(c.state)) throw new DeployError(`change ${req.change} is ${c.state}: only an approved change (or one merged through the emergency lane) is deployed`);
    }
    from = liveImages(await setup.driver.current(setup.ctxBase.t), strategy, baseCtx());
    const pending = (await unfinished(env.store)).find((r) => r.service === req.service);
    if (pending) throw new DeployError(`deploy ${pending.id} of ${req.service} was interrupted (started ${pending.started}): run \`depwarden deploy --resume\` first`);
  } catch (e) {
    return refuse(env, req, e);
  }
  const ctx = baseCtx();
  const rec = { id, service: req.service, driver: setup.driver.kind, strategy: strategy.name, from: from.join(','), to, change: req.change ?? null, started: started.toISOString() };
  await startRecord(env.store, rec);
  await appendEvent(env.store, { actor: env.actor, kind: 'deploy_started', payload: { deploy: id, service: req.service, driver: rec.driver, strategy: rec.strategy, from, to, image: req.image, change: req.change ?? null } });
  env.onStep?.('started');
  let result: RolloutResult;
  try {
    result = await strategy.run(ctx, from, to);
  } catch (e) {
    // A driver error half way, after which even the strategy's own rollback failed: say where things stand.
    const reason = e instanceof Error ? e.message : String(e);
    result = { ok: false, gates: [], failed: 'driver', reason, live: [] };
    try {
      if (from.length) await strategy.restore(ctx, from[0]!);
      result.live = from;
      result.restoredAtMs = ctx.elapsed();
    } catch (e2) {
      result.reason = `${reason}; restoring ${from[0] ?? 'nothing'} failed too: ${e2 instanceof Error ? e2.message : String(e2)}`;
    }
  }
  const finished = new Date();
  const durationMs = finished.getTime() - started.getTime();
  if (result.ok) {
    if (!req.collective) await recordHealthyImages(env.store, req.service, [to], { actor: env.actor, deployId: id, checks: result.gates.map((g) => `${g.gate}:passed`) });
    await appendEvent(env.store, { actor: env.actor, kind: 'deploy_succeeded', payload: { deploy: id, service: req.service, from, to, durationMs } });
    await finishRecord(env.store, id, { outcome: 'succeeded', gates: result.gates, finished: finished.toISOString(), durationMs, detail: `${from.length ? 'updated' : 'first deploy'}; ${to} live` });
    return { record: (await listRecords(env.store, { service: req.service })).find((r) => r.id === id)!, result };
  }
  if (req.collective) {
    await finishRecord(env.store, id, { outcome: 'rolled_back', gates: result.gates, finished: finished.toISOString(), durationMs, detail: `${result.failed} gate failed: ${result.reason}; live: ${result.live.join(',') || 'nothing'}` });
    return { record: (await listRecords(env.store, { service: req.service })).find((r) => r.id === id)!, result };
  }
  return reportFailure(env, { id, req, from, to, result, durationMs, finished });
}

export function gateSummary(g: GateResult): Record<string, unknown> {
  if (g.gate === 'readiness') return { gate: 'readiness', ok: g.ok, waitedMs: g.waitedMs, instances: Object.keys(g.probes).length, ...(g.reason ? { reason: g.reason } : {}) };
  const last = g.measurements[g.measurements.length - 1];
  return { gate: 'analysis', ok: g.ok, measurements: g.measurements.length, failedMeasurements: g.measurements.filter((m) => !m.ok).length, ...(last ? { lastErrorRatio: last.errorRatio, lastLatencyP95Ms: last.latencyP95Ms, source: last.source } : {}), ...(g.reason ? { reason: g.reason } : {}) };
}

/** A service of the same change that had passed and was rolled back with the failing one. */
export interface AlsoRolledBack {
  service: string;
  deployId: string;
  from: string[];
  to: string;
}

/**
 * The verdict after a failed gate, once per deploy (or per change): the automatic rollback recorded in
 * governance for every service that went back (the bad change `rolled_back`), one audit event, one post-mortem,
 * one notice naming what failed, the numbers and the dependency change (package from → to).
 */
export async function reportFailure(env: DeployEnv, f: { id: string; req: DeployRequest; from: string[]; to: string; result: RolloutResult; durationMs: number; finished: Date; also?: AlsoRolledBack[] }): Promise<DeployOutcome> {
  const { id, req, from, to, result } = f;
  const also = f.also ?? [];
  const restored = result.live.join(',') === from.join(',');
  const reason = `${result.failed} gate failed: ${result.reason}`;
  let rollbackChange: string | undefined;
  if (restored && from.length) {
    rollbackChange = (await applyAutomaticRollback(env.store, env.config.governance, { service: req.service, deployId: id, to: from, from: [to], reason, ...(req.change ? { badChange: req.change } : {}), actor: env.actor })).changeId;
  }
  for (const a of also) await applyAutomaticRollback(env.store, env.config.governance, { service: a.service, deployId: a.deployId, to: a.from, from: [a.to], reason: `${reason} (in ${req.service}, same change)`, ...(req.change ? { badChange: req.change } : {}), actor: env.actor });
  await appendEvent(env.store, { actor: env.actor, kind: restored ? 'deploy_rolled_back' : 'deploy_failed', payload: { deploy: id, service: req.service, failed: result.failed, reason: result.reason, from, to, live: result.live, detectedAtMs: result.detectedAtMs ?? null, restoredAtMs: result.restoredAtMs ?? null, ...(also.length ? { alsoRolledBack: also.map((a) => a.service) } : {}) } });
  const kg = await lastKnownGood(env.store, req.service);
  let changeCommit = '';
  if (req.change) changeCommit = (await getChange(env.store, req.change).catch(() => undefined))?.commit ?? '';
  // What the change moved: from the known-good commit when one is recorded, else from the change's parent.
  const locks = describeLockChanges(lockChanges(env.root, kg?.commit || (changeCommit ? `${changeCommit}^` : ''), changeCommit));
  const ids = new Set([id, ...also.map((a) => a.deployId)]);
  const rollbackChanges = new Set([rollbackChange, ...also.map((a) => `rollback-${a.deployId}`)]);
  const events = (await readLog(env.store)).filter((e) => ids.has(String((e.payload as { deploy?: string } | null)?.deploy)) || rollbackChanges.has((e.payload as { change?: string } | null)?.change));
  const date = f.finished.toISOString().slice(0, 10);
  const postmortem = writePostmortem(env.root, env.config.deploy.postmortems, { service: req.service, deployId: id, date, from, to, ...(req.change ? { change: req.change } : {}), failed: result.failed ?? '?', reason: result.reason ?? '', ...(result.detectedAtMs !== undefined ? { detectedAtMs: result.detectedAtMs } : {}), ...(result.restoredAtMs !== undefined ? { restoredAtMs: result.restoredAtMs } : {}), gates: result.gates, events, lockChanges: locks, ...(rollbackChange ? { rollbackChange } : {}), ...(also.length ? { also: also.map((a) => a.service) } : {}) });
  const numbers = result.gates.map(gateSummary).find((g) => g.ok === false) ?? {};
  await env.notifier.notify({
    kind: restored ? 'deploy.rolled_back' : 'deploy.failed',
    severity: 'critical',
    title: restored ? `${req.service}: deploy rolled back (${result.failed} gate failed)` : `${req.service}: deploy failed and the previous version could not be restored`,
    text: [reason, also.length ? `Change ${req.change} rolled back everywhere: ${[req.service, ...also.map((a) => a.service)].join(', ')} are on their known-good images.` : '', locks.length ? `Dependency change: ${locks.join('; ')}` : '', `Post-mortem: ${postmortem}`].filter(Boolean).join('\n'),
    fields: {
      service: req.service,
      from: from.join(', ') || '(none)',
      to,
      gate: result.failed ?? '?',
      ...(numbers.lastErrorRatio !== undefined ? { errorRatio: String(numbers.lastErrorRatio) } : {}),
      ...(numbers.lastLatencyP95Ms !== undefined ? { latencyP95Ms: String(numbers.lastLatencyP95Ms) } : {}),
      ...(result.detectedAtMs !== undefined ? { detectedAfterS: (result.detectedAtMs / 1000).toFixed(1) } : {}),
      ...(result.restoredAtMs !== undefined ? { restoredAfterS: (result.restoredAtMs / 1000).toFixed(1) } : {}),
      ...(req.change ? { change: req.change } : {}),
      ...(also.length ? { rolledBack: [req.service, ...also.map((a) => a.service)].join(', ') } : {}),
      ...(locks.length ? { dependencies: locks.join('; ') } : {}),
      live: result.live.join(', ') || '(nothing)',
    },
    dedupKey: req.change && also.length ? `deploy-change:${req.change}` : `deploy:${req.service}:${to}`,
    service: req.service,
    links: [{ title: 'post-mortem', url: postmortem }],
  });
  await finishRecord(env.store, id, { outcome: restored ? 'rolled_back' : 'failed', gates: result.gates, finished: f.finished.toISOString(), durationMs: f.durationMs, detail: `${reason}; live: ${result.live.join(',') || 'nothing'}; post-mortem ${postmortem}` });
  return { record: (await listRecords(env.store, { service: req.service })).find((r) => r.id === id)!, result, postmortem, ...(rollbackChange ? { rollbackChange } : {}) };
}
