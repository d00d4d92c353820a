import type { Config } from '../config/schema.ts';
import { requiredApprovals } from '../publish/pr-body.ts';
import type { RunResult } from '../updates/run.ts';

/** `depwarden update` output: the plan, what happened to each change, and what was held back and why. */
export function renderPlan(r: RunResult, config: Config, mode: 'dry-run' | 'applied'): string {
  const lines: string[] = [];
  const s = r.plan.schedule;
  lines.push(`schedule "${config.updates.schedule}": ${s.on ? 'on schedule' : 'off schedule'} (last tick ${s.last}, next ${s.next})`);
  const outcome = new Map(r.outcomes.map((o) => [o.slug, o]));
  for (const c of r.plan.changes) {
    const o = outcome.get(c.slug);
    if (!o) continue;
    lines.push('', `${c.slug}  [${c.class}, ${c.lane} lane]  ${c.title}`);
    for (const u of c.updates) lines.push(`  ${u.candidate.service}  ${u.candidate.displayName}  ${u.entry.current ?? u.candidate.declared} -> ${u.to}${u.digest ? ` @${u.digest.slice(0, 19)}` : ''}  (${u.updateType}${u.security ? `, fixes ${u.security.ids.join(', ')}` : ''})  ${u.candidate.file}`);
    lines.push(`  needs: ${requiredApprovals(config, c).join('; ').replace(/\*\*/g, '')}`);
    if (mode === 'applied') {
      lines.push(`  ${o.status}${o.commit ? ` ${o.commit.slice(0, 12)}` : ''} on ${o.branch}${o.bodyFile ? `; PR body ${o.bodyFile}` : ''}${o.changeId ? `; change ${o.changeId}` : ''}${o.pr ? `; PR #${o.pr.number} ${o.pr.url}` : ''}`);
      if (o.error) lines.push(`  error: ${o.error}`);
    }
  }
  for (const d of r.plan.deferred) lines.push('', `deferred: ${d.change.slug} (${d.change.updates.length} update${d.change.updates.length === 1 ? '' : 's'}): ${d.reason}`);
  for (const u of r.plan.unplanned) lines.push('', `not planned: ${u.fix.ids.join(', ')} in ${u.fix.service}: ${u.reason}`);
  for (const f of r.outdated.failures) lines.push('', `${f.ruleId ? `${f.ruleId} ${f.severity!.toUpperCase()}` : 'LOOKUP FAILED'}: ${f.service} ${f.name} (${f.file}): ${f.message}`);
  for (const h of r.outdated.unreachable ?? []) lines.push('', `UNREACHABLE: ${h.host}: ${h.lookups} lookup${h.lookups === 1 ? '' : 's'} not done: ${h.cause}`);
  const failed = r.outcomes.filter((o) => o.status === 'failed').length;
  lines.push('', `update: ${r.plan.changes.length} change(s) planned, ${r.plan.deferred.length} deferred${mode === 'applied' ? `, ${r.outcomes.filter((o) => o.status === 'committed').length} committed, ${r.outcomes.filter((o) => o.status === 'unchanged').length} unchanged, ${failed} failed` : ' (dry run: nothing changed)'}.`);
  return `${lines.join('\n')}\n`;
}
