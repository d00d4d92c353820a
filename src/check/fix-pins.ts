import fs from 'node:fs';
import path from 'node:path';
import { applyEdits, EditError, editDependency, exactPin } from '../edit/index.ts';
import { KeyLocator } from '../formats/json-positions.ts';
import { parsePipfile } from '../formats/pipfile.ts';
import { parsePyproject } from '../formats/pyproject.ts';
import type { Dependency } from '../model/dependency.ts';
import type { ParsedData } from '../model/files.ts';
import type { Inventory } from '../model/inventory.ts';
import type { TextEdit } from '../model/update.ts';
import { constraintFiles, unpinnedDeclarations } from '../rules/pinning.ts';
import { allUnits } from '../rules/units.ts';

/** What `check --fix` did: one line per pinned declaration, one per declaration it left (and why). */
export interface PinFixResult {
  changed: string[];
  left: string[];
  files: string[];
}

/**
 * Locks that copy the manifest's ranges and whose copy we do not rewrite: pinning the manifest alone would put
 * them out of date (DW003), so their manifests are left for a relock.
 */
const RELOCK_FIRST: Partial<Record<ParsedData['kind'], string>> = {
  'pnpm-lock': 'pnpm install --lockfile-only',
  'yarn-lock': 'yarn install --mode=update-lockfile',
  'uv-lock': 'uv lock',
};

/**
 * `depwarden check --fix`: DW001's pins, the version each manifest's lock holds written into the manifest
 * (format-preserving), with the lock's own copy of the manifest kept in step (Poetry's content-hash, the
 * package-lock entry's ranges, Pipfile.lock's hash) so the pair stays fresh. All files are written at once
 * or none (applyEdits); a declaration with no locked version is left and said.
 */
export function fixPins(inv: Inventory, opts: { dryRun?: boolean } = {}): PinFixResult {
  const edits: TextEdit[] = [];
  const changed: string[] = [];
  const left: string[] = [];
  const skip = constraintFiles(inv);
  const read = (f: string): string => fs.readFileSync(path.join(inv.root, f), 'utf8');
  for (const u of allUnits(inv)) {
    if (skip.has(u.manifest)) continue;
    const list = unpinnedDeclarations(inv, u, u.manifestData);
    if (list.length === 0) continue;
    const relock = u.lockData ? RELOCK_FIRST[u.lockData.kind] : undefined;
    if (relock) {
      for (const x of list) left.push(`${u.manifest}: ${x.dep.name} ${shown(x.dep)}: ${u.lock} records the manifest's ranges; pin it and run \`${relock}\``);
      continue;
    }
    const text = read(u.manifest);
    const unitEdits: TextEdit[] = [];
    const pinned: { dep: Dependency; to: string }[] = [];
    for (const x of list) {
      if (x.locked === undefined) {
        left.push(`${u.manifest}: ${x.dep.name} ${shown(x.dep)}: ${u.lock ? `${u.lock} holds no version of it` : 'no lock'}; relock, then pin`);
        continue;
      }
      try {
        const to = exactPin(x.dep.constraintSyntax === 'none' ? 'pep440' : x.dep.constraintSyntax, x.locked);
        unitEdits.push(...editDependency(x.dep, to, text));
        pinned.push({ dep: x.dep, to });
        changed.push(`${u.manifest}:${x.dep.span.line}: ${x.dep.name} ${shown(x.dep)} -> ${to}`);
      } catch (e) {
        if (!(e instanceof EditError)) throw e;
        left.push(`${u.manifest}: ${x.dep.name}: ${e.message}`);
      }
    }
    if (unitEdits.length === 0) continue;
    edits.push(...unitEdits);
    if (u.lock && u.lockData) edits.push(...lockInStep(u.manifestData, u.lockData, read(u.lock), applyInMemory(text, unitEdits), pinned));
  }
  const applied = edits.length ? applyEdits(inv.root, edits, opts) : [];
  return { changed, left, files: applied.filter((a) => a.before !== a.after).map((a) => a.file).sort() };
}

function shown(d: Dependency): string {
  return d.constraint === '' ? '(no version)' : JSON.stringify(d.constraint);
}

