import fs from 'node:fs';
import path from 'node:path';
import { applyEdits, type AppliedFile } from '../edit/apply.ts';
import { writeFileAtomic } from '../edit/atomic-write.ts';
import { resolveInside } from '../edit/paths.ts';
import { snapshot } from '../edit/transaction.ts';
import type { TextEdit } from '../model/update.ts';
import { runNpmLock } from './npm.ts';
import { pruneLockClosure } from './npm-refresh.ts';
import { runPoetryLock } from './poetry.ts';
import { RelockError } from './run-tool.ts';

export { RelockError, redactSecrets } from './run-tool.ts';
export { poetryLockArgs, runPoetryLock } from './poetry.ts';
export { runNpmLock } from './npm.ts';
export { requirementsHashEdits, type HashedUpdate } from './requirements-hashes.ts';

/** A manifest and its lock, repository-relative (an inventory ManifestUnit carries the same). */
export interface RelockUnit {
  ecosystem: 'PyPI' | 'npm';
  manifest: string;
  /** Absent when the project has no lock yet: the tool creates one next to the manifest. */
  lock?: string;
}

export interface RelockOptions {
  /** npm registry from depwarden's config (a `registry=` in the project's .npmrc wins). */
  npmRegistry?: string;
  /** Added to the tool's controlled environment (last, so it can override). */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Manifest edits to make first (the new constraints); the tool resolves against them. */
  edits?: TextEdit[];
  /** Packages to move within unchanged constraints (`poetry update --lock`, `npm update`). */
  update?: string[];
  /**
   * npm only: when the lock cannot be updated in place (ERESOLVE), retry once with the lock entries of these
   * packages and of everything they depend on removed, so npm re-resolves what the change touches (npm-refresh.ts).
   */
  refreshOnConflict?: string[];
  /** Leave the new manifest(s) and lock on disk; by default the tree is restored and only the texts returned. */
  write?: boolean;
  poetry?: string;
  npm?: string;
}

export interface RelockResult {
  /** The lock file, repository-relative. */
  file: string;
  /** Undefined when there was no lock before. */
  before?: string;
  after: string;
  /** Every other snapshotted file that differs afterwards (the edited manifests, anything the tool rewrote). */
  changed: AppliedFile[];
  tool: { name: 'poetry' | 'npm'; version: string; command: string[]; ms: number };
  /** Set when the first attempt failed with ERESOLVE and the retry re-resolved these packages' lock entries. */
  refreshed?: string[];
}

function lockKind(unit: RelockUnit): { kind: 'poetry' | 'npm'; lock: string } {
  const dir = path.posix.dirname(unit.manifest);
  const join = (f: string): string => (dir === '.' ? f : `${dir}/${f}`);
  const base = unit.lock ? path.posix.basename(unit.lock) : undefined;
  if (base === 'poetry.lock' || (!base && unit.ecosystem === 'PyPI' && path.posix.basename(unit.manifest) === 'pyproject.toml')) return { kind: 'poetry', lock: unit.lock ?? join('poetry.lock') };
  if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json' || (!base && unit.ecosystem === 'npm')) return { kind: 'npm', lock: unit.lock ?? join('package-lock.json') };
  throw new RelockError(`no relock tool for ${unit.manifest}${unit.lock ? ` with ${unit.lock}` : ''} (hashed requirements files use requirementsHashEdits)`);
}

/**
 * Makes the manifest edits, runs the real lock tool (Poetry or npm) and captures the new lock, all inside a
 * snapshot of the manifest, the lock and every edited file. Whatever happens (tool failure, timeout, a stale
 * edit) the snapshot is restored before this returns or throws, so the tree is byte-identical to before. With
 * `write`, the captured results are then written atomically in one step (and rolled back together on failure);
 * without it, nothing on disk changes and the caller gets the texts. Not for concurrent use on one tree.
 */
export async function relock(root: string, unit: RelockUnit, opts: RelockOptions = {}): Promise<RelockResult> {
  const { kind, lock } = lockKind(unit);
  const edits = opts.edits ?? [];
  const projectDir = path.dirname(resolveInside(root, kind === 'npm' ? lock : unit.manifest));
  const relDir = path.posix.dirname(lock);
  const siblings = kind === 'npm' ? ['package.json', 'package-lock.json', 'npm-shrinkwrap.json'] : ['pyproject.toml', 'poetry.lock'];
  const watched = [...new Set([unit.manifest, lock, ...edits.map((e) => e.file), ...siblings.map((f) => (relDir === '.' ? f : `${relDir}/${f}`))])];
  const tx = snapshot(root, watched);
  const before = tx.original(lock);
  let after: string;
  let tool: RelockResult['tool'];
  let refreshed: string[] | undefined;
  const finalState = new Map<string, string | undefined>();
  try {
    applyEdits(root, edits);
    if (kind === 'poetry') {
      const r = await runPoetryLock(projectDir, { ...(opts.poetry ? { poetry: opts.poetry } : {}), ...(opts.env ? { env: opts.env } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.update ? { update: opts.update } : {}) });
      after = r.lockText;
      tool = { name: 'poetry', version: r.version, command: r.command, ms: r.ms };
    } else {
      const run = () => runNpmLock(projectDir, { ...(opts.npm ? { npm: opts.npm } : {}), ...(opts.npmRegistry ? { registry: opts.npmRegistry } : {}), ...(opts.env ? { env: opts.env } : {}), ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}), ...(opts.update ? { update: opts.update } : {}) });
      let r: Awaited<ReturnType<typeof run>>;
      try {
        r = await run();
      } catch (e) {
        // The tree is inside the snapshot: the pruned lock is restored with everything else if the retry fails too.
        const pruned = e instanceof RelockError && /\bERESOLVE\b/.test(e.message) && before !== undefined && opts.refreshOnConflict?.length ? pruneLockClosure(before, opts.refreshOnConflict) : undefined;
        if (!pruned) throw e;
        fs.writeFileSync(resolveInside(root, lock), pruned.text);
        r = await run();
        refreshed = pruned.removed;
      }
      after = r.lockText;
      tool = { name: 'npm', version: r.version, command: r.command, ms: r.ms };
    }
    for (const f of tx.changed()) {
      const abs = resolveInside(root, f);
      finalState.set(f, fs.existsSync(abs) ? fs.readFileSync(abs, 'utf8') : undefined);
    }
  } finally {
    tx.restore();
  }
  const changed: AppliedFile[] = [...finalState].filter(([f, text]) => f !== lock && text !== undefined && tx.original(f) !== undefined).map(([f, text]) => ({ file: f, before: tx.original(f)!, after: text! }));
  if (opts.write) writeAll(root, watched, lock, before, after, changed);
  return { file: lock, ...(before !== undefined ? { before } : {}), after, changed, tool, ...(refreshed ? { refreshed } : {}) };
}

/** Writes the captured state in one step: existing files through applyEdits (checked, atomic, rolled back on failure), a new lock last. */
function writeAll(root: string, watched: string[], lock: string, before: string | undefined, after: string, changed: AppliedFile[]): void {
  const whole = (file: string, from: string, to: string): TextEdit => ({ file, start: 0, end: from.length, expected: from, replacement: to });
  const edits = changed.map((c) => whole(c.file, c.before, c.after));
  if (before !== undefined) edits.push(whole(lock, before, after));
  const tx = snapshot(root, watched);
  try {
    applyEdits(root, edits);
    if (before === undefined) writeFileAtomic(resolveInside(root, lock), Buffer.from(after, 'utf8'));
  } catch (e) {
    tx.restore();
    throw e;
  }
}
