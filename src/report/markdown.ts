import type { Finding } from '../model/finding.ts';
import type { RenderOptions } from './options.ts';
import { printable } from './printable.ts';
import { summarize } from './summary.ts';

/** Escapes prose for a Markdown table cell (HTML-looking text shown as text). */
function mdText(s: string): string {
  return s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/**
 * Text inside a code span, for a table cell: entities and backslashes are literal there (`&lt;` would show as
 * such), so only the table's `|` is escaped (GFM reads `\|` inside a code span in a table as `|`) and newlines
 * become spaces; the fence is one backtick longer than any run inside.
 */
export function mdCode(s: string): string {
  const body = s.replace(/\r?\n/g, ' ').replace(/\|/g, '\\|');
  const fence = '`'.repeat(Math.max(0, ...[...body.matchAll(/`+/g)].map((m) => m[0].length)) + 1);
  const pad = body.startsWith('`') || body.endsWith('`') ? ' ' : '';
  return printable(`${fence}${pad}${body}${pad}${fence}`, { oneLine: true });
}

/** Escapes text for a Markdown table cell; `code spans` in it are kept as code, unescaped inside. */
export function mdCell(s: string): string {
  // Controls (ANSI escapes, bidi overrides) from files are shown escaped, never passed to the reader raw.
  const parts = s.split(/(`[^`\n]+`)/);
  return printable(parts.map((p, i) => (i % 2 === 1 ? mdCode(p.slice(1, -1)) : mdText(p))).join(''), { oneLine: true });
}

/** A finding's message, with a link to its page when it names one (an advisory). */
function messageCell(f: Finding): string {
  const url = f.properties?.url;
  return typeof url === 'string' && /^https:\/\/[^\s()<>]+$/.test(url) ? `${mdCell(f.message)} ([advisory](${url}))` : mdCell(f.message);
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
      out.push(`| ${f.severity} | ${mdCell(f.ruleId)} | ${mdCell(f.service ?? '')} | ${mdCode(`${f.location.file}:${f.location.line}`)} | ${messageCell(f)} | ${mdCell(f.hint ?? '')} |`);
    }
    out.push('');
  }
  out.push(`_Fails at severity ${s.failOn} or above._`, '');
  return out.join('\n');
}
