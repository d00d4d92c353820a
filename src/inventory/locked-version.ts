import path from 'node:path';
import type { Dependency } from '../model/dependency.ts';
import { isLockData, type ParsedData } from '../model/files.ts';
import type { Inventory, ManifestUnit } from '../model/inventory.ts';
import { isExactPin } from '../versioning/constraint.ts';

/**
 * The version a manifest's lock holds for one of its declarations: the update engine's "current" and what
 * DW001's hint tells a person to pin. An npm alias is looked up under the name it is installed as.
 */
export function lockedVersion(inv: Inventory, unit: ManifestUnit | undefined, dep: Dependency): string | undefined {
  if (!unit?.lock) return undefined;
  const lock = inv.files.get(unit.lock);
  if (!lock || (!isLockData(lock) && lock.kind !== 'requirements')) return undefined;
  const viaLock = lockFormatVersion(lock, unit, dep);
  if (viaLock !== null) return viaLock;
  if (lock.kind === 'requirements') {
    const r = lock.requirements.find((x) => x.normalizedName === dep.normalizedName && isExactPin(x.constraintSyntax, x.constraint));
    return r ? r.constraint.replace(/^===?\s*/, '') : undefined;
  }
  if (lock.kind === 'package-lock') {
    // The top-level install is what the manifest's declaration resolved to.
    const top = lock.packages.find((p) => p.path === `node_modules/${dep.name}`) ?? lock.packages.find((p) => p.normalizedName === dep.normalizedName && !p.link);
    return top?.version;
  }
  return lock.packages.find((p) => p.normalizedName === dep.normalizedName)?.version;
}

/**
 * pnpm: the version the manifest's importer resolved; Yarn: the package its `name@range` descriptor resolves to.
 * null when the lock is of another format.
 */
function lockFormatVersion(lock: ParsedData, unit: ManifestUnit, dep: Dependency): string | undefined | null {
  if (lock.kind === 'pnpm-lock') {
    const rel = path.posix.relative(path.posix.dirname(lock.file), path.posix.dirname(unit.manifest)) || '.';
    const imp = lock.importers.find((i) => i.path === rel);
    const v = imp ? (imp.sections.dependencies[dep.name] ?? imp.sections.devDependencies[dep.name] ?? imp.sections.optionalDependencies[dep.name])?.version : undefined;
    return v && !v.startsWith('link:') ? v.replace(/\(.*$/, '') : undefined;
  }
  if (lock.kind === 'yarn-lock') {
    const i = lock.descriptors[`${dep.name}@${dep.constraint}`] ?? lock.descriptors[`${dep.name}@npm:${dep.constraint}`];
    return i === undefined ? undefined : lock.packages[i]?.version;
  }
  return null;
}
