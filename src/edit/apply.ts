import fs from 'node:fs';
import path from 'node:path';
import type { TextEdit } from '../model/update.ts';
import { writeFileAtomic } from './atomic-write.ts';
import { EditError, lineOf } from './edit-error.ts';
import { resolveInside } from './paths.ts';

export interface ApplyOptions {
  /** Compute and check everything, write nothing. */
  dryRun?: boolean;
  /** The writer (tests inject failures here); defaults to an atomic temp-file + fsync + rename. */
  write?: (absPath: string, data: Uint8Array) => void;
}

export interface AppliedFile {
  file: string;
  before: string;
  after: string;
}

interface Planned extends AppliedFile {
  abs: string;
  bytes: Buffer;
}

/**
 * Applies text edits to files under `root`, all or nothing. Every file is read and every edit checked
 * (`expected` text still there, no overlaps, valid UTF-8) before the first byte is written; a problem anywhere
 * throws one EditError listing each file:line and leaves every file untouched. Edits apply back to front per
 * file, files are written atomically one by one, and if a write fails the files already written get their
 * original bytes back. Identical duplicate edits (two updates proposing the same change) count once.
 */
export function applyEdits(root: string, edits: TextEdit[], opts: ApplyOptions = {}): AppliedFile[] {
  const byFile = new Map<string, TextEdit[]>();
  for (const e of edits) {
    const key = path.posix.normalize(e.file.replace(/\\/g, '/'));
    byFile.set(key, [...(byFile.get(key) ?? []), e]);
  }
  const problems: string[] = [];
  const planned: Planned[] = [];
  for (const [file, list] of byFile) {
    let abs: string;
    let bytes: Buffer;
    try {
      abs = resolveInside(root, file);
      bytes = fs.readFileSync(abs);
    } catch (e) {
      problems.push(e instanceof EditError ? e.message : `${file}: cannot read: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    const before = bytes.toString('utf8');
    // Offsets are UTF-16 indices into the decoded text: a file that does not survive decoding cannot be edited byte-exactly.
    if (!Buffer.from(before, 'utf8').equals(bytes)) {
      problems.push(`${file}: not valid UTF-8, refusing to edit`);
      continue;
    }
    const unique = [...new Map(list.map((e) => [`${e.start}\0${e.end}\0${e.expected}\0${e.replacement}`, e])).values()].sort((a, b) => a.start - b.start || a.end - b.end);
    let ok = true;
    for (let i = 0; i < unique.length; i++) {
      const e = unique[i]!;
      const line = lineOf(before, e.start);
      if (!(Number.isInteger(e.start) && Number.isInteger(e.end) && e.start >= 0 && e.end >= e.start && e.end <= before.length)) {
        problems.push(`${file}:${line}: edit [${e.start}, ${e.end}) is outside the file (${before.length} characters)`);
        ok = false;
        continue;
      }
      const found = before.slice(e.start, e.end);
      if (found !== e.expected) {
        problems.push(`${file}:${line}: expected ${JSON.stringify(e.expected)} but found ${JSON.stringify(found)} (file changed since the edit was planned)`);
        ok = false;
      }
      const prev = unique[i - 1];
      // Touching edits are fine; overlapping ones, or two at one point, have no single meaning.
      if (prev && (e.start < prev.end || (e.start === prev.start && (e.start === e.end || prev.start === prev.end)))) {
        problems.push(`${file}:${line}: overlapping edits [${prev.start}, ${prev.end}) and [${e.start}, ${e.end})`);
        ok = false;
      }
    }
    if (!ok) continue;
    let after = before;
    for (let i = unique.length - 1; i >= 0; i--) {
      const e = unique[i]!;
      after = after.slice(0, e.start) + e.replacement + after.slice(e.end);
    }
    planned.push({ file, abs, bytes, before, after });
  }
  if (problems.length) throw new EditError(`nothing written:\n  ${problems.join('\n  ')}`);
  const changed = planned.filter((p) => p.after !== p.before);
  if (opts.dryRun) return planned.map(({ file, before, after }) => ({ file, before, after }));

  const write = opts.write ?? ((abs: string, data: Uint8Array) => writeFileAtomic(abs, data));
  const done: Planned[] = [];
  for (const p of changed) {
    try {
      // Another writer between the check and now would be silently overwritten: look again, right before.
      if (!fs.readFileSync(p.abs).equals(p.bytes)) throw new EditError(`${p.file}: changed on disk while the edits were being applied`);
      write(p.abs, Buffer.from(p.after, 'utf8'));
      done.push(p);
    } catch (e) {
      const failedRestores: string[] = [];
      for (const d of [...done].reverse()) {
        try {
          writeFileAtomic(d.abs, d.bytes);
        } catch (re) {
          failedRestores.push(`${d.file} (${re instanceof Error ? re.message : String(re)})`);
        }
      }
      const why = e instanceof Error ? e.message : String(e);
      const restored = failedRestores.length ? `; COULD NOT RESTORE ${failedRestores.join(', ')}` : done.length ? `; restored ${done.map((d) => d.file).join(', ')}` : '';
      throw new EditError(`writing ${p.file} failed: ${why}${restored}`, { cause: e });
    }
  }
  return planned.map(({ file, before, after }) => ({ file, before, after }));
}
