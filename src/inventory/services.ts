import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { ComposeData, ComposeService, ParsedData } from '../model/files.ts';
import type { ManifestUnit, Service } from '../model/inventory.ts';
import { dockerfilePath } from './load-files.ts';

/** Folder a file belongs to for service grouping ('.' for the root). */
export function ownerDir(file: string, kind: string): string | undefined {
  if (kind === 'gha-workflow' || kind === 'compose') return undefined; // repository-level, not a service
  let dir = path.posix.dirname(file);
  // pip-compile layouts keep requirements/*.txt beside the project, not as a project of their own.
  if (kind === 'requirements' && /(^|\/)requirements$/i.test(dir)) dir = path.posix.dirname(dir);
  return dir;
}

function isWithin(dir: string, root: string): boolean {
  return root === '.' || dir === root || dir.startsWith(`${root}/`);
}

interface Draft {
  name?: string;
  root: string;
  origin: Service['origin'];
  files: Set<string>;
  compose: { file: string; service: ComposeService }[];
}

/**
 * Groups files into services. A service is a folder with a Dockerfile and/or manifests, or a service of a
 * compose file (by its build context, or by its image alone). `config.services`, when given, replaces discovery.
 */
export function groupServices(
  parsed: Map<string, ParsedData>,
  kinds: Map<string, string>,
  config: Config,
): { services: Omit<Service, 'units' | 'dependencies' | 'locked' | 'images'>[]; unattached: string[] } {
  const drafts = new Map<string, Draft>();
  const composes = [...parsed.values()].filter((d): d is ComposeData => d.kind === 'compose');

  // Dockerfiles a compose build names belong to that build's context, wherever they sit.
  const composeDockerfiles = new Map<string, string>();
  for (const c of composes) {
    for (const s of c.services) {
      if (s.build) composeDockerfiles.set(dockerfilePath(s.build.resolvedContext, s.build.dockerfile), normalizeRoot(s.build.resolvedContext));
    }
  }

  if (config.services) {
    for (const s of config.services) {
      const root = normalizeRoot(s.path);
      drafts.set(root, { name: s.name, root, origin: 'config', files: new Set(), compose: [] });
    }
  } else {
    for (const [file, kind] of kinds) {
      const dir = ownerDir(file, kind);
      if (dir === undefined || composeDockerfiles.has(file)) continue;
      if (!drafts.has(dir)) drafts.set(dir, { root: dir, origin: 'discovered', files: new Set(), compose: [] });
    }
  }

  // Compose entries: attach to the service at their build context, or make a service of their own.
  const imageOnly: { file: string; service: ComposeService }[] = [];
  for (const c of composes) {
    for (const s of c.services) {
      if (s.build) {
        const root = normalizeRoot(s.build.resolvedContext);
        let d = drafts.get(root);
        if (!d && !config.services) {
          d = { root, origin: 'compose', files: new Set(), compose: [] };
          drafts.set(root, d);
        }
        if (d) {
          d.compose.push({ file: c.file, service: s });
          d.files.add(c.file);
          const df = dockerfilePath(s.build.resolvedContext, s.build.dockerfile);
          if (kinds.has(df)) d.files.add(df);
        }
      } else if (s.image) {
        imageOnly.push({ file: c.file, service: s });
      }
    }
  }

  // Every file goes to the deepest service root that contains it.
  const roots = [...drafts.keys()].sort((a, b) => b.length - a.length);
  const unattached: string[] = [];
  for (const [file, kind] of kinds) {
    const dir = ownerDir(file, kind);
    if (dir === undefined) continue;
    const composeRoot = config.services ? undefined : composeDockerfiles.get(file);
    const root = composeRoot !== undefined && drafts.has(composeRoot) ? composeRoot : roots.find((r) => isWithin(dir, r));
    if (root === undefined) unattached.push(file);
    else drafts.get(root)!.files.add(file);
  }

  const out: Omit<Service, 'units' | 'dependencies' | 'locked' | 'images'>[] = [];
  for (const d of drafts.values()) {
    if (d.files.size === 0 && d.compose.length === 0 && d.origin !== 'config') continue;
    out.push({
      name: d.name ?? serviceName(d, parsed),
      root: d.root,
      origin: d.origin,
      files: [...d.files].sort(),
      dockerfiles: [...d.files].filter((f) => kinds.get(f) === 'dockerfile').sort(),
      compose: d.compose.sort((a, b) => cmp(a.file, b.file) || cmp(a.service.name, b.service.name)),
    });
  }
  for (const e of imageOnly) {
    out.push({
      name: e.service.name,
      root: normalizeRoot(path.posix.dirname(e.file)),
      origin: 'compose',
      files: [e.file],
      dockerfiles: [],
      compose: [e],
    });
  }
  return { services: dedupeNames(out).sort((a, b) => cmp(a.name, b.name) || cmp(a.root, b.root)), unattached: unattached.sort() };
}

/** Compose name when exactly one compose service builds this folder; else the folder path; the root by project name. */
function serviceName(d: Draft, parsed: Map<string, ParsedData>): string {
  const names = [...new Set(d.compose.map((c) => c.service.name))];
  if (names.length === 1) return names[0]!;
  if (d.root !== '.') return d.root;
  for (const f of ['pyproject.toml', 'package.json']) {
    const p = parsed.get(f);
    if (p?.kind === 'pyproject' && p.projectName) return p.projectName;
    if (p?.kind === 'package-json' && p.name) return p.name;
  }
  return '(root)';
}

