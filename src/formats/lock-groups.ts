import type { PoetryLockData, PyprojectData } from '../model/files.ts';

/**
 * Locks written by Poetry 1.5-1.8 (lock-version 2.0) record neither `category` nor `groups`. Derive them from
 * the manifest: a package reachable from a main dependency is main; one reachable only from other groups
 * takes those groups (and is dev-only). Locks that carry groups are left as they are.
 */
export function assignLockGroups(lock: PoetryLockData, pyproject?: PyprojectData): void {
  if (!pyproject || lock.packages.every((p) => p.groups.length > 0)) return;
  const byName = new Map<string, typeof lock.packages>();
  for (const p of lock.packages) byName.set(p.normalizedName, [...(byName.get(p.normalizedName) ?? []), p]);
  const reached = new Map<string, Set<string>>(); // normalized name -> groups that reach it
  const visit = (name: string, group: string): void => {
    const seen = reached.get(name) ?? new Set<string>();
    if (seen.has(group)) return;
    seen.add(group);
    reached.set(name, seen);
    for (const p of byName.get(name) ?? []) for (const e of p.dependencies) visit(e.normalizedName, group);
  };
  for (const d of pyproject.dependencies) {
    const group = d.group.startsWith('optional:') ? 'main' : d.group.replace(/^dependency-group:/, '');
    visit(d.normalizedName, group);
  }
  for (const p of lock.packages) {
    if (p.groups.length > 0) continue;
    const groups = [...(reached.get(p.normalizedName) ?? [])].sort();
    p.groups = groups;
    p.dev = groups.length > 0 && !groups.includes('main');
  }
}