function applyInMemory(text: string, edits: TextEdit[]): string {
  let out = text;
  for (const e of [...edits].sort((a, b) => b.start - a.start)) out = out.slice(0, e.start) + e.replacement + out.slice(e.end);
  return out;
}

/** The lock's copy of the manifest, updated for the new pins; nothing when the lock was already out of date. */
function lockInStep(manifest: ParsedData, lock: ParsedData, lockText: string, after: string, pinned: { dep: Dependency; to: string }[]): TextEdit[] {
  if (manifest.kind === 'pyproject' && lock.kind === 'poetry-lock' && lock.contentHash) {
    const gen = lock.contentHash === manifest.contentHash.poetry2 ? 'poetry2' : lock.contentHash === manifest.contentHash.poetry1 ? 'poetry1' : undefined;
    const next = gen ? parsePyproject(manifest.file, after).data?.contentHash[gen] : undefined;
    const m = /^content-hash\s*=\s*"([0-9a-f]+)"/m.exec(lockText);
    if (!next || !m || m[1] !== lock.contentHash) return [];
    const start = m.index + m[0].indexOf(m[1]);
    return [{ file: lock.file, start, end: start + m[1].length, expected: m[1], replacement: next }];
  }
  if (manifest.kind === 'pipfile' && lock.kind === 'pipfile-lock' && lock.hash === manifest.hash) {
    const next = parsePipfile(manifest.file, after).data?.hash;
    const at = lockText.indexOf(`"${lock.hash}"`);
    if (!next || at < 0) return [];
    return [{ file: lock.file, start: at + 1, end: at + 1 + lock.hash.length, expected: lock.hash, replacement: next }];
  }
  if (manifest.kind === 'package-json' && lock.kind === 'package-lock' && lock.root) return packageLockEntry(manifest.file, lock.file, lockText, pinned);
  return [];
}

/** package-lock v2/v3 copies each workspace's ranges into its `packages` entry ("" for the root). */
function packageLockEntry(manifest: string, lockFile: string, text: string, pinned: { dep: Dependency; to: string }[]): TextEdit[] {
  const key = path.posix.relative(path.posix.dirname(lockFile), path.posix.dirname(manifest));
  const loc = new KeyLocator(text);
  if (loc.next('packages') === undefined) return [];
  const at = loc.next(key);
  if (at === undefined) return [];
  const open = text.indexOf('{', at + JSON.stringify(key).length);
  const close = objectEnd(text, open);
  if (open < 0 || close < 0) return [];
  const out: TextEdit[] = [];
  for (const { dep, to } of pinned) {
    const section = dep.optional ? 'optionalDependencies' : dep.dev ? 'devDependencies' : 'dependencies';
    const s = sectionRange(text, open, close, section);
    if (!s) continue;
    const k = new KeyLocator(text, s.open + 1).next(dep.name);
    if (k === undefined || k > s.close) continue;
    const v = KeyLocator.stringValue(text, k);
    if (!v || text.slice(v.start, v.end) !== dep.constraint) continue;
    out.push({ file: lockFile, start: v.start, end: v.end, expected: dep.constraint, replacement: to });
  }
  return out;
}

/** The `{ … }` of a key directly inside the object [open, close]. */
function sectionRange(text: string, open: number, close: number, key: string): { open: number; close: number } | undefined {
  const loc = new KeyLocator(text, open + 1);
  for (let k = loc.next(key); k !== undefined && k < close; k = loc.next(key)) {
    if (depthAt(text, open, k) !== 1) continue;
    const o = text.indexOf('{', k);
    const c = objectEnd(text, o);
    return o >= 0 && c >= 0 && c <= close ? { open: o, close: c } : undefined;
  }
  return undefined;
}

/** Offset of the `}` closing the object opened at `open` (strings skipped); -1 when unbalanced. */
function objectEnd(text: string, open: number): number {
  if (text[open] !== '{') return -1;
  let depth = 0;
  for (let i = open; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < text.length && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return i;
  }
  return -1;
}

function depthAt(text: string, open: number, at: number): number {
  let depth = 0;
  for (let i = open; i < at; i++) {
    const c = text[i];
    if (c === '"') {
      for (i++; i < at && text[i] !== '"'; i++) if (text[i] === '\\') i++;
    } else if (c === '{') depth++;
    else if (c === '}') depth--;
  }
  return depth;
}
