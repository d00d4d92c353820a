import type { Config } from '../config/schema.ts';
import type { Inventory } from '../model/inventory.ts';

/**
 * Heavy modules load when a command runs, not when the CLI starts: `depwarden scan` never pays for the rules,
 * the audit or the SBOM writers, and start-up is a large part of a run on a small repository.
 */
export async function inventoryOf(root: string, config: Config): Promise<Inventory> {
  const { buildInventory } = await import('../inventory/build.ts');
  return buildInventory(root, config);
}
