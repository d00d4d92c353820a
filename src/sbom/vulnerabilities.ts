import type { VulnMatch } from '../vulns/audit.ts';
import type { SbomDoc } from './model.ts';
import { purlOfLocked } from './purl.ts';

const METHOD: Record<string, string> = { CVSS_V4: 'CVSSv4', CVSS_V3: 'CVSSv31', CVSS_V2: 'CVSSv2' };

/**
 * CycloneDX `vulnerabilities` (with VEX `analysis`) for the audit's matches, pointing at the components of
 * `doc` by bom-ref. Suppressed (triaged) matches are included with their analysis: that is what VEX is for.
 */
export function vulnerabilitiesFor(doc: SbomDoc, matches: VulnMatch[]): unknown[] {
  const refByPurl = new Map<string, string[]>();
  for (const c of doc.components) if (c.purl) refByPurl.set(c.purl, [...(refByPurl.get(c.purl) ?? []), c.ref]);
  const byId = new Map<string, { m: VulnMatch; refs: Set<string> }>();
  for (const m of matches) {
    const refs = refByPurl.get(purlOfLocked(m.pkg)) ?? [];
    if (refs.length === 0) continue;
    const e = byId.get(m.id) ?? { m, refs: new Set<string>() };
    for (const r of refs) e.refs.add(r);
    byId.set(m.id, e);
  }
  return [...byId.values()]
    .sort((a, b) => (a.m.id < b.m.id ? -1 : 1))
    .map(({ m, refs }) => ({
      'bom-ref': `vuln-${m.id}`,
      id: m.id,
      ...(m.ids.length > 1 ? { references: m.ids.filter((i) => i !== m.id).map((i) => ({ id: i, source: { name: i.split('-')[0] } })) } : {}),
      ratings: [
        m.scored.score !== undefined
          ? { score: m.scored.score, severity: m.scored.severity, method: METHOD[m.scored.source] ?? 'other', ...(m.scored.vector ? { vector: m.scored.vector } : {}) }
          : { severity: m.scored.severity === 'info' ? 'info' : m.scored.severity, method: 'other' },
      ],
      ...(m.summary ? { description: m.summary } : {}),
      ...(m.fixedIn ? { recommendation: `Upgrade to ${m.fixedIn} or later` } : {}),
      analysis: {
        state: m.triage?.state ?? 'in_triage',
        ...(m.triage?.justification ? { justification: m.triage.justification } : {}),
        ...(m.triage?.response ? { response: m.triage.response } : {}),
        ...(m.triage ? { detail: `${m.triage.reason} (owner ${m.triage.owner}, expires ${m.triage.expires})` } : {}),
      },
      affects: [...refs].sort().map((ref) => ({ ref })),
    }));
}
