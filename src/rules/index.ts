import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { actionsRule } from './actions.ts';
import { ruleContext, type Rule, type RuleContext } from './context.ts';
import { dockerfileInstallsRule } from './dockerfile-installs.ts';
import { imagesRule } from './images.ts';
import { lockConstraintsRule } from './lock-constraints.ts';
import { lockFreshnessRule } from './lock-freshness.ts';
import { lockHashesRule } from './lock-hashes.ts';
import { lockPresenceRule } from './lock-presence.ts';
import { pinningRule } from './pinning.ts';
import { requirementsIncludesRule } from './requirements-includes.ts';
import { coverageRule } from './coverage.ts';

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
  coverageRule,
];

/** A discovery or parse finding gets the service owning its file (and line, in a compose file). */
export function withService(ctx: RuleContext, f: Finding): Finding {
  if (f.service) return f;
  const service = ctx.serviceOf(f.location.file, f.location.line);
  return service ? { ...f, service } : f;
}

/** The protocol's pinning and lock rules over an inventory (parse findings included). Unfiltered by config. */
export function runFoundationRules(inv: Inventory, config: Config): Finding[] {
  const ctx = ruleContext(inv, config);
  const out: Finding[] = inv.findings.map((f) => withService(ctx, f));
  // One rule can return a finding per locked package (125k in a large lock): no spread into push's arguments.
  for (const r of RULES) for (const f of r(ctx)) out.push(f);
  return out;
}
