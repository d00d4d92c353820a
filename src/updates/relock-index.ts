import { lockedElsewhere } from '../datasources/npm.ts';
import { sameIndexKey } from '../datasources/python-indexes.ts';
import { redact } from '../http/client.ts';
import type { Inventory } from '../model/inventory.ts';
import type { PackageReleases } from '../model/update.ts';
import type { PlannedChange } from './plan.ts';

/**
 * After a relock: did the tool take an updated package from the index its lookup answered from? Poetry merges its
 * primary sources and npm follows its own configuration, so a relock could lock a same-named package from another
 * index (a public `acme-internal-auth` 99.0.0) even though depwarden planned the private one. Returns one message
 * per package the new lock takes from elsewhere (the caller fails the change: DW405, never an update).
 * `pypiJson` is the configured PyPI, which a poetry.lock package without `[package.source]` came from.
 */
export function relockedFromElsewhere(after: Inventory, change: PlannedChange, releases: Map<string, PackageReleases>, pypiJson: string): string[] {
  const out: string[] = [];
  for (const u of change.updates) {
    const c = u.candidate;
    const answered = releases.get(c.key)?.registry;
    if (c.target !== 'dependency' || !c.unit?.lock || !answered) continue;
    const lock = after.files.get(c.unit.lock);
    if (lock?.kind === 'poetry-lock') {
      const p = lock.packages.find((x) => x.normalizedName === c.name);
      if (!p || (p.source && p.source.type !== 'legacy')) continue;
      const from = p.source?.type === 'legacy' ? p.source.url : pypiJson;
      if (sameIndexKey(from) !== sameIndexKey(answered)) out.push(`DW405 the relock locked ${c.displayName} ${p.version} from ${redact(from)}, but it was looked up on ${answered}: possible dependency confusion`);
    } else if (lock?.kind === 'package-lock') {
      const p = lock.packages.find((x) => x.path === `node_modules/${c.dependency?.name ?? c.name}`);
      if (p?.resolved && /^https?:/i.test(p.resolved) && lockedElsewhere(p.resolved, answered))
        out.push(`DW405 the relock resolved ${c.displayName} ${p.version} from ${redact(new URL(p.resolved).origin)}/, but it was looked up on ${answered}: possible dependency confusion`);
    }
  }
  return out.sort();
}
