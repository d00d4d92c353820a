import type { Config } from '../config/schema.ts';
import type { ManifestUnit } from '../model/inventory.ts';
import { relock } from '../relock/index.ts';

/**
 * The update engine's relock: the real tool for the unit's lock (Poetry or npm; relock() refuses any other lock
 * and says which), written in place (the caller works in a throw-away worktree). Packages whose constraint
 * already admits the new version are moved explicitly.
 */
export async function relockUnit(root: string, unit: ManifestUnit, inRange: { name: string; version: string }[], opts: { config: Config }): Promise<void> {
  await relock(root, unit, { write: true, npmRegistry: opts.config.updates.registries.npm, ...(inRange.length ? { update: inRange.map((p) => p.name) } : {}) });
}
