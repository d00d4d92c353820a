import { git } from '../publish/git.ts';
import { RECORD_DIR } from './record-hook.ts';
import type { SecurityRecord } from './security-record.ts';

/** The security record a change's commit introduces, if any (`changes show`); unreadable → undefined, never a crash. */
export function recordOfCommit(root: string, commit: string): SecurityRecord | undefined {
  if (!/^[0-9a-f]{7,64}$/.test(commit)) return undefined;
  let files: string[];
  try {
    files = git(root, ['diff-tree', '--no-commit-id', '--name-only', '-r', '--root', commit]).split('\n').filter((f) => f.startsWith(`${RECORD_DIR}/`) && f.endsWith('.json'));
  } catch {
    return undefined;
  }
  for (const f of files.sort()) {
    try {
      const doc = JSON.parse(git(root, ['show', `${commit}:${f}`])) as SecurityRecord;
      if (doc && doc.schemaVersion === 1 && Array.isArray(doc.advisories)) return doc;
    } catch {
      // not a record: skip
    }
  }
  return undefined;
}
