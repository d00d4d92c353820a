import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import type { SourceSpan } from '../model/source.ts';
import { FOUNDATION_RULES } from './catalog.ts';

export interface RuleContext {
  inv: Inventory;
  config: Config;
  /** Service owning a repository-relative file. */
  serviceOf(file: string): string | undefined;
}

export type Rule = (ctx: RuleContext) => Finding[];

export function ruleContext(inv: Inventory, config: Config): RuleContext {
  const owner = new Map<string, string>();
  for (const s of inv.services) for (const f of s.files) if (!owner.has(f)) owner.set(f, s.name);
  return { inv, config, serviceOf: (f) => owner.get(f) };
}

const BY_ID = new Map(FOUNDATION_RULES.map((r) => [r.id, r]));

/** A finding of a foundation rule, with the catalogue's severity and hint. */
export function finding(
  ctx: RuleContext,
  ruleId: string,
  location: SourceSpan,
  message: string,
  extra: Partial<Pick<Finding, 'subject' | 'detail' | 'hint' | 'properties'>> = {},
): Finding {
  const info = BY_ID.get(ruleId);
  if (!info) throw new Error(`unknown rule ${ruleId}`);
  const service = ctx.serviceOf(location.file);
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
