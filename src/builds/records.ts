/** What the builds capability stores: one build of one workflow (or check, or status context) on one commit. */
export type BuildStatus = 'queued' | 'in_progress' | 'success' | 'failure' | 'cancelled' | 'skipped' | 'neutral' | 'timed_out' | 'action_required' | 'stale' | 'pending' | 'error';

/** Where a build record came from: a webhook event kind, or `report` (the CLI / POST /api/v1/builds). */
export type BuildSource = 'workflow_run' | 'check_suite' | 'check_run' | 'status' | 'report';

export interface TestSummary {
  run: number;
  failed: number;
  skipped: number;
  /** Failing test names (`suite › name`), sorted, at most MAX_FAILING. */
  failing: string[];
}

export const MAX_FAILING = 200;

export interface BuildRecord {
  repo: string;
  /** '' when the build is not one service's. */
  service: string;
  commit: string;
  branch: string | null;
  /** Workflow name, check name, or status context. */
  workflow: string;
  source: BuildSource;
  status: BuildStatus;
  url: string | null;
  /** When the build last changed, by its source's clock (ISO); an older event never overwrites a newer one. */
  updated: string;
  tests?: TestSummary;
}

export interface CoverageSummary {
  format: 'lcov' | 'cobertura';
  linesCovered: number;
  linesTotal: number;
  /** Null when the report has no branch data. */
  branchesCovered: number | null;
  branchesTotal: number | null;
}

export interface CoverageRecord extends CoverageSummary {
  repo: string;
  service: string;
  commit: string;
  branch: string | null;
}

/** A ratio in [0,1] rounded to 4 places, or null without data. */
export function ratio(covered: number | null, total: number | null): number | null {
  if (covered === null || total === null || total === 0) return null;
  return Math.round((covered / total) * 10_000) / 10_000;
}
