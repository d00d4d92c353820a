import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { walkRepository } from '../discover/walk.ts';
import { assignLockGroups } from '../formats/lock-groups.ts';
import { markWorkspaceMembers } from '../formats/uv-lock.ts';
import { assignYarnScopes } from '../formats/yarn-lock.ts';
import type { Dependency, LockedPackage } from '../model/dependency.ts';
import { isLockData, isLockKind, type ImageRef, type PackageJsonData, type ParsedData, type RequirementsData } from '../model/files.ts';
import type { Inventory, Service } from '../model/inventory.ts';
import { loadParsers } from '../formats/index.ts';
import { loadFiles } from './load-files.ts';
import { normalizePypiName } from '../util/names.ts';
import { groupServices, manifestUnits } from './services.ts';

/**
 * The one entry point of the pipeline: discover -> parse (each file once) -> group into services.
 * Every analysis (rules, conflicts, audit, SBOM, updates) starts from the Inventory this returns.
 */
export async function buildInventory(rootArg: string, config: Config): Promise<Inventory> {
  const root = path.resolve(rootArg);
  const walked = await walkRepository(root, { ignore: config.ignore });
  await loadParsers(walked.files.map((f) => f.kind));
  const loaded = loadFiles(root, walked.files, walked.allFiles);
  const { parsed, kinds } = loaded;

  const grouped = groupServices(parsed, kinds, config);
  assignYarnLockScopes(grouped.services.flatMap((s) => manifestUnits(s.files, parsed)), parsed);
  const services: Service[] = grouped.services.map((s) => {
    const units = manifestUnits(s.files, parsed);
    for (const u of units) {
      const m = parsed.get(u.manifest);
      const l = u.lock ? parsed.get(u.lock) : undefined;
      // Locks written by Poetry 1.5-1.8 carry no groups: derive them from the manifest so dev scopes are right.
      if (l?.kind === 'poetry-lock') assignLockGroups(l, m?.kind === 'pyproject' ? m : undefined);
      if (l?.kind === 'uv-lock' && m?.kind === 'pyproject') markWorkspaceMembers(m, l);
    }
    const manifests = new Set(units.map((u) => u.manifest));
    const locks = new Set(units.flatMap((u) => (u.lock ? [u.lock] : [])));
    // Locks in the service folder that no manifest claimed (a poetry.lock without pyproject) still count.
    for (const f of s.files) {
      const k = kinds.get(f);
      if (isLockKind(k) && parsed.has(f)) locks.add(f);
    }
    const dependencies: Dependency[] = [];
    // Loops, not push(...list): a lock of 125k packages would overflow the stack with that many arguments.
    for (const f of [...manifests].sort()) for (const d of declared(parsed.get(f))) dependencies.push(d);
    const locked: LockedPackage[] = [];
    for (const f of [...locks].sort()) for (const p of lockedOf(parsed.get(f))) locked.push(p);
    return { ...s, units, dependencies, locked, images: imagesOf(s, parsed) };
  });

  const actions = [...parsed.values()]
    .flatMap((d) => (d.kind === 'gha-workflow' ? d.uses : []))
    .sort((a, b) => cmp(a.span.file, b.span.file) || a.span.line - b.span.line);

  return { root, services, files: parsed, allFiles: walked.allFiles, kinds, actions, findings: [...walked.findings, ...loaded.findings] };
}

function declared(d: ParsedData | undefined): Dependency[] {
  if (!d) return [];
  if (d.kind === 'pyproject' || d.kind === 'package-json' || d.kind === 'pipfile') return d.dependencies;
  if (d.kind === 'requirements') return d.requirements;
  return [];
}

function lockedOf(d: ParsedData | undefined): LockedPackage[] {
  if (!d) return [];
  if (isLockData(d)) return d.packages;
  if (d.kind === 'requirements') return requirementsAsLocked(d);
  return [];
}

/**
 * A compiled requirements file (pip-compile, poetry export) is a lock: one locked package per requirement —
 * `==` pins with their version, git/URL requirements with the reference they name, local paths unversioned.
 */
export function requirementsAsLocked(d: RequirementsData): LockedPackage[] {
  const out: LockedPackage[] = [];
  // pip-compile's `# via parent` annotations are the file's edges: parent -> this package.
  const children = new Map<string, Dependency[]>();
  for (const r of d.requirements) {
    for (const v of r.via ?? []) {
      if (v.startsWith('-')) continue; // `-r requirements.in`: a declaration, not a package
      const parent = normalizePypiName(v);
      const list = children.get(parent);
      if (list) list.push(r);
      else children.set(parent, [r]);
    }
  }
  for (const r of d.requirements) {
    const pinned = /^===?\s*([^,;\s]+)$/.exec(r.constraint.trim())?.[1];
    const s = r.source;
    if (!pinned && !s) continue; // a range is not a lock entry
    const version = pinned ?? (s?.type === 'git' ? (s.resolvedReference ?? s.reference ?? '') : '');
    out.push({
      ecosystem: 'PyPI',
      name: r.name,
      normalizedName: r.normalizedName,
      version,
      hashes: [...new Set(r.hashes ?? [])].sort(),
      groups: [r.group],
      dev: r.dev,
      optional: r.optional,
      ...(r.markers ? { markers: r.markers } : {}),
      ...(s ? { source: s } : {}),
      dependencies: (children.get(r.normalizedName) ?? []).map((c) => ({ name: c.name, normalizedName: c.normalizedName, constraint: '', kind: 'prod' as const })),
      span: r.span,
    });
  }
  return out;
}

/** A yarn.lock records no scopes: derive them once from every package.json it pins (a workspace's root and members). */
function assignYarnLockScopes(units: { manifest: string; lock?: string }[], parsed: Map<string, ParsedData>): void {
  const byLock = new Map<string, PackageJsonData[]>();
  for (const u of units) {
    const m = parsed.get(u.manifest);
    if (!u.lock || parsed.get(u.lock)?.kind !== 'yarn-lock' || m?.kind !== 'package-json') continue;
    const list = byLock.get(u.lock) ?? [];
    if (!list.includes(m)) list.push(m);
    byLock.set(u.lock, list);
  }
  for (const [lock, manifests] of byLock) {
    const l = parsed.get(lock);
    if (l?.kind === 'yarn-lock') assignYarnScopes(l, manifests);
  }
}

/** External images a service is built from (Dockerfile FROM) or runs (compose image:). */
function imagesOf(s: Pick<Service, 'dockerfiles' | 'compose'>, parsed: Map<string, ParsedData>): ImageRef[] {
  const out: ImageRef[] = [];
  for (const f of s.dockerfiles) {
    const d = parsed.get(f);
    if (d?.kind !== 'dockerfile') continue;
    for (const st of d.stages) if (!st.from.stageRef && !st.from.scratch) out.push(st.from);
  }
  // With `build:`, compose `image:` names the image being built, not one pulled from a registry.
  for (const c of s.compose) if (c.service.image && !c.service.build) out.push(c.service.image);
  return out;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
