import fs from 'node:fs';
import { writeFileAtomic } from './atomic-write.ts';
import { EditError } from './edit-error.ts';
import { resolveInside } from './paths.ts';

interface Saved {
  file: string;
  abs: string;
  /** Undefined: the file did not exist, so restoring deletes it. */
  bytes?: Buffer;
  mode?: number;
}

/**
 * The exact bytes (and mode) of some files at one moment, kept in memory, so that whatever a relock tool does to
 * them, `restore()` puts the tree back: original bytes rewritten atomically, files that did not exist deleted.
 */
export class Transaction {
  readonly #saved: Saved[];

  private constructor(saved: Saved[]) {
    this.#saved = saved;
  }

  static snapshot(root: string, files: string[]): Transaction {
    const saved: Saved[] = [];
    for (const file of new Set(files)) {
      const abs = resolveInside(root, file);
      let st: fs.Stats | undefined;
      try {
        st = fs.statSync(abs);
      } catch {
        st = undefined;
      }
      if (st && !st.isFile()) throw new EditError(`${file}: not a regular file`);
      saved.push(st ? { file, abs, bytes: fs.readFileSync(abs), mode: st.mode & 0o7777 } : { file, abs });
    }
    return new Transaction(saved);
  }

  get files(): string[] {
    return this.#saved.map((s) => s.file);
  }

  /** The original text of a snapshotted file (undefined when it did not exist). */
  original(file: string): string | undefined {
    return this.#saved.find((s) => s.file === file)?.bytes?.toString('utf8');
  }

  /** Files whose bytes, mode or existence differ from the snapshot. */
  changed(): string[] {
    return this.#saved.filter((s) => differs(s)).map((s) => s.file);
  }

  /** Puts every file back; returns those that had changed. Tries all files, then reports every failure. */
  restore(): string[] {
    const put: string[] = [];
    const failed: string[] = [];
    for (const s of this.#saved) {
      if (!differs(s)) continue;
      try {
        if (s.bytes) writeFileAtomic(s.abs, s.bytes, { mode: s.mode! });
        else fs.rmSync(s.abs, { force: true });
        put.push(s.file);
      } catch (e) {
        failed.push(`${s.file} (${e instanceof Error ? e.message : String(e)})`);
      }
    }
    if (failed.length) throw new EditError(`could not restore ${failed.join(', ')}`);
    return put;
  }
}

export function snapshot(root: string, files: string[]): Transaction {
  return Transaction.snapshot(root, files);
}

function differs(s: Saved): boolean {
  let st: fs.Stats | undefined;
  try {
    st = fs.statSync(s.abs);
  } catch {
    st = undefined;
  }
  if (!s.bytes) return st !== undefined;
  if (!st || !st.isFile() || (st.mode & 0o7777) !== s.mode) return true;
  return !fs.readFileSync(s.abs).equals(s.bytes);
}
