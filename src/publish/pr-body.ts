import type { Config } from '../config/schema.ts';
import { renderConfigChangesMarkdown, type ServiceConfigChanges } from '../changes/config-diff.ts';
import { renderSecurityRecord, type SecurityRecord } from '../changes/security-record.ts';
import type { SbomDiff } from '../sbom/diff.ts';
import type { LockDiff } from '../updates/lock-diff.ts';
import type { PlannedChange, PlannedUpdate } from '../updates/plan.ts';

/**
 * The words of an update: pull request body, changelog entry and commit message, from the plan and what
 * applying it measured. Deterministic (no clock inside; the date is passed in).
 */
export interface Impact {
  services: string[];
  lockDiffs: LockDiff[];
  sbomDiff?: SbomDiff;
  /** Findings of check + conflicts on the affected services, before and after (errors the update would add abort it earlier). */
  verification?: { before: number; after: number; fixed: string[] };
  releaseNotes: { name: string; version: string; url?: string; notes?: string }[];
  /** Environment, build, runtime and CI settings the update changed, per service (src/changes/config-diff.ts). */
  configChanges?: ServiceConfigChanges[];
  /** A security update's record: advisories, mitigation, post-update verification (src/changes/security-record.ts). */
  securityRecord?: SecurityRecord;
}

const md = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

function fromOf(u: PlannedUpdate): string {
  return u.entry.current ?? u.candidate.declared;
}

function toOf(u: PlannedUpdate): string {
  return `${u.to}${u.digest ? ` (${u.digest.length > 20 ? u.digest.slice(0, 19) : u.digest})` : ''}`;
}

export function requiredApprovals(config: Config, change: PlannedChange): string[] {
  const p = config.governance.policy[change.class];
  const out = p.approvals.map((a) => `${a.count} approval${a.count > 1 ? 's' : ''} from **${a.role}**`);
  if (p.tests) out.push('tests passed');
  if (p.impactAssessment) out.push('impact assessment (this description)');
  if (change.lane === 'emergency') out.push(`emergency lane: may merge before review; a post-update review by **${config.governance.emergency.reviewRole}** is due within ${config.governance.emergency.reviewDeadlineHours} h`);
  return out;
}

export function reviewersFor(config: Config, change: PlannedChange, author?: string): string[] {
  const roles = new Set(config.governance.policy[change.class].approvals.map((a) => a.role));
  const logins = Object.entries(config.governance.roles)
    .filter(([r]) => roles.has(r))
    .flatMap(([, members]) => members.map((m) => m.login));
  return [...new Set(logins)].filter((l) => l !== author).sort();
}

export function commitMessage(change: PlannedChange): string {
  const type = change.class === 'security' ? 'fix' : 'chore';
  const lines = change.updates.map((u) => `- ${u.candidate.displayName} ${fromOf(u)} -> ${toOf(u)} (${u.updateType}) in ${u.candidate.file}`);
  return `${type}(deps): ${change.title}\n\n${lines.join('\n')}\n\nChange: ${change.slug} (${change.class}, ${change.lane} lane)\n`;
}

