import type { LockedPackage } from '../model/dependency.ts';
import { classifyUpdate } from '../versioning/constraint.ts';

/**
 * What a relock changed in one lock file, transitive packages included: the heart of an impact assessment
 * ("this minor bump of A also moves B and C").
 */
export interface LockChange {
  name: string;
  from?: string;
  to?: string;
  /** major/minor/patch/prerelease/downgrade, or "added"/"removed". */
  kind: string;
  /** Declared in the manifest (true) or pulled in by another package (false). */
  direct: boolean;
}

export interface LockDiff {
  file: string;
  changes: LockChange[];
}

export function diffLock(file: string, before: LockedPackage[], after: LockedPackage[], direct: Set<string>): LockDiff {
  const key = (p: LockedPackage): string => p.normalizedName;
  const versions = (ps: LockedPackage[]): Map<string, { name: string; versions: string[]; eco: LockedPackage['ecosystem'] }> => {
    const m = new Map<string, { name: string; versions: string[]; eco: LockedPackage['ecosystem'] }>();
    for (const p of ps) {
      if (p.link || p.workspace) continue;
      const e = m.get(key(p)) ?? { name: p.name, versions: [], eco: p.ecosystem };
      if (!e.versions.includes(p.version)) e.versions.push(p.version);
      m.set(key(p), e);
    }
    for (const e of m.values()) e.versions.sort();
    return m;
  };
  const a = versions(before);
  const b = versions(after);
  const changes: LockChange[] = [];
  for (const k of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const x = a.get(k);
    const y = b.get(k);
    const isDirect = direct.has(k);
    if (!x) changes.push({ name: y!.name, to: y!.versions.join(', '), kind: 'added', direct: isDirect });
    else if (!y) changes.push({ name: x.name, from: x.versions.join(', '), kind: 'removed', direct: isDirect });
    else if (x.versions.join() !== y.versions.join()) {
      const from = x.versions.join(', ');
      const to = y.versions.join(', ');
      const kind = x.versions.length === 1 && y.versions.length === 1 ? classifyUpdate(x.eco, x.versions[0]!, y.versions[0]!) : 'changed';
      changes.push({ name: y.name, from, to, kind, direct: isDirect });
    }
  }
  return { file, changes };
}
