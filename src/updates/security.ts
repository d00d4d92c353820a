import type { AuditResult } from '../vulns/audit.ts';
import type { SecurityFix } from './plan.ts';
import { SEVERITIES } from '../model/finding.ts';

/** The audit's smallest fixing upgrades, with the advisory ids and the worst severity they fix. */
export function securityFixesOf(audit: AuditResult): SecurityFix[] {
  const out: SecurityFix[] = [];
  for (const u of audit.upgrades) {
    if (!u.to) continue;
    const ms = audit.matches.filter((m) => m.service === u.service && m.pkg.ecosystem === u.ecosystem && m.pkg.normalizedName === u.name && m.pkg.version === u.from);
    const ids = [...new Set(ms.map((m) => m.id))].sort();
    const worst = ms.map((m) => m.scored.severity).sort((a, b) => SEVERITIES.indexOf(b) - SEVERITIES.indexOf(a))[0] ?? 'medium';
    out.push({ service: u.service, ecosystem: u.ecosystem, name: u.name, from: u.from, to: u.to, ids, severity: worst });
  }
  return out;
}
