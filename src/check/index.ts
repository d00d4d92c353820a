import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { runFoundationRules } from '../rules/index.ts';

/**
 * `depwarden check`: every capability's findings over one shared inventory (parsed once).
 * Each capability contributes through its own analysis function; check only gathers.
 */
export async function collectCheckFindings(inv: Inventory, config: Config): Promise<Finding[]> {
  return [...runFoundationRules(inv, config)];
}
