import type { Finding, Severity } from '../model/finding.ts';
import type { RenderOptions } from './options.ts';
import { printable } from './printable.ts';
import { summarize } from './summary.ts';

const COLORS: Record<Severity, string> = { critical: '\x1b[1;31m', high: '\x1b[31m', medium: '\x1b[33m', low: '\x1b[36m', info: '\x1b[2m' };
const RESET = '\x1b[0m';
const DIM = '\x1b[2m';

/** Human output: one block per finding, grouped by service, then a summary line. */
export function renderTable(findings: Finding[], opts: RenderOptions): string {
  const paint = (code: string, s: string): string => (opts.color ? `${code}${s}${RESET}` : s);
  const lines: string[] = [];
  const groups = new Map<string, Finding[]>();
  for (const f of findings) {
    const key = f.service ?? '(repository)';
    const list = groups.get(key);
    if (list) list.push(f);
    else groups.set(key, [f]);
  }
  for (const key of [...groups.keys()].sort()) {
    lines.push(paint('\x1b[1m', printable(key, { oneLine: true })));
    for (const f of groups.get(key)!) {
      const sev = paint(COLORS[f.severity], f.severity.toUpperCase().padEnd(8));
      // Our own escapes (colour) only: file names and messages quote hostile text (see printable.ts).
      lines.push(`  ${sev} ${printable(f.ruleId, { oneLine: true })}  ${printable(f.location.file, { oneLine: true })}:${f.location.line}:${f.location.column}  ${printable(f.message, { oneLine: true })}`);
      if (f.hint) lines.push(paint(DIM, `           fix: ${printable(f.hint, { oneLine: true })}`));
      // An advisory's page (audit findings): the title is in the message, the rest is one click away.
      if (typeof f.properties?.url === 'string') lines.push(paint(DIM, `           see: ${printable(f.properties.url, { oneLine: true })}`));
    }
    lines.push('');
  }
  const s = summarize(findings, opts.failOn);
  const counts = (['critical', 'high', 'medium', 'low', 'info'] as const).filter((k) => s.bySeverity[k] > 0).map((k) => `${s.bySeverity[k]} ${k}`);
  lines.push(
    s.total === 0
      ? `${opts.command}: no findings.`
      : `${opts.command}: ${s.total} finding${s.total === 1 ? '' : 's'} (${counts.join(', ')}); ${s.failed ? `failing at --fail-on ${s.failOn}` : `none at or above --fail-on ${s.failOn}`}.`,
  );
  return `${lines.join('\n')}\n`;
}
