import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { actionsRule } from './actions.ts';
import { ruleContext, type Rule } from './context.ts';
import { dockerfileInstallsRule } from './dockerfile-installs.ts';
import { imagesRule } from './images.ts';
import { lockConstraintsRule } from './lock-constraints.ts';
import { lockFreshnessRule } from './lock-freshness.ts';
import { lockHashesRule } from './lock-hashes.ts';
import { lockPresenceRule } from './lock-presence.ts';
import { pinningRule } from './pinning.ts';
import { requirementsIncludesRule } from './requirements-includes.ts';

export { FOUNDATION_RULES } from './catalog.ts';
export { applyRuleConfig } from './apply-config.ts';

const RULES: Rule[] = [
  pinningRule,
  lockPresenceRule,
  lockFreshnessRule,
  lockConstraintsRule,
  lockHashesRule,
  imagesRule,
  actionsRule,
  dockerfileInstallsRule,
  requirementsIncludesRule,
];

/** The protocol's pinning and lock rules over an inventory (parse findings included). Unfiltered by config. */
export function runFoundationRules(inv: Inventory, config: Config): Finding[] {
  const ctx = ruleContext(inv, config);
  const out: Finding[] = inv.findings.map((f) => (f.service ? f : { ...f, ...(ctx.serviceOf(f.location.file) ? { service: ctx.serviceOf(f.location.file)! } : {}) }));
  for (const r of RULES) out.push(...r(ctx));
  return out;
}
