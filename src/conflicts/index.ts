import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { drift } from './drift.ts';
import { lockConsistency } from './lock-consistency.ts';
import { sharedLibraries } from './shared-libraries.ts';

/** Conflict findings (DW1xx) over an inventory: lock consistency, shared libraries, cross-service drift. */
export function analyzeConflicts(inv: Inventory, config: Config): Finding[] {
  return [...lockConsistency(inv), ...sharedLibraries(inv), ...drift(inv, config)];
}
