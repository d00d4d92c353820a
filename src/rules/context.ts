import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import type { SourceSpan } from '../model/source.ts';
import { FOUNDATION_RULES } from './catalog.ts';

export interface RuleContext {
  inv: Inventory;
  config: Config;
  /**
   * Service owning a repository-relative file. In a compose file the line decides: each compose service owns
   * the lines from its key to the next service's key, so postgres' image finding names postgres, not whichever
   * service happens to build from the same file (the attribution `scan` shows).
   */
  serviceOf(file: string, line?: number): string | undefined;
}

export type Rule = (ctx: RuleContext) => Finding[];

export function ruleContext(inv: Inventory, config: Config): RuleContext {
  const owner = new Map<string, string>();
  for (const s of inv.services) for (const f of s.files) if (!owner.has(f)) owner.set(f, s.name);
  const composeLines = new Map<string, { line: number; service?: string }[]>();
  for (const d of inv.files.values()) {
    if (d.kind !== 'compose') continue;
    const starts = d.services.map((cs) => {
      const s = inv.services.find((x) => x.compose.some((c) => c.file === d.file && c.service === cs));
      return { line: cs.span.line, ...(s ? { service: s.name } : {}) };
    });
    composeLines.set(d.file, starts.sort((a, b) => a.line - b.line));
  }
  const serviceOf = (f: string, line?: number): string | undefined => {
    const starts = composeLines.get(f);
    if (!starts) return owner.get(f);
    // Above the first service (version:, x- anchors) or with no line: the file is shared, no one service owns it.
    let at: string | undefined;
    for (const st of starts) if (line !== undefined && st.line <= line) at = st.service;
    return at;
  };
  return { inv, config, serviceOf };
}

const BY_ID = new Map(FOUNDATION_RULES.map((r) => [r.id, r]));

/** A finding of a foundation rule, with the catalogue's severity and hint. */
export function finding(
  ctx: RuleContext,
  ruleId: string,
  location: SourceSpan,
  message: string,
  extra: Partial<Pick<Finding, 'subject' | 'detail' | 'hint' | 'properties' | 'service'>> = {},
): Finding {
  const info = BY_ID.get(ruleId);
  if (!info) throw new Error(`unknown rule ${ruleId}`);
  const service = extra.service ?? ctx.serviceOf(location.file, location.line);
  return {
    ruleId,
    severity: info.defaultSeverity,
    message,
    hint: extra.hint ?? info.hint,
    location: { file: location.file, line: location.line, column: location.column, ...(location.endLine ? { endLine: location.endLine, endColumn: location.endColumn } : {}) },
    ...(service ? { service } : {}),
    ...(extra.subject ? { subject: extra.subject } : {}),
    ...(extra.detail ? { detail: extra.detail } : {}),
    ...(extra.properties ? { properties: extra.properties } : {}),
  };
}
