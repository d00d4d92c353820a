import type { Finding } from '../model/finding.ts';
import type { RenderOptions } from './options.ts';
import { summarize } from './summary.ts';

/**
 * The documented, versioned JSON shape (docs/output.md). Bump FINDINGS_SCHEMA_VERSION on any breaking change.
 * No timestamps or absolute paths: two runs on the same input are byte-identical.
 */
export const FINDINGS_SCHEMA_VERSION = 1;

export function findingToJson(f: Finding): Record<string, unknown> {
  return sortKeys({
    ruleId: f.ruleId,
    severity: f.severity,
    message: f.message,
    hint: f.hint,
    detail: f.detail,
    file: f.location.file,
    line: f.location.line,
    column: f.location.column,
    endLine: f.location.endLine,
    endColumn: f.location.endColumn,
    service: f.service,
    subject: f.subject,
    properties: f.properties ? sortKeys(f.properties) : undefined,
  });
}

export function renderJson(findings: Finding[], opts: RenderOptions): string {
  const doc = {
    schemaVersion: FINDINGS_SCHEMA_VERSION,
    tool: { name: 'depwarden', version: opts.toolVersion },
    command: opts.command,
    summary: summarize(findings, opts.failOn),
    findings: findings.map(findingToJson),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

/** Object with keys in sorted order and undefined values dropped, for stable output. */
export function sortKeys<T extends Record<string, unknown>>(o: T): T {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(o).sort()) if (o[k] !== undefined) out[k] = o[k];
  return out as T;
}
