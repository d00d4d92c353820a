import { execFileSync } from 'node:child_process';
import { classify } from '../formats/index.ts';
import { parsePackageLock } from '../formats/package-lock.ts';
import { parsePoetryLock } from '../formats/poetry-lock.ts';
import type { LockedPackage } from '../model/index.ts';
import { diffLock, type LockDiff } from '../updates/lock-diff.ts';

const git = (root: string, ...args: string[]): string | undefined => {
  try {
    return execFileSync('git', ['-C', root, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 28 });
  } catch {
    return undefined;
  }
};

/**
 * Which dependencies a change moved: the lock files that differ between two commits, parsed on both sides and
 * diffed package by package (the notice and the post-mortem name "requests 2.31.0 → 2.32.3", not only an image).
 * Empty when either commit is unknown.
 */
export function lockChanges(root: string, from: string, to: string): LockDiff[] {
  if (!from || !to || from.startsWith('-') || to.startsWith('-') || !/^[0-9a-f]{7,64}\^?$/.test(from) || !/^[0-9a-f]{7,64}$/.test(to)) return [];
  const files = git(root, 'diff', '--name-only', from, to);
  if (files === undefined) return [];
  const out: LockDiff[] = [];
  for (const file of files.split('\n').filter(Boolean).sort()) {
    const kind = classify(file);
    if (kind !== 'poetry-lock' && kind !== 'package-lock') continue;
    const side = (rev: string): LockedPackage[] => {
      const text = git(root, 'show', `${rev}:${file}`);
      if (text === undefined) return [];
      const r = kind === 'poetry-lock' ? parsePoetryLock(file, text) : parsePackageLock(file, text);
      return ((r.data as { packages?: LockedPackage[] } | undefined)?.packages ?? []) as LockedPackage[];
    };
    const d = diffLock(file, side(from), side(to), new Set());
    if (d.changes.length) out.push(d);
  }
  return out;
}

export function describeLockChanges(diffs: LockDiff[]): string[] {
  return diffs.flatMap((d) => d.changes.map((c) => `${c.name} ${c.from ?? '(none)'} → ${c.to ?? '(removed)'} (${d.file})`));
}