export function renderPrBody(config: Config, change: PlannedChange, impact: Impact): string {
  const out: string[] = [];
  out.push(`## ${change.title}`, '');
  out.push('| package | service | file | from | to | type |', '| --- | --- | --- | --- | --- | --- |');
  for (const u of change.updates) out.push(`| ${md(u.candidate.displayName)} | ${md(u.candidate.service)} | ${md(u.candidate.file)} | ${md(fromOf(u))} | ${md(toOf(u))} | ${u.updateType}${u.security ? ' (security)' : ''} |`);
  out.push('', '### Why', '', ...change.rationale.map((r) => `- ${r}`));
  out.push('', '### Impact assessment', '', `- Services affected: ${impact.services.join(', ') || 'none'}`);
  const sec = change.updates.filter((u) => u.security);
  if (sec.length) {
    out.push('- Advisories fixed:');
    for (const u of sec) out.push(`  - ${u.security!.ids.join(' / ')} (${u.security!.severity}): ${u.candidate.displayName} ${u.security!.from} -> ${u.security!.to} in ${u.security!.service}`);
  }
  if (impact.verification) out.push(`- Verification (check + conflicts on the affected services): ${impact.verification.before} finding(s) before, ${impact.verification.after} after${impact.verification.fixed.length ? `; resolved: ${impact.verification.fixed.join(', ')}` : ''}`);
  for (const d of impact.lockDiffs) {
    const transitive = d.changes.filter((c) => !c.direct).length;
    out.push('', `#### Lock diff: \`${d.file}\` (${d.changes.length} package${d.changes.length === 1 ? '' : 's'}, ${transitive} transitive)`, '');
    if (!d.changes.length) {
      out.push('No locked version changed.');
      continue;
    }
    out.push('| package | from | to | change | direct |', '| --- | --- | --- | --- | --- |');
    for (const c of d.changes) out.push(`| ${md(c.name)} | ${md(c.from ?? '')} | ${md(c.to ?? '')} | ${c.kind} | ${c.direct ? 'yes' : 'no'} |`);
  }
  if (impact.sbomDiff) {
    const s = impact.sbomDiff;
    out.push('', '#### SBOM diff', '', `${s.added.length} added, ${s.removed.length} removed, ${s.changed.length} changed, ${s.licenseChanges.length} licence change(s), ${s.hashChanges.length} hash change(s) at the same version.`);
    for (const l of s.licenseChanges) out.push(`- Licence of ${l.name} ${l.version}: ${l.from ?? '(none)'} -> ${l.to ?? '(none)'}`);
    for (const h of s.hashChanges) out.push(`- **Hash changed at the same version**: ${h.name} ${h.version} (supply-chain red flag; review before merging)`);
  }
  if (impact.securityRecord) out.push('', renderSecurityRecord(impact.securityRecord).trimEnd());
  if (impact.configChanges) out.push('', renderConfigChangesMarkdown(impact.configChanges, '### Configuration changes').trimEnd());
  out.push('', '### Approvals required', '', ...requiredApprovals(config, change).map((a) => `- ${a}`));
  if (impact.releaseNotes.length) {
    out.push('', '### Release notes', '');
    for (const n of impact.releaseNotes) {
      out.push(`<details><summary>${md(n.name)} ${md(n.version)}</summary>`, '');
      if (n.url) out.push(n.url, '');
      // Release notes are someone else's text: fenced, so they cannot inject markup or mentions into the PR.
      if (n.notes) out.push('```text', n.notes.slice(0, 4000).replace(/```/g, "'''"), '```');
      out.push('', '</details>');
    }
  }
  out.push('', `<sub>depwarden change \`${change.slug}\` · ${change.class} · ${change.lane} lane · labels: ${change.labels.join(', ')}</sub>`);
  return `${out.join('\n')}\n`;
}

export function changelogEntry(change: PlannedChange, impact: Impact, date: string): string {
  const lines = [`## ${date} — ${change.title}`, '', `Class: ${change.class} (${change.lane} lane). ${change.rationale.join(' ')}`, ''];
  for (const u of change.updates) lines.push(`- ${u.candidate.displayName} ${fromOf(u)} -> ${toOf(u)} (${u.updateType}) in ${u.candidate.service} (${u.candidate.file})${u.security ? `; fixes ${u.security.ids.join(', ')}` : ''}`);
  const transitive = impact.lockDiffs.flatMap((d) => d.changes.filter((c) => !c.direct));
  if (transitive.length) lines.push(`- Transitive: ${transitive.map((c) => `${c.name} ${c.from ?? '∅'} -> ${c.to ?? '∅'}`).join(', ')}`);
  const config = (impact.configChanges ?? []).flatMap((s) => s.changes.map((c) => `${s.service}: ${c.key} ${c.change}${c.secret ? '' : c.change === 'changed' ? ` (${c.before} -> ${c.after})` : ''}`));
  if (config.length) lines.push(`- Configuration changes: ${config.join('; ')}`);
  if (impact.securityRecord) lines.push('', renderSecurityRecord(impact.securityRecord, '### Security update record').trimEnd());
  return `${lines.join('\n')}\n`;
}
