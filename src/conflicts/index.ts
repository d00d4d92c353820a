import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { drift } from './drift.ts';
import { lockConsistency } from './lock-consistency.ts';

/** Conflict findings (DW1xx) over an inventory: lock consistency and cross-service drift. */
export function analyzeConflicts(inv: Inventory, config: Config): Finding[] {
  return [...lockConsistency(inv), ...drift(inv, config)];
}
