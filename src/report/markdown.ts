import type { Finding } from '../model/finding.ts';
import type { RenderOptions } from './options.ts';
import { printable } from './printable.ts';
import { summarize } from './summary.ts';

/** Escapes text for a Markdown table cell. */
export function mdCell(s: string): string {
  // Controls (ANSI escapes, bidi overrides) from files are shown escaped, never passed to the reader raw.
  return printable(s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>').replace(/</g, '&lt;').replace(/>/g, '&gt;'), { oneLine: true });
}

/** For a pull-request comment: a verdict line, counts, and a table per severity-sorted finding. */
export function renderMarkdown(findings: Finding[], opts: RenderOptions): string {
  const s = summarize(findings, opts.failOn);
  const out: string[] = [`### depwarden ${opts.command}: ${s.total === 0 ? 'no findings' : s.failed ? `failed (${s.total} findings)` : `passed with ${s.total} findings`}`, ''];
  if (s.total > 0) {
    out.push(
      `| severity | count |`,
      `| --- | ---: |`,
      ...(['critical', 'high', 'medium', 'low', 'info'] as const).filter((k) => s.bySeverity[k] > 0).map((k) => `| ${k} | ${s.bySeverity[k]} |`),
      '',
      '| severity | rule | service | location | finding | fix |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    for (const f of findings) {
      out.push(`| ${f.severity} | ${mdCell(f.ruleId)} | ${mdCell(f.service ?? '')} | \`${mdCell(`${f.location.file}:${f.location.line}`)}\` | ${mdCell(f.message)} | ${mdCell(f.hint ?? '')} |`);
    }
    out.push('');
  }
  out.push(`_Fails at severity ${s.failOn} or above._`, '');
  return out.join('\n');
}
