import type { Config } from '../config/schema.ts';
import type { ManifestUnit } from '../model/inventory.ts';
import { relock } from '../relock/index.ts';

/**
 * The update engine's relock: the real tool for the unit's lock (Poetry or npm; relock() refuses any other lock
 * and says which), written in place (the caller works in a throw-away worktree). Packages whose constraint
 * already admits the new version are moved explicitly.
 */
export async function relockUnit(root: string, unit: ManifestUnit, inRange: { name: string; version: string }[], opts: { config: Config; moved?: string[] }): Promise<RelockOutcome> {
  const r = await relock(root, unit, { write: true, npmRegistry: opts.config.updates.registries.npm, ...(inRange.length ? { update: inRange.map((p) => p.name) } : {}), ...(opts.moved?.length ? { refreshOnConflict: opts.moved } : {}) });
  return r.refreshed ? { refreshed: r.refreshed } : {};
}

/** What the PR body should know about how the lock was made. */
export interface RelockOutcome {
  /** npm refused to update the lock in place; these packages' entries (the change's and their dependencies) were re-resolved. */
  refreshed?: string[];
}
