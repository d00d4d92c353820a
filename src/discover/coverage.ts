import path from 'node:path';

/**
 * Dependency files of tools depwarden does not read (yet). Each one found is reported as *not covered*
 * (DW012) by check, audit and sbom: a lock we cannot read must never count as "locked", nor its packages as
 * "no findings". A format stops being listed here the day `formats/registry.ts` classifies it: the check below
 * only reports names that `classify` does not know, so adding a parser needs no change in this file.
 */
export interface UnreadKind {
  ecosystem: string;
  role: 'lock' | 'manifest';
  tool: string;
}

const BY_NAME: Record<string, UnreadKind> = {
  'pdm.lock': { ecosystem: 'PyPI', role: 'lock', tool: 'PDM' },
  'setup.py': { ecosystem: 'PyPI', role: 'manifest', tool: 'setuptools' },
  'environment.yml': { ecosystem: 'conda', role: 'manifest', tool: 'conda' },
  'bun.lock': { ecosystem: 'npm', role: 'lock', tool: 'Bun' },
  'bun.lockb': { ecosystem: 'npm', role: 'lock', tool: 'Bun' },
  'deno.lock': { ecosystem: 'npm', role: 'lock', tool: 'Deno' },
  'go.mod': { ecosystem: 'Go', role: 'manifest', tool: 'Go modules' },
  'go.sum': { ecosystem: 'Go', role: 'lock', tool: 'Go modules' },
  'Cargo.toml': { ecosystem: 'crates.io', role: 'manifest', tool: 'Cargo' },
  'Cargo.lock': { ecosystem: 'crates.io', role: 'lock', tool: 'Cargo' },
  Gemfile: { ecosystem: 'RubyGems', role: 'manifest', tool: 'Bundler' },
  'Gemfile.lock': { ecosystem: 'RubyGems', role: 'lock', tool: 'Bundler' },
  'composer.json': { ecosystem: 'Packagist', role: 'manifest', tool: 'Composer' },
  'composer.lock': { ecosystem: 'Packagist', role: 'lock', tool: 'Composer' },
  'pom.xml': { ecosystem: 'Maven', role: 'manifest', tool: 'Maven' },
  'build.gradle': { ecosystem: 'Maven', role: 'manifest', tool: 'Gradle' },
  'build.gradle.kts': { ecosystem: 'Maven', role: 'manifest', tool: 'Gradle' },
  'gradle.lockfile': { ecosystem: 'Maven', role: 'lock', tool: 'Gradle' },
  'packages.lock.json': { ecosystem: 'NuGet', role: 'lock', tool: 'NuGet' },
  'mix.exs': { ecosystem: 'Hex', role: 'manifest', tool: 'Mix' },
  'mix.lock': { ecosystem: 'Hex', role: 'lock', tool: 'Mix' },
  'pubspec.yaml': { ecosystem: 'Pub', role: 'manifest', tool: 'Dart pub' },
  'pubspec.lock': { ecosystem: 'Pub', role: 'lock', tool: 'Dart pub' },
  'Package.swift': { ecosystem: 'SwiftURL', role: 'manifest', tool: 'SwiftPM' },
  'Package.resolved': { ecosystem: 'SwiftURL', role: 'lock', tool: 'SwiftPM' },
};

/** What an unread dependency file is, by its name; undefined for files that are not dependency files. */
export function unreadKind(relPath: string): UnreadKind | undefined {
  const base = path.posix.basename(relPath);
  if (Object.hasOwn(BY_NAME, base)) return BY_NAME[base];
  if (/\.(cs|fs|vb)proj$/i.test(base)) return { ecosystem: 'NuGet', role: 'manifest', tool: 'NuGet' };
  return undefined;
}

export interface UncoveredFile extends UnreadKind {
  file: string;
}

/**
 * The dependency files of a repository that depwarden does not read: listed in this module's table, and not
 * classified (and so not parsed) by any format of ours. `known` holds the paths our formats classified.
 */
export function uncoveredFiles(allFiles: Iterable<string>, known: { has(file: string): boolean }): UncoveredFile[] {
  const out: UncoveredFile[] = [];
  for (const f of allFiles) {
    if (known.has(f)) continue;
    const k = unreadKind(f);
    if (k) out.push({ file: f, ...k });
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : a.file > b.file ? 1 : 0));
}
