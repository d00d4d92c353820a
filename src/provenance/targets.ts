import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { npmRegistryFor } from '../datasources/npm.ts';
import { redact } from '../http/client.ts';
import { requirementsAsLocked } from '../inventory/build.ts';
import { isFullyPinned } from '../inventory/services.ts';
import type { LockedPackage } from '../model/dependency.ts';
import type { Inventory } from '../model/inventory.ts';
import type { SourceSpan } from '../model/source.ts';
import { ProvenanceCache } from './cache.ts';

/**
 * The packages `depwarden provenance` checks: every registry package an inventory's locks pin, once per
 * registry + name + version + hashes (the cache key), with every place that locks it. Kept apart from the
 * verifier so `check`, which only counts them when there is no cached verdict, loads no registry clients.
 */
export interface Target {
  key: string;
  ecosystem: 'npm' | 'PyPI';
  name: string;
  version: string;
  registry: string;
  hashes: string[];
  /** PyPI: the index to ask (a Poetry legacy source), else the configured PyPI. */
  index?: { name: string; url: string; api: 'json' | 'simple' };
  places: { file: string; span: SourceSpan; service?: string }[];
}
type TargetFields = Omit<Target, 'key' | 'places'>;

/** Every registry package of the inventory's locks, with the file and span that lock it (duplicates included). */
function eachTarget(inv: Inventory, config: Config, env: NodeJS.ProcessEnv, visit: (t: TargetFields, file: string, span: SourceSpan) => void): void {
  const npmrcCache = new Map<string, string[]>();
  const npmrcs = (lockFile: string): string[] => {
    const dir = path.posix.dirname(lockFile);
    let t = npmrcCache.get(dir);
    if (!t) {
      t = [];
      try {
        t.push(readFileSync(path.join(inv.root, dir, '.npmrc'), 'utf8'));
      } catch {
        // no project .npmrc
      }
      npmrcCache.set(dir, t);
    }
    return t;
  };
  const pypi = { name: 'PyPI', url: config.updates.registries.pypi, api: 'json' as const };
  const pypiRegistry = redact(pypi.url);
  for (const d of inv.files.values()) {
    let pkgs: LockedPackage[] = [];
    if (d.kind === 'package-lock' || d.kind === 'poetry-lock') pkgs = d.packages;
    else if (d.kind === 'requirements' && !d.file.endsWith('.in') && isFullyPinned(d)) pkgs = requirementsAsLocked(d);
    for (const p of pkgs) {
      if (p.ecosystem === 'npm') {
        if (p.link || p.workspace || p.bundled || !p.version) continue;
        if (p.resolved && !/^https?:/.test(p.resolved)) continue; // git, file: no registry artifact
        const registry = redact(npmRegistryFor(p.name, npmrcs(d.file), env, config.updates.registries.npm).registry);
        visit({ ecosystem: 'npm', name: p.name, version: p.version, registry, hashes: p.integrity ? p.integrity.split(/\s+/).filter(Boolean).sort() : [] }, d.file, p.span);
      } else if (p.ecosystem === 'PyPI') {
        const t = p.source?.type;
        if (t === 'git' || t === 'url' || t === 'file' || t === 'directory') continue;
        const legacy = p.source?.type === 'legacy' && p.source.url ? { name: p.source.name || p.source.url, url: p.source.url, api: 'simple' as const } : undefined;
        const index = legacy ?? pypi;
        visit({ ecosystem: 'PyPI', name: p.normalizedName, version: p.version, registry: legacy ? redact(legacy.url) : pypiRegistry, hashes: sortedHashes(p.hashes), index }, d.file, p.span);
      }
    }
  }
}

export function targets(inv: Inventory, config: Config, env: NodeJS.ProcessEnv): Target[] {
  const byKey = new Map<string, Target>();
  const serviceOf = new Map<string, string>();
  for (const s of inv.services) for (const f of s.files) if (!serviceOf.has(f)) serviceOf.set(f, s.name);
  eachTarget(inv, config, env, (t, file, span) => {
    const key = ProvenanceCache.key(t);
    const service = serviceOf.get(file);
    const place = service ? { file, span, service } : { file, span };
    const have = byKey.get(key);
    if (have) have.places.push(place);
    else byKey.set(key, { ...t, key, places: [place] });
  });
  return [...byKey.values()].sort((a, b) => (a.key < b.key ? -1 : 1));
}

/** How many distinct targets the inventory has, without building their records. */
export function countTargets(inv: Inventory, config: Config, env: NodeJS.ProcessEnv): number {
  // The cache key without building it for each of a fleet's 30,000 locked entries (most repeat one package's
  // ~10 hashes): a package version's hash lists are compared element by element, and only a list that matches
  // none is joined as the key joins it (two lists can join alike when a hash holds a comma).
  // Nested maps (ecosystem -> registry -> name -> version), not a joined string per entry.
  type Seen = { lists: string[][]; joined: Set<string> };
  const byEcosystem = { npm: new Map<string, Map<string, Map<string, Seen>>>(), PyPI: new Map<string, Map<string, Map<string, Seen>>>() };
  let n = 0;
  eachTarget(inv, config, env, (t) => {
    const byRegistry = byEcosystem[t.ecosystem];
    let names = byRegistry.get(t.registry);
    if (!names) byRegistry.set(t.registry, (names = new Map()));
    let versions = names.get(t.name);
    if (!versions) names.set(t.name, (versions = new Map()));
    let seen = versions.get(t.version);
    if (!seen) versions.set(t.version, (seen = { lists: [], joined: new Set() }));
    if (seen.lists.some((l) => l.length === t.hashes.length && l.every((h, i) => h === t.hashes[i]))) return;
    const joined = t.hashes.join(',');
    if (seen.joined.has(joined)) return;
    seen.lists.push(t.hashes);
    seen.joined.add(joined);
    n++;
  });
  return n;
}

/** The hashes in key order: the list itself when the lock already has them sorted (Poetry's do), else a copy. */
function sortedHashes(h: string[]): string[] {
  for (let i = 1; i < h.length; i++) if (h[i - 1]! > h[i]!) return [...h].sort();
  return h;
}
