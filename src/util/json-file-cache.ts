import { mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../edit/atomic-write.ts';

/**
 * Answers kept on disk between runs (provenance verdicts, registry licences): one JSON file `{version: 1, entries}`,
 * read once, written atomically with its keys sorted (byte-identical for the same answers), only when changed.
 * Entries that fail `valid` are dropped, and an absent or unreadable file is an empty cache: a corrupt cache costs
 * a lookup again, never a wrong answer.
 */
export class JsonFileCache<V> {
  readonly file: string;
  private readonly entries = new Map<string, V>();
  private dirty = false;

  constructor(file: string, valid: (v: unknown) => v is V) {
    this.file = file;
    try {
      const doc = JSON.parse(readFileSync(file, 'utf8')) as { entries?: Record<string, unknown> };
      for (const [k, v] of Object.entries(doc.entries ?? {})) if (valid(v)) this.entries.set(k, v);
    } catch {
      // absent or unreadable: start empty
    }
  }

  /** Entries held (0: nothing to look up). */
  get size(): number {
    return this.entries.size;
  }

  get(key: string): V | undefined {
    return this.entries.get(key);
  }

  set(key: string, v: V): void {
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
