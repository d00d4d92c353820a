import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { writeFileInside } from '../edit/atomic-write.ts';
import type { Inventory } from '../model/inventory.ts';
import type { PlannedChange } from '../updates/plan.ts';
import { buildSecurityRecord, type SecurityRecord } from './security-record.ts';

export const RECORD_DIR = '.depwarden/security-records';

/**
 * The update engine's hook: for a change with security fixes, the record built against the advisory database (the
 * one that planned the fixes) and the inventory after the update, written into the update's worktree so the change's
 * commit carries it. No database: no record, said in the PR body by its absence (the fixes were not planned either).
 */
export async function securityRecordFor(config: Config, change: PlannedChange, applied: { after: Inventory; verification?: { before: number; after: number } }, date: string, now: Date, worktree: string, env: NodeJS.ProcessEnv = process.env): Promise<SecurityRecord | undefined> {
  if (!change.updates.some((u) => u.security)) return undefined;
  const { AdvisoryDb, defaultDbDir } = await import('../vulns/store.ts');
  const db = AdvisoryDb.open(config.vulns.database ?? defaultDbDir(env));
  if (!db) return undefined;
  try {
    const record = buildSecurityRecord(change, applied.after, db, date, now, applied.verification ? { before: applied.verification.before, after: applied.verification.after } : undefined);
    if (record) writeFileInside(worktree, path.posix.join(RECORD_DIR, `${change.slug}.json`), Buffer.from(`${JSON.stringify(record, null, 2)}\n`, 'utf8'));
    return record;
  } finally {
    db.close();
  }
}
