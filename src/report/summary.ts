import { type Finding, SEVERITIES, type Severity, severityRank } from '../model/finding.ts';

export interface Summary {
  total: number;
  bySeverity: Record<Severity, number>;
  failOn: Severity;
  /** At least one finding at or above failOn. */
  failed: boolean;
}

export function summarize(findings: Finding[], failOn: Severity): Summary {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const f of findings) bySeverity[f.severity]++;
  const failed = findings.some((f) => severityRank(f.severity) >= severityRank(failOn));
  return { total: findings.length, bySeverity, failOn, failed };
}
