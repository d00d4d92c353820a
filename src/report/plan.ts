import type { Config } from '../config/schema.ts';
import { requiredApprovals } from '../publish/pr-body.ts';
import { tierOf, type PlannedChange, type PlannedUpdate } from '../updates/plan.ts';
import type { RunResult } from '../updates/run.ts';

/**
 * `depwarden update` output. A dry run is a compact table by lane (security / merge-after-tests / needs-approval /
 * deferred, each reason once); an applied run adds what happened to each change. Either way a reader sees the
 * whole plan on one screen, not a paragraph per change.
 */
const LANES = ['security', 'merge-after-tests', 'needs-approval'] as const;

const plural = (n: number, word: string): string => `${n} ${word}${n === 1 ? '' : 's'}`;

function step(u: PlannedUpdate): string {
  return `${u.candidate.displayName} ${u.entry.current ?? u.candidate.declared} -> ${u.to}${u.security ? ` (${u.security.ids.join(', ')})` : u.updateType === 'major' ? ' (major)' : ''}`;
}

/** The updates of a change in one cell: the first three, then how many more. */
function updatesCell(c: PlannedChange): string {
  const shown = c.updates.slice(0, 3).map(step);
  return c.updates.length > 3 ? `${shown.join(', ')}, +${c.updates.length - 3} more` : shown.join(', ');
}

function table(rows: string[][]): string[] {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (i < r.length - 1 ? r[i]!.length : 0))));
  return rows.map((r) => r.map((cell, i) => (i < r.length - 1 ? cell.padEnd(widths[i]!) : cell)).join('  ').trimEnd());
}

export function renderPlan(r: RunResult, config: Config, mode: 'dry-run' | 'applied'): string {
  const lines: string[] = [];
  const s = r.plan.schedule;
  lines.push(`schedule "${config.updates.schedule}": ${s.on ? 'on schedule' : 'off schedule'} (last tick ${s.last}, next ${s.next})`);
  const outcome = new Map(r.outcomes.map((o) => [o.slug, o]));
  const shown = r.plan.changes.filter((c) => outcome.has(c.slug));

  const rows: string[][] = [['lane', 'change', 'updates']];
  const needs: string[] = [];
  for (const [tier, lane] of LANES.entries()) {
    const cs = shown.filter((c) => tierOf(c) === tier);
    cs.forEach((c, i) => rows.push([i === 0 ? `${lane} (${cs.length})` : '', c.slug, updatesCell(c)]));
    const approvals = [...new Set(cs.flatMap((c) => requiredApprovals(config, c)))].map((a) => a.replace(/\*\*/g, ''));
    if (approvals.length) needs.push(`${lane}: ${approvals.join('; ')}`);
  }
  const byReason = new Map<string, PlannedChange[]>();
  for (const d of r.plan.deferred) byReason.set(d.reason, [...(byReason.get(d.reason) ?? []), d.change]);
  if (r.plan.deferred.length) rows.push([`deferred (${r.plan.deferred.length})`, '', '']);
  for (const [reason, cs] of byReason) {
    rows.push(['', `${plural(cs.length, 'change')}, ${plural(cs.reduce((n, c) => n + c.updates.length, 0), 'update')}`, reason]);
    rows.push(['', '', cs.map((c) => c.slug).join(', ')]);
  }
  lines.push('', ...(rows.length > 1 ? table(rows) : ['nothing to update']));
  if (needs.length) lines.push('', ...needs.map((n) => `needs, ${n}`));

  if (mode === 'applied') {
    for (const c of shown) {
      const o = outcome.get(c.slug)!;
      lines.push('', `${c.slug}  [${c.class}, ${c.lane} lane]  ${c.title}`);
      for (const u of c.updates) lines.push(`  ${u.candidate.service}  ${u.candidate.displayName}  ${u.entry.current ?? u.candidate.declared} -> ${u.to}${u.digest ? ` @${u.digest.slice(0, 19)}` : ''}  (${u.updateType}${u.security ? `, fixes ${u.security.ids.join(', ')}` : ''})  ${u.candidate.file}`);
      lines.push(`  ${o.status}${o.commit ? ` ${o.commit.slice(0, 12)}` : ''} on ${o.branch}${o.bodyFile ? `; PR body ${o.bodyFile}` : ''}${o.changeId ? `; change ${o.changeId}` : ''}${o.pr ? `; PR #${o.pr.number} ${o.pr.url}` : ''}`);
      if (o.error) lines.push(`  error: ${o.error}`);
    }
  }
  for (const u of r.plan.unplanned) lines.push('', `not planned: ${u.fix.ids.join(', ')} in ${u.fix.service}: ${u.reason}`);
  for (const f of r.outdated.failures) lines.push('', `${f.ruleId ? `${f.ruleId} ${f.severity!.toUpperCase()}` : 'LOOKUP FAILED'}: ${f.service} ${f.name} (${f.file}): ${f.message}`);
  for (const h of r.outdated.unreachable ?? []) lines.push('', `UNREACHABLE: ${h.host}: ${h.lookups} lookup${h.lookups === 1 ? '' : 's'} not done: ${h.cause}`);
  const failed = r.outcomes.filter((o) => o.status === 'failed').length;
  lines.push('', `update: ${r.plan.changes.length} change(s) planned, ${r.plan.deferred.length} deferred${mode === 'applied' ? `, ${r.outcomes.filter((o) => o.status === 'committed').length} committed, ${r.outcomes.filter((o) => o.status === 'unchanged').length} unchanged, ${failed} failed` : ' (dry run: nothing changed)'}.`);
  return `${lines.join('\n')}\n`;
}
