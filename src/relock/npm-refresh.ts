/**
 * npm updates an existing lock conservatively: a package the lock already holds stays where it is while it still
 * satisfies the edges around it, peers included. When a change moves a family whose new versions need newer
 * transitive packages that the lock shares with other packages as a peer (OpenHands: @react-router/dev 8 needs
 * @babel/core ^7.29 while the lock's 7.28 is the peer of a dozen babel plugins), `npm install
 * --package-lock-only` gives up with ERESOLVE, although a fresh resolution of the same manifest succeeds. The
 * remedy a person would apply is to let npm re-resolve just what the change touches: the lock entries of the
 * updated packages and of everything they depend on, the rest of the lock kept as it is.
 */

interface LockEntry {
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/** The installed name of a `packages` key: `node_modules/a/node_modules/@s/b` -> `@s/b`. */
function installedName(key: string): string | undefined {
  const i = key.lastIndexOf('node_modules/');
  return i < 0 ? undefined : key.slice(i + 'node_modules/'.length);
}

/**
 * Removes from a lockfile v2/v3 text the entries of `names` and of every package they depend on (by the lock's
 * own edges, transitively). Returns the new text and what was removed; undefined when the lock has no
 * `packages` map (lockfile v1) or nothing to remove.
 */
export function pruneLockClosure(lockText: string, names: string[]): { text: string; removed: string[] } | undefined {
  let doc: { packages?: Record<string, LockEntry> };
  try {
    doc = JSON.parse(lockText) as typeof doc;
  } catch {
    return undefined;
  }
  const packages = doc.packages;
  if (!packages || typeof packages !== 'object') return undefined;
  const byName = new Map<string, string[]>();
  for (const key of Object.keys(packages)) {
    const n = installedName(key);
    if (n) byName.set(n, [...(byName.get(n) ?? []), key]);
  }
  const seen = new Set(names.filter((n) => byName.has(n)));
  const queue = [...seen];
  while (queue.length) {
    const n = queue.pop()!;
    for (const key of byName.get(n) ?? []) {
      const e = packages[key];
      for (const d of Object.keys({ ...(e?.dependencies ?? {}), ...(e?.optionalDependencies ?? {}) })) {
        if (!seen.has(d) && byName.has(d)) {
          seen.add(d);
          queue.push(d);
        }
      }
    }
  }
  if (seen.size === 0) return undefined;
  for (const n of seen) for (const key of byName.get(n)!) delete packages[key];
  const indent = /\n([ \t]+)"/.exec(lockText)?.[1] ?? '  ';
  return { text: `${JSON.stringify(doc, null, indent)}\n`, removed: [...seen].sort() };
}
