import type { AnalysisResult, AnalysisSpec } from '../gates/analysis.ts';
import type { ReadinessResult, ReadinessSpec } from '../gates/readiness.ts';
import type { Driver, ServiceTarget } from '../drivers/driver.ts';

export type GateResult = ReadinessResult | AnalysisResult;

/** What a strategy is given: the engine, the service, the gates, and a way to record each step. */
export interface RolloutContext {
  driver: Driver;
  t: ServiceTarget;
  readiness: ReadinessSpec;
  analysis: AnalysisSpec;
  /** Blue/green: seconds the old side keeps running after a switch. */
  blueKeepSeconds: number;
  /** Folder of this service's deploy state (blue/green: which side is live). */
  stateDir: string;
  /** Appends a `deploy_step` audit event. */
  step(what: string, payload?: Record<string, unknown>): Promise<void>;
  /** Milliseconds since the deploy started. */
  elapsed(): number;
  /** Called with each gate result as soon as it is known. */
  onGate(g: GateResult): Promise<void>;
}

export interface RolloutResult {
  ok: boolean;
  gates: GateResult[];
  /** The gate that failed (readiness, analysis) or `driver` when the engine failed half way. */
  failed?: string;
  reason?: string;
  /** ms since start when the failure was detected, and when the previous version served again. */
  detectedAtMs?: number;
  restoredAtMs?: number;
  /** Image digests serving traffic at the end. */
  live: string[];
}

export interface Strategy {
  readonly name: 'rolling' | 'blue-green';
  /** Rolls `to` out; on a failed gate (or a driver error) brings `from` back itself. `from` is [] for a first deploy. */
  run(ctx: RolloutContext, from: string[], to: string): Promise<RolloutResult>;
  /** Brings the service to `to` without gates (resume of an interrupted deploy, back to its known-good images). */
  restore(ctx: RolloutContext, to: string): Promise<void>;
}
