import { uncoveredFiles } from '../discover/coverage.ts';
import type { Inventory } from '../model/inventory.ts';

/** A file whose dependencies are missing from the inventory, and why. */
export interface InventoryGap {
  file: string;
  reason: string;
}

/** Kinds that name images and actions, not packages; every other kind (today's and future formats) declares or locks packages. */
const NOT_PACKAGE_KINDS = new Set(['dockerfile', 'compose', 'gha-workflow']);

/**
 * Where the inventory is known to be incomplete: dependency files of tools we do not read (DW012), dependency
 * files we could not read or parse at all (DW000 with no data), and paths the walk had to skip (DW013).
 * `sbom` marks its documents incomplete with these, `audit` says its result excludes them.
 */
export function inventoryGaps(inv: Inventory): InventoryGap[] {
  const out = new Map<string, string>();
  for (const u of uncoveredFiles(inv.allFiles, inv.kinds)) out.set(u.file, `not read: depwarden does not read ${u.tool} ${u.role} files (${u.ecosystem})`);
  for (const [file, kind] of inv.kinds) if (!NOT_PACKAGE_KINDS.has(kind) && !inv.files.has(file)) out.set(file, 'could not be read or parsed (DW000)');
  for (const f of inv.findings) if (f.ruleId === 'DW013' && !out.has(f.location.file)) out.set(f.location.file, 'skipped by the walk (DW013)');
  return [...out].map(([file, reason]) => ({ file, reason })).sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}

/** Gaps under a service root ("." holds everything). */
export function gapsUnder(gaps: InventoryGap[], root: string): InventoryGap[] {
  return root === '.' ? gaps : gaps.filter((g) => g.file.startsWith(`${root}/`));
}
