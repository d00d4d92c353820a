import type { SourceSpan } from './source.ts';

/** Ordered from least to most severe; `--fail-on` compares by index. */
export const SEVERITIES = ['info', 'low', 'medium', 'high', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export function severityRank(s: Severity): number {
  return SEVERITIES.indexOf(s);
}

export function isSeverity(s: string): s is Severity {
  return (SEVERITIES as readonly string[]).includes(s);
}

/** One result of an analysis: a rule that failed, a conflict, an advisory that matches. */
export interface Finding {
  /** Stable rule id, e.g. "DW001". Documented in docs/rules.md. */
  ruleId: string;
  severity: Severity;
  /** One line, says what is wrong. */
  message: string;
  /** What to do about it. */
  hint?: string;
  /** Longer explanation (a derivation, a list of consumers...), plain text with newlines. */
  detail?: string;
  location: SourceSpan;
  /** Service the finding belongs to, when it belongs to one. */
  service?: string;
  /** Package, image or action the finding is about. */
  subject?: string;
  /** Extra structured facts for JSON consumers; keys sorted on output. */
  properties?: Record<string, string | number | boolean | string[]>;
}

/** Deterministic order: file, line, column, rule, message. */
export function compareFindings(a: Finding, b: Finding): number {
  return (
    cmp(a.location.file, b.location.file) ||
    a.location.line - b.location.line ||
    a.location.column - b.location.column ||
    cmp(a.ruleId, b.ruleId) ||
    cmp(a.subject ?? '', b.subject ?? '') ||
    cmp(a.message, b.message)
  );
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
