import type { Finding } from '../model/finding.ts';
import { renderJson } from './json.ts';
import { renderMarkdown } from './markdown.ts';
import type { FindingFormat, RenderOptions } from './options.ts';
import { renderSarif } from './sarif.ts';
import { renderTable } from './table.ts';

export { FINDING_FORMATS, type FindingFormat, type RenderOptions, useColor } from './options.ts';
export { summarize, type Summary } from './summary.ts';

/** Renders findings (already filtered and sorted) in one of the shared output formats. */
export function renderFindings(findings: Finding[], format: FindingFormat, opts: RenderOptions): string {
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
