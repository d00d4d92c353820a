/** A service's runtime health, from the worst of its checks (docs/health.md). */
export type HealthStatus = 'up' | 'degraded' | 'down' | 'unknown';

/** One check of one probe: what was asked, what it said, and how long it took. */
export interface CheckResult {
  /** `http`, `tcp`, `docker`, or `prometheus.latencyP95` / `.errorRatio` / `.requestRate`. */
  check: string;
  status: HealthStatus;
  reason: string;
  /** Round trip of the probe, when it got an answer. */
  latencyMs?: number;
  /** The measured value of a Prometheus query. */
  value?: number;
}

export interface ServiceHealth {
  repo: string;
  service: string;
  at: string;
  status: HealthStatus;
  /** The reasons of the checks that decided the status. */
  reason: string;
  checks: CheckResult[];
}

const RANK: Record<HealthStatus, number> = { up: 0, unknown: 1, degraded: 2, down: 3 };

/**
 * The worst check decides: down > degraded > unknown > up. A check that could not be made (Prometheus or the
 * Docker API unreachable) makes an otherwise healthy service unknown rather than up: nothing vouches for it.
 */
export function combine(checks: CheckResult[]): { status: HealthStatus; reason: string } {
  if (checks.length === 0) return { status: 'unknown', reason: 'no probe configured' };
  const worst = checks.reduce((w, c) => (RANK[c.status] > RANK[w] ? c.status : w), 'up' as HealthStatus);
  const deciding = checks.filter((c) => c.status === worst);
  return { status: worst, reason: deciding.map((c) => `${c.check}: ${c.reason}`).join('; ') };
}

/** A threshold check on a measured value: down beyond `down`, degraded beyond `degraded`, else up. */
export function thresholds(value: number, t: { degraded?: number | undefined; down?: number | undefined }, direction: 'above' | 'below', unit: string): { status: HealthStatus; reason: string } {
  const beyond = (limit: number | undefined): boolean => limit !== undefined && (direction === 'above' ? value > limit : value < limit);
  const shown = `${Number(value.toPrecision(4))}${unit}`;
  if (beyond(t.down)) return { status: 'down', reason: `${shown} is ${direction} the down threshold ${t.down}${unit}` };
  if (beyond(t.degraded)) return { status: 'degraded', reason: `${shown} is ${direction} the degraded threshold ${t.degraded}${unit}` };
  return { status: 'up', reason: shown };
}
