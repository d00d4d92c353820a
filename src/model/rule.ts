import type { Severity } from './finding.ts';

/**
 * A rule's catalogue entry. Every capability exports its rules as RuleInfo[]; docs/rules.md is generated
 * from the union (a test fails when the doc and the code disagree), so ids and docs never drift apart.
 */
export interface RuleInfo {
  /** "DW" + three digits. Ranges: 0xx foundation, 1xx conflicts, 2xx vulnerabilities, 3xx SBOM/provenance,
   * 4xx updates, 5xx governance. Ids are never reused. */
  id: string;
  /** Short title, e.g. "Direct dependency not pinned exactly". */
  title: string;
  defaultSeverity: Severity;
  /** One line: what the rule checks and why the protocol wants it. */
  description: string;
  /** One line: how to fix a finding. */
  hint: string;
}
