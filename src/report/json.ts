import type { Finding } from '../model/finding.ts';
import type { RenderOptions } from './options.ts';
import { summarize } from './summary.ts';

/**
 * The documented, versioned JSON shape (docs/output.md). Bump FINDINGS_SCHEMA_VERSION on any breaking change.
 * No timestamps or absolute paths: two runs on the same input are byte-identical.
 */
export const FINDINGS_SCHEMA_VERSION = 1;

export function findingToJson(f: Finding): Record<string, unknown> {
  // Keys written in sorted order, undefined ones left out (what sortKeys does, without a sort per finding: a
  // fleet's audit writes tens of thousands).
  const o: Record<string, unknown> = {};
  const put = (k: string, v: unknown): void => {
    if (v !== undefined) o[k] = v;
  };
  put('column', f.location.column);
  put('detail', f.detail);
  put('endColumn', f.location.endColumn);
  put('endLine', f.location.endLine);
  put('file', f.location.file);
  put('hint', f.hint);
  put('line', f.location.line);
  put('message', f.message);
  put('properties', f.properties ? sortKeys(f.properties) : undefined);
  put('ruleId', f.ruleId);
  put('service', f.service);
  put('severity', f.severity);
  put('subject', f.subject);
  return o;
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
