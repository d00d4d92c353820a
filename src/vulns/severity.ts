import cvss from 'ae-cvss-calculator';
import type { Severity } from '../model/finding.ts';
import type { Advisory, OsvSeverity } from './osv-record.ts';

export interface Scored {
  severity: Severity;
  /** CVSS base score when a vector was scored. */
  score?: number;
  vector?: string;
  /** Where the severity came from: "CVSS_V3", "CVSS_V4", "CVSS_V2", "database_specific", or "unknown". */
  source: string;
}

/** CVSS v3/v4 qualitative rating bands (v2 uses the same cut-offs here for one scale across versions). */
export function bandOf(score: number): Severity {
  if (score >= 9) return 'critical';
  if (score >= 7) return 'high';
  if (score >= 4) return 'medium';
  if (score > 0) return 'low';
  return 'info';
}

/**
 * Scores a CVSS vector with ae-cvss-calculator (chosen over hand-written formulas: it implements v2, v3.0, v3.1
 * and v4.0 from the FIRST specifications and is maintained). Returns undefined for a vector it rejects.
 */
export function scoreVector(s: OsvSeverity): Scored | undefined {
  const { Cvss2, Cvss3P0, Cvss3P1, Cvss4P0 } = cvss; // a CommonJS package: named exports only through the default
  try {
    let calc;
    if (s.type === 'CVSS_V4' || s.score.startsWith('CVSS:4.0/')) calc = new Cvss4P0(s.score);
    else if (s.score.startsWith('CVSS:3.1/')) calc = new Cvss3P1(s.score);
    else if (s.score.startsWith('CVSS:3.0/')) calc = new Cvss3P0(s.score);
    else if (s.type === 'CVSS_V2') calc = new Cvss2(s.score);
    else return undefined;
    const scores = calc.calculateScores() as { base?: number; overall?: number };
    const score = scores.base ?? scores.overall;
    if (typeof score !== 'number' || Number.isNaN(score)) return undefined;
    return { severity: bandOf(score), score, vector: s.score, source: s.type };
  } catch {
    return undefined;
  }
}

const DB_SEVERITY: Record<string, Severity> = { critical: 'critical', high: 'high', moderate: 'medium', medium: 'medium', low: 'low' };

/** Highest-version CVSS first (v4, v3.1, v3.0, v2), then the database's own word, else "unknown" (medium). */
export function advisorySeverity(adv: Advisory, affectedSeverity: OsvSeverity[] = []): Scored {
  const all = [...affectedSeverity, ...adv.severity];
  const rank = (s: OsvSeverity): number => (s.type === 'CVSS_V4' ? 0 : s.score.startsWith('CVSS:3.1') ? 1 : s.type === 'CVSS_V3' ? 2 : 3);
  for (const s of [...all].sort((a, b) => rank(a) - rank(b))) {
    const scored = scoreVector(s);
    if (scored) return scored;
  }
  const db = adv.databaseSeverity ? DB_SEVERITY[adv.databaseSeverity.toLowerCase()] : undefined;
  if (db) return { severity: db, source: 'database_specific' };
  // No data is not "no risk": an unrated advisory is reported at medium so the default gate still sees it.
  return { severity: 'medium', source: 'unknown' };
}
