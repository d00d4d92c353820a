import path from 'node:path';
import { JsonFileCache } from '../util/json-file-cache.ts';
import type { PackageProvenance } from './model.ts';

/**
 * Verdicts keyed by package + version + the hashes the lock pins (and the registry asked): a fleet re-check asks
 * the registry nothing for a package it has decided before. Only conclusive verdicts are kept; "unknown" (the
 * registry could not be asked) is asked again next time. One JSON file, written atomically.
 */
export class ProvenanceCache extends JsonFileCache<PackageProvenance> {
  constructor(dir: string) {
    super(path.join(dir, 'provenance-v1.json'), (v): v is PackageProvenance => !!v && typeof v === 'object' && typeof (v as PackageProvenance).name === 'string');
  }

  static key(p: { ecosystem: string; registry: string; name: string; version: string; hashes: string[] }): string {
    return `${p.ecosystem}|${p.registry}|${p.name}@${p.version}|${[...p.hashes].sort().join(',')}`;
  }

  override set(key: string, v: PackageProvenance): void {
    if (v.integrity.status === 'unknown') return;
    super.set(key, v);
  }
}
