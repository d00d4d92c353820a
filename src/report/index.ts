import type { Finding } from '../model/finding.ts';
import { renderJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import type { FindingFormat, RenderOptions } from './options.ts';
import { renderSarif } from './sarif.ts';
import { renderTable } from './table.ts';
import { redactFinding } from '../util/redact.ts';

export { FINDING_FORMATS, type FindingFormat, type RenderOptions, useColor } from './options.ts';
export { summarize, type Summary } from './summary.ts';

/** Renders findings (already filtered and sorted) in one of the shared output formats. */
export function renderFindings(raw: Finding[], format: FindingFormat, opts: RenderOptions): string {
  // Findings quote files (a Dockerfile RUN line, a lock's URL): credentials never reach a report (issue 20.6).
  const findings = raw.map(redactFinding);
  switch (format) {
    case 'table':
      return renderTable(findings, opts);
    case 'json':
      return renderJson(findings, opts);
    case 'sarif':
      return renderSarif(findings, opts);
    case 'markdown':
      return renderMarkdown(findings, opts);
  }
}
