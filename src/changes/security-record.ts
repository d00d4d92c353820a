import type { Inventory } from '../model/inventory.ts';
import type { PlannedChange } from '../updates/plan.ts';
import { type AdvisorySource, auditInventory } from '../vulns/audit.ts';
import type { Advisory } from '../vulns/osv-record.ts';
import { advisorySeverity } from '../vulns/severity.ts';

/**
 * The record of a security update (emergency lane or planned): which advisories (ids and aliases, severity and
 * CVSS, affected and fixed ranges), which services, the mitigation applied, and the post-update verification: the
 * audit run again over the updated locks must no longer find the advisories in any affected lock. Appended to the
 * changelog entry and the PR body, and committed with the change as `.depwarden/security-records/<slug>.json`, where
 * `depwarden changes show <id>` finds it (the change's own commit introduces it) for the post-update review.
 */
export interface SecurityRecord {
  schemaVersion: 1;
  change: string;
  title: string;
  lane: string;
  date: string;
  advisories: {
    id: string;
    aliases: string[];
    summary?: string;
    severity: string;
    cvss?: { score: number; vector: string };
    package: string;
    /** OSV ranges as text: ">=1.0, <1.2.3" per range; explicit versions listed when there are no ranges. */
    affected: string[];
    fixed: string[];
    references: string[];
  }[];
  services: string[];
  mitigation: { kind: 'version bump'; package: string; ecosystem: string; from: string; to: string; file: string; service: string }[];
  verification: {
    /** Each affected lock after the update: the advisories the audit still finds there (empty: fixed). */
    reaudit: { service: string; file: string; package: string; version?: string; remaining: string[] }[];
    advisoriesGone: boolean;
    /** check + conflicts findings on the affected services, before and after (the update engine's verification). */
    findings?: { before: number; after: number };
    /** Tests and health after deploy are recorded later (`changes tested`, deploy health): not known when the update is made. */
    tests: 'not recorded yet';
    health: 'not recorded yet';
  };
}

function rangeText(events: { introduced?: string; fixed?: string; last_affected?: string; limit?: string }[]): string {
  const parts: string[] = [];
  for (const e of events) {
    if (e.introduced !== undefined) parts.push(e.introduced === '0' ? '' : `>=${e.introduced}`);
    if (e.fixed !== undefined) parts.push(`<${e.fixed}`);
    if (e.last_affected !== undefined) parts.push(`<=${e.last_affected}`);
    if (e.limit !== undefined) parts.push(`<${e.limit}`);
  }
  return parts.filter(Boolean).join(', ') || 'every version';
}

export function buildSecurityRecord(change: PlannedChange, after: Inventory, db: AdvisorySource, date: string, now: Date, findings?: { before: number; after: number }): SecurityRecord | undefined {
  const fixes = change.updates.filter((u) => u.security);
  if (!fixes.length) return undefined;
  const advisories: SecurityRecord['advisories'] = [];
  const seen = new Set<string>();
  for (const u of fixes) {
    const fix = u.security!;
    const ids = new Set(fix.ids);
    for (const adv of db.lookup(fix.ecosystem, fix.name).filter((a: Advisory) => ids.has(a.id) || a.aliases.some((x) => ids.has(x)))) {
      if (seen.has(adv.id)) continue;
      seen.add(adv.id);
      const affected = adv.affected.filter((a) => a.ecosystem === fix.ecosystem && a.name === (fix.ecosystem === 'PyPI' ? fix.name.toLowerCase().replace(/[-_.]+/g, '-') : fix.name));
      const scored = advisorySeverity(adv, affected.flatMap((a) => a.severity ?? []));
      advisories.push({
        id: adv.id,
        aliases: [...adv.aliases].sort(),
        ...(adv.summary ? { summary: adv.summary } : {}),
        severity: scored.severity,
        ...(scored.score !== undefined && scored.vector ? { cvss: { score: scored.score, vector: scored.vector } } : {}),
        package: `${fix.ecosystem}:${fix.name}`,
        affected: affected.flatMap((a) => (a.ranges.length ? a.ranges.filter((r) => r.type !== 'GIT').map((r) => rangeText(r.events)) : a.versions.length ? [a.versions.join(', ')] : [])),
        fixed: [...new Set(affected.flatMap((a) => a.ranges.flatMap((r) => r.events.map((e) => e.fixed).filter((x): x is string => !!x))))].sort(),
        references: adv.references.slice(0, 10),
      });
    }
  }
  // Post-update verification: the audit, run again over the updated inventory, for the services the change touches.
  const services = [...new Set(fixes.map((u) => u.security!.service))].sort();
  const audit = auditInventory(after, db, [], now);
  const reaudit: SecurityRecord['verification']['reaudit'] = [];
  for (const u of fixes) {
    const fix = u.security!;
    const svc = after.services.find((s) => s.name === fix.service);
    const still = audit.matches.filter((m) => m.service === fix.service && m.pkg.name.toLowerCase() === fix.name.toLowerCase() && m.ids.some((i) => fix.ids.includes(i)));
    const locked = svc?.locked.find((p) => p.name.toLowerCase() === fix.name.toLowerCase());
    reaudit.push({ service: fix.service, file: u.candidate.unit?.lock ?? u.candidate.file, package: fix.name, ...(locked ? { version: locked.version } : {}), remaining: [...new Set(still.map((m) => m.id))].sort() });
  }
  return {
    schemaVersion: 1,
    change: change.slug,
    title: change.title,
    lane: change.lane,
    date,
    advisories: advisories.sort((a, b) => (a.id < b.id ? -1 : 1)),
    services,
    mitigation: fixes.map((u) => ({ kind: 'version bump' as const, package: u.security!.name, ecosystem: u.security!.ecosystem, from: u.security!.from, to: u.security!.to, file: u.candidate.file, service: u.security!.service })),
    verification: { reaudit, advisoriesGone: reaudit.every((r) => r.remaining.length === 0), ...(findings ? { findings } : {}), tests: 'not recorded yet', health: 'not recorded yet' },
  };
}

const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function renderSecurityRecord(r: SecurityRecord, heading = '### Security update record'): string {
  const out = [heading, ''];
  out.push('| advisory | aliases | severity | CVSS | package | affected | fixed |', '| --- | --- | --- | --- | --- | --- | --- |');
  for (const a of r.advisories) out.push(`| ${md(a.id)} | ${md(a.aliases.join(', '))} | ${a.severity} | ${a.cvss ? `${a.cvss.score} \`${md(a.cvss.vector)}\`` : ''} | ${md(a.package)} | ${md(a.affected.join('; '))} | ${md(a.fixed.join(', '))} |`);
  out.push('', `Services affected: ${r.services.join(', ')}`, '', 'Mitigation:');
  for (const m of r.mitigation) out.push(`- ${m.kind}: ${m.package} ${m.from} -> ${m.to} in ${m.file} (${m.service})`);
  out.push('', `Post-update verification: ${r.verification.advisoriesGone ? 're-audit finds none of the advisories in any affected lock' : '**re-audit still finds advisories**'}`);
  for (const v of r.verification.reaudit) out.push(`- ${v.file} (${v.service}): ${v.package}${v.version ? ` ${v.version}` : ''}: ${v.remaining.length ? `still affected by ${v.remaining.join(', ')}` : 'no longer affected'}`);
  if (r.verification.findings) out.push(`- check + conflicts findings on the affected services: ${r.verification.findings.before} before, ${r.verification.findings.after} after`);
  out.push(`- tests: ${r.verification.tests} (\`depwarden changes tested\`); health after deploy: ${r.verification.health}`);
  return `${out.join('\n')}\n`;
}
