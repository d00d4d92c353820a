import type { Config } from '../config/schema.ts';
import { analyzeConflicts } from '../conflicts/index.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { applyRuleConfig } from '../rules/apply-config.ts';
import { runFoundationRules } from '../rules/index.ts';

/** What an update must not make worse: `check`'s offline rules and `conflicts`, with the repository's rule config. */
export async function verifyFindings(inv: Inventory, config: Config): Promise<Finding[]> {
  return applyRuleConfig([...runFoundationRules(inv, config), ...analyzeConflicts(inv, config)], config);
}
