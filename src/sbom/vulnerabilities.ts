import type { VulnMatch } from '../vulns/audit.ts';
import type { SbomDoc } from './model.ts';
import { purlOfLocked } from './purl.ts';

/**
 * A vulnerability as the SBOM states it, independent of the output format (cyclonedx.ts turns it into the
 * library's models, so JSON and XML both carry it). State, justification and responses are CycloneDX VEX's.
 */
export interface SbomVulnerability {
  id: string;
  /** Other ids of the same advisory (aliases). */
  aliases: string[];
  rating: { severity: string; score?: number; method: string; vector?: string };
  description?: string;
  recommendation?: string;
  analysis: { state: string; justification?: string; response?: string[]; detail?: string };
  /** bom-refs of the affected components, sorted. */
  affects: string[];
}

const METHOD: Record<string, string> = { CVSS_V4: 'CVSSv4', CVSS_V3: 'CVSSv31', CVSS_V2: 'CVSSv2' };

/**
 * The audit's matches (src/vulns/audit.ts) against the components of `doc`, found by purl. Triaged
 * (suppressed) matches are included with their analysis: that is what VEX is for.
 */
export function vulnerabilitiesFor(doc: SbomDoc, matches: VulnMatch[]): SbomVulnerability[] {
  const refByPurl = new Map<string, string[]>();
  for (const c of doc.components) if (c.purl) refByPurl.set(c.purl, [...(refByPurl.get(c.purl) ?? []), c.ref]);
  const byId = new Map<string, { m: VulnMatch; refs: Set<string> }>();
  for (const m of matches) {
    const purl = purlOfLocked(m.pkg);
    const refs = (purl && refByPurl.get(purl)) || [];
    if (refs.length === 0) continue;
    const e = byId.get(m.id) ?? { m, refs: new Set<string>() };
    for (const r of refs) e.refs.add(r);
    byId.set(m.id, e);
  }
  return [...byId.values()]
    .sort((a, b) => (a.m.id < b.m.id ? -1 : a.m.id > b.m.id ? 1 : 0))
    .map(({ m, refs }) => ({
      id: m.id,
      aliases: m.ids.filter((i) => i !== m.id).sort(),
      rating: {
        severity: m.scored.severity,
        ...(m.scored.score !== undefined ? { score: m.scored.score } : {}),
        method: (m.scored.score !== undefined && METHOD[m.scored.source]) || 'other',
        ...(m.scored.vector ? { vector: m.scored.vector } : {}),
      },
      ...(m.summary ? { description: m.summary } : {}),
      ...(m.fixedIn ? { recommendation: `Upgrade to ${m.fixedIn} or later` } : {}),
      analysis: {
        state: m.triage?.state ?? 'in_triage',
        ...(m.triage?.justification ? { justification: m.triage.justification } : {}),
        ...(m.triage?.response?.length ? { response: [...m.triage.response].sort() } : {}),
        ...(m.triage ? { detail: `${m.triage.reason} (owner ${m.triage.owner}, expires ${m.triage.expires})` } : {}),
      },
      affects: [...refs].sort(),
    }));
}