function dedupeNames<T extends { name: string; root: string }>(services: T[]): T[] {
  const counts = new Map<string, number>();
  for (const s of services) counts.set(s.name, (counts.get(s.name) ?? 0) + 1);
  return services.map((s) => ((counts.get(s.name) ?? 0) > 1 && s.name !== s.root ? { ...s, name: `${s.name} (${s.root})` } : s));
}

function normalizeRoot(p: string): string {
  const n = path.posix.normalize(p.replace(/\\/g, '/')).replace(/\/+$/, '');
  return n === '' || n === './' ? '.' : n.startsWith('./') ? n.slice(2) : n;
}

/** Pairs each manifest with the lock that pins it. */
export function manifestUnits(files: string[], allParsed: Map<string, ParsedData>): ManifestUnit[] {
  const units: ManifestUnit[] = [];
  const inSet = new Set(files);
  for (const f of files) {
    const d = allParsed.get(f);
    if (!d) continue;
    const dir = path.posix.dirname(f);
    const sib = (name: string): string => (dir === '.' ? name : `${dir}/${name}`);
    if (d.kind === 'pyproject') {
      // Poetry's lock for a Poetry project; uv's for the rest, or the uv workspace's lock that names this member.
      const poetry = allParsed.has(sib('poetry.lock')) ? sib('poetry.lock') : undefined;
      const uv = allParsed.has(sib('uv.lock')) ? sib('uv.lock') : undefined;
      const lock = (d.hasPoetrySection ? (poetry ?? uv) : (uv ?? poetry)) ?? uvWorkspaceLock(f, allParsed);
      units.push({ ecosystem: 'PyPI', manifest: f, lock });
    } else if (d.kind === 'pipfile') {
      const lock = sib('Pipfile.lock');
      units.push({ ecosystem: 'PyPI', manifest: f, lock: allParsed.has(lock) ? lock : undefined });
    } else if (d.kind === 'package-json') {
      const lock = [sib('package-lock.json'), sib('npm-shrinkwrap.json'), sib('pnpm-lock.yaml'), sib('yarn.lock')].find((l) => allParsed.has(l)) ?? workspaceLock(f, allParsed);
      units.push({ ecosystem: 'npm', manifest: f, lock });
    } else if (d.kind === 'requirements') {
      if (f.endsWith('.in')) {
        const compiled = f.replace(/\.in$/, '.txt');
        units.push({ ecosystem: 'PyPI', manifest: f, lock: allParsed.has(compiled) ? compiled : undefined });
      } else if (!inSet.has(f.replace(/\.txt$/, '.in')) && !allParsed.has(f.replace(/\.txt$/, '.in'))) {
        // A requirements file without an .in source is its own manifest, and its own lock when fully pinned.
        units.push({ ecosystem: 'PyPI', manifest: f, lock: isFullyPinned(d) ? f : undefined });
      }
    }
  }
  return units;
}

/** True when every requirement is an exact `==` pin (what pip-compile and `poetry export` write). */
export function isFullyPinned(d: ParsedData): boolean {
  if (d.kind !== 'requirements' || d.requirements.length === 0) return false;
  return d.requirements.every((r) => /^===?[^,*]+$/.test(r.constraint.trim()) || r.source?.type === 'directory' || (r.source?.type === 'git' && Boolean(r.source.reference)) || r.source?.type === 'url');
}

/**
 * The lock of the workspace root that holds this package: npm and Yarn list workspaces in the root package.json;
 * pnpm names every workspace folder as an importer of its lock.
 */
function workspaceLock(manifest: string, allParsed: Map<string, ParsedData>): string | undefined {
  const own = path.posix.dirname(manifest);
  let dir = own;
  while (dir !== '.' && dir !== '') {
    dir = path.posix.dirname(dir);
    const at = (name: string): string => (dir === '.' ? name : `${dir}/${name}`);
    const rel = path.posix.relative(dir, own);
    const pnpm = allParsed.get(at('pnpm-lock.yaml'));
    if (pnpm?.kind === 'pnpm-lock' && pnpm.importers.some((i) => i.path === rel)) return at('pnpm-lock.yaml');
    const rootPkg = allParsed.get(at('package.json'));
    if (rootPkg?.kind === 'package-json' && rootPkg.workspaces.length > 0) {
      const lock = [at('package-lock.json'), at('yarn.lock')].find((l) => allParsed.has(l));
      if (lock) return lock;
    }
  }
  return undefined;
}

/** The uv.lock of the workspace whose members include this pyproject's folder. */
function uvWorkspaceLock(manifest: string, allParsed: Map<string, ParsedData>): string | undefined {
  const own = path.posix.dirname(manifest);
  let dir = own;
  while (dir !== '.' && dir !== '') {
    dir = path.posix.dirname(dir);
    const lockPath = dir === '.' ? 'uv.lock' : `${dir}/uv.lock`;
    const lock = allParsed.get(lockPath);
    if (lock?.kind === 'uv-lock' && lock.projects.some((p) => p.path === path.posix.relative(dir, own))) return lockPath;
  }
  return undefined;
}

function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
