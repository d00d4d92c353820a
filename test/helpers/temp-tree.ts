import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Writes `files` (repository-relative path → text) into `dir`, or a new temp dir, and returns the dir. */
export function writeTree(files: Record<string, string>, dir: string = mkdtempSync(path.join(tmpdir(), 'dw-tree-'))): string {
  for (const [rel, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, rel)), { recursive: true });
    writeFileSync(path.join(dir, rel), text);
  }
  return dir;
}
