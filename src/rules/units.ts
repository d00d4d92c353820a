import type { ParsedData } from '../model/files.ts';
import type { Inventory, ManifestUnit } from '../model/inventory.ts';

/** Every manifest/lock pair of the repository once (a manifest may sit in several services' views). */
export function allUnits(inv: Inventory): (ManifestUnit & { manifestData: ParsedData; lockData?: ParsedData })[] {
  const seen = new Set<string>();
  const out: (ManifestUnit & { manifestData: ParsedData; lockData?: ParsedData })[] = [];
  for (const s of inv.services) {
    for (const u of s.units) {
      if (seen.has(u.manifest)) continue;
      seen.add(u.manifest);
      const manifestData = inv.files.get(u.manifest);
      if (!manifestData) continue;
      const lockData = u.lock ? inv.files.get(u.lock) : undefined;
      out.push({ ...u, manifestData, ...(lockData ? { lockData } : {}) });
    }
  }
  return out.sort((a, b) => (a.manifest < b.manifest ? -1 : a.manifest > b.manifest ? 1 : 0));
}
