import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../edit/atomic-write.ts';
import type { PackageProvenance } from './model.ts';

/**
 * Verdicts keyed by package + version + the hashes the lock pins (and the registry asked): a fleet re-check asks
 * the registry nothing for a package it has decided before. Only conclusive verdicts are kept; "unknown" (the
 * registry could not be asked) is asked again next time. One JSON file, written atomically.
 */
export class ProvenanceCache {
  readonly file: string;
  private readonly entries: Map<string, PackageProvenance>;
  private dirty = false;

  constructor(dir: string) {
    this.file = path.join(dir, 'provenance-v1.json');
    this.entries = new Map();
    try {
      const doc = JSON.parse(readFileSync(this.file, 'utf8')) as { entries?: Record<string, PackageProvenance> };
      for (const [k, v] of Object.entries(doc.entries ?? {})) if (v && typeof v === 'object' && typeof v.name === 'string') this.entries.set(k, v);
    } catch {
      // absent or unreadable: start empty (a corrupt cache costs a re-check, never a wrong verdict)
    }
  }

  static key(p: { ecosystem: string; registry: string; name: string; version: string; hashes: string[] }): string {
    return `${p.ecosystem}|${p.registry}|${p.name}@${p.version}|${[...p.hashes].sort().join(',')}`;
  }

  /** Verdicts held (0: nothing to look up). */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): PackageProvenance | undefined {
    return this.entries.get(key);
  }

  set(key: string, v: PackageProvenance): void {
    if (v.integrity.status === 'unknown') return;
    this.entries.set(key, v);
    this.dirty = true;
  }

  save(): void {
    if (!this.dirty) return;
    mkdirSync(path.dirname(this.file), { recursive: true });
    const sorted = Object.fromEntries([...this.entries].sort(([a], [b]) => (a < b ? -1 : 1)));
    writeFileAtomic(this.file, Buffer.from(`${JSON.stringify({ version: 1, entries: sorted })}\n`, 'utf8'));
    this.dirty = false;
  }
}
