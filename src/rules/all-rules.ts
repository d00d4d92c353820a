import type { RuleInfo } from '../model/rule.ts';
import { CONFLICT_RULES } from '../conflicts/rules.ts';
import { EXPORT_RULES } from '../export/rules.ts';
import { PROVENANCE_RULES } from '../provenance/rules.ts';
import { GOVERNANCE_RULES } from '../governance/rules.ts';
import { LICENSE_RULES } from '../licenses/rules.ts';
import { UPDATE_RULES } from '../updates/rules.ts';
import { VULN_RULES } from '../vulns/rules.ts';
import { FOUNDATION_RULES } from './catalog.ts';

/** Every rule of every capability, sorted by id: the source of docs/rules.md and SARIF rule metadata. */
export function allRules(): RuleInfo[] {
  return [...FOUNDATION_RULES, ...CONFLICT_RULES, ...VULN_RULES, ...EXPORT_RULES, ...PROVENANCE_RULES, ...UPDATE_RULES, ...GOVERNANCE_RULES, ...LICENSE_RULES].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
