import type { Dependency, Ecosystem } from '../model/dependency.ts';
import type { ActionRef, ImageRef, PoetrySourceDecl } from '../model/files.ts';
import { lockedVersion } from '../inventory/locked-version.ts';
import type { Inventory, ManifestUnit } from '../model/inventory.ts';
import type { UpdateTarget } from '../model/update.ts';
import { isExactPin } from '../versioning/constraint.ts';

/**
 * Everything in a repository that an update could change: each declared registry dependency, each external
 * image reference and each remote action, with the version in use now. One candidate per declaration, so an
 * edit knows exactly which bytes it replaces.
 */
export interface Candidate {
  /** Stable and unique: file + offset of the declaration. */
  key: string;
  service: string;
  file: string;
  target: UpdateTarget;
  ecosystem: Ecosystem;
  /** Lookup name: normalised PyPI/npm name, image repository with registry ("docker.io/library/python"), "owner/repo" of an action. */
  name: string;
  /** As written, for people. */
  displayName: string;
  /** Constraint, tag (with digest) or action ref as written. */
  declared: string;
  /** The version in use: locked version, exact pin, image tag, or the tag an action's `# vX` comment names. */
  current?: string;
  dev: boolean;
  dependency?: Dependency;
  image?: ImageRef;
  action?: ActionRef;
  /** The manifest + lock this dependency lives in (relocked after an edit). */
  unit?: ManifestUnit;
  /** Poetry sources of the project, for the PyPI lookup. */
  sources?: PoetrySourceDecl[];
  /**
   * A requirements dependency: the index option lines pip would read with it (its own file's, its lock's when the
   * unit is compiled, and those of the files that include it), applied over pip.conf/PIP_* by the lookup.
   */
  pipOptions?: { name: string; value?: string }[];
  /** Where the lock says the package came from: an index or registry URL, or PyPI (url undefined) for poetry.lock. */
  locked?: { url?: string; file: string };
  /** A hashed requirement (in its own file or its compiled lock): the sha256 hashes pinned for `current`, and where. */
  pinnedHashes?: { hashes: string[]; file: string };
  /** npm alias (`"x-v3": "npm:engine.io-client@^3.5.2"`): the name it is installed and locked under. */
  alias?: string;
  /** A package only a lock names (a security fix's target): moved by a lock-only update of `unit`, no edit. */
  transitive?: boolean;
}

/**
 * An npm alias is looked up and edited as the package it names: the candidate's dependency record is the real
 * name with the range alone (its span narrowed to the range inside `npm:<name>@`), so lookups, edits and the
 * update type all see the registry's truth.
 */
function unaliased(d: Dependency): { dep: Dependency; alias: string } | undefined {
  if (d.ecosystem !== 'npm') return undefined;
  const m = /^npm:((?:@[^/@\s]+\/)?[^/@\s]+)(?:@(.*))?$/.exec(d.constraint);
  if (!m) return undefined;
  const prefix = `npm:${m[1]}${m[2] !== undefined ? '@' : ''}`;
  const s = d.constraintSpan;
  const constraintSpan = s && s.start !== undefined ? { ...s, start: s.start + prefix.length, column: s.column + prefix.length } : undefined;
  return { dep: { ...d, name: m[1]!, normalizedName: m[1]!, constraint: m[2] ?? '', ...(constraintSpan ? { constraintSpan } : {}) }, alias: d.name };
}


/**
 * The index a lock records for a registry package: poetry.lock's `[package.source]` (type legacy) or none (PyPI);
 * package-lock's `resolved` tarball URL. Git, URL, file and directory sources are not registry packages.
 */
function lockedIndex(inv: Inventory, unit: ManifestUnit | undefined, dep: Dependency): Candidate['locked'] {
  if (!unit?.lock) return undefined;
  const lock = inv.files.get(unit.lock);
  if (lock?.kind === 'poetry-lock') {
    const p = lock.packages.find((x) => x.normalizedName === dep.normalizedName);
    if (!p) return undefined;
    if (!p.source) return { file: unit.lock };
    return p.source.type === 'legacy' && p.source.url ? { url: p.source.url, file: unit.lock } : undefined;
  }
  if (lock?.kind === 'package-lock') {
    const p = lock.packages.find((x) => x.path === `node_modules/${dep.name}`);
    return p?.resolved && /^https?:\/\//i.test(p.resolved) ? { url: p.resolved, file: unit.lock } : undefined;
  }
  return undefined;
}

/** Requirements files that include `file` (-r/-c), transitively: pip reads their option lines in the same run. */
function includersOf(inv: Inventory, file: string): string[] {
  const out: string[] = [];
  const queue = [file];
  while (queue.length) {
    const f = queue.shift()!;
    for (const [name, data] of [...inv.files].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
      if (data.kind !== 'requirements' || out.includes(name) || name === file) continue;
      if (data.includes.some((i) => i.resolvedPath === f)) {
        out.push(name);
        queue.push(name);
      }
    }
  }
  return out;
}

const INDEX_OPTIONS = new Set(['-i', '--index-url', '--extra-index-url', '--no-index', '-f', '--find-links']);

/**
 * The index option lines that apply to a requirements dependency, in the order pip reads them: the files including
 * it (outermost first: their lines usually come before the `-r`), its compiled lock, then its own file — so its own
 * `--index-url` is read last and wins, as the nearest declaration.
 */
function pipOptionsOf(inv: Inventory, unit: ManifestUnit | undefined, file: string): Candidate['pipOptions'] {
  const files = [...includersOf(inv, file).reverse(), ...(unit?.lock && unit.lock !== file ? [unit.lock] : []), file];
  const out: NonNullable<Candidate['pipOptions']> = [];
  for (const f of files) {
    const data = inv.files.get(f);
    if (data?.kind !== 'requirements') continue;
    for (const o of data.options) if (INDEX_OPTIONS.has(o.name)) out.push({ name: o.name, ...(o.value !== undefined ? { value: o.value } : {}) });
  }
  return out;
}

/** The sha256 hashes a requirements dependency is pinned with: its own `--hash` options, else its compiled lock's. */
function pinnedHashesOf(inv: Inventory, unit: ManifestUnit | undefined, dep: Dependency): Candidate['pinnedHashes'] {
  const sha = (hs: string[] | undefined): string[] => [...new Set((hs ?? []).map((h) => h.toLowerCase()).filter((h) => h.startsWith('sha256:')))].sort();
  if (sha(dep.hashes).length) return { hashes: sha(dep.hashes), file: dep.span.file };
  const lock = unit?.lock && unit.lock !== dep.span.file ? inv.files.get(unit.lock) : undefined;
  const r = lock?.kind === 'requirements' ? lock.requirements.find((x) => x.normalizedName === dep.normalizedName) : undefined;
  return r && sha(r.hashes).length ? { hashes: sha(r.hashes), file: lock!.file } : undefined;
}

/**
 * A package pinned only in a compiled requirements lock (pip-compile's requirements.txt of a requirements.in): a
 * security fix's lock-only target, looked up with the index options pip would use for that file and vetted against
 * the hashes it is pinned with.
 */
export function compiledLockCandidate(inv: Inventory, service: string, unit: ManifestUnit, dep: Dependency): Candidate {
  const pipOptions = pipOptionsOf(inv, unit, unit.lock!);
  const pinnedHashes = pinnedHashesOf(inv, unit, dep);
  const current = exactVersion(dep);
  return {
    key: `${unit.lock}#${dep.normalizedName}@${current ?? dep.constraint}`,
    service,
    file: unit.lock!,
    target: 'dependency',
    ecosystem: 'PyPI',
    name: dep.normalizedName,
    displayName: dep.name,
    declared: '',
    ...(current ? { current } : {}),
    dev: dep.dev,
    dependency: dep,
    unit,
    ...(pipOptions?.length ? { pipOptions } : {}),
    ...(pinnedHashes ? { pinnedHashes } : {}),
    transitive: true,
  };
}

function exactVersion(dep: Dependency): string | undefined {
  if (!isExactPin(dep.constraintSyntax, dep.constraint)) return undefined;
  return dep.constraint.trim().replace(/^(===|==|=)\s*/, '');
}

function unitOf(file: string, units: ManifestUnit[]): ManifestUnit | undefined {
  return units.find((u) => u.manifest === file) ?? units.find((u) => u.lock === file);
}

/** Registry dependencies only: path, git, url and file sources are not looked up anywhere. */
function fromRegistry(d: Dependency): boolean {
  return !d.source || d.source.type === 'registry' || d.source.type === 'legacy';
}

export function collectCandidates(inv: Inventory): Candidate[] {
  const out: Candidate[] = [];
  const seen = new Set<string>();
  const push = (c: Candidate): void => {
    if (seen.has(c.key)) return;
    seen.add(c.key);
    out.push(c);
  };
  for (const s of inv.services) {
    for (const d of s.dependencies) {
      if (d.ecosystem !== 'PyPI' && d.ecosystem !== 'npm') continue;
      if (!fromRegistry(d) || d.editable) continue;
      const unit = unitOf(d.span.file, s.units);
      // A compiled requirements file used as the lock is updated through its manifest, not as a declaration.
      if (unit && unit.lock === d.span.file && unit.manifest !== d.span.file) continue;
      const parsed = inv.files.get(d.span.file);
      const sources = parsed?.kind === 'pyproject' ? parsed.sources : undefined;
      const aliased = unaliased(d);
      const dep = aliased?.dep ?? d;
      // The lock knows an alias under the name it is installed as.
      const current = lockedVersion(inv, unit, d) ?? exactVersion(dep);
      const locked = lockedIndex(inv, unit, d);
      const pipOptions = parsed?.kind === 'requirements' ? pipOptionsOf(inv, unit, d.span.file) : undefined;
      const pinnedHashes = pipOptions ? pinnedHashesOf(inv, unit, d) : undefined;
      push({
        key: `${d.span.file}:${d.span.start ?? d.span.line}`,
        service: s.name,
        file: d.span.file,
        target: 'dependency',
        ecosystem: d.ecosystem,
        name: dep.normalizedName,
        displayName: aliased ? `${d.name} (npm:${dep.name})` : d.name,
        declared: dep.constraint,
        ...(current ? { current } : {}),
        dev: d.dev,
        dependency: dep,
        ...(aliased ? { alias: aliased.alias } : {}),
        ...(unit ? { unit } : {}),
        ...(sources?.length ? { sources } : {}),
        ...(pipOptions ? { pipOptions } : {}),
        ...(locked ? { locked } : {}),
        ...(pinnedHashes ? { pinnedHashes } : {}),
      });
    }
    // npm `overrides` / yarn `resolutions`: checked like declarations (an outdated forced version is still outdated).
    for (const unit of s.units) {
      const parsed = inv.files.get(unit.manifest);
      if (parsed?.kind !== 'package-json') continue;
      for (const d of parsed.overrides ?? []) {
        const current = lockedVersion(inv, unit, d) ?? exactVersion(d);
        push({ key: `${d.span.file}:${d.span.start ?? d.span.line}`, service: s.name, file: d.span.file, target: 'dependency', ecosystem: 'npm', name: d.name, displayName: `${d.name} (${d.group})`, declared: d.constraint, ...(current ? { current } : {}), dev: false, dependency: d, unit });
      }
      // `engines`: the runtime's range, looked up as the npm package of the same name (`node` mirrors Node.js
      // releases). Never a locked version: a `node` package in the lock is an install, not the runtime.
      for (const d of parsed.engineRanges ?? []) {
        push({ key: `${d.span.file}:${d.span.start ?? d.span.line}`, service: s.name, file: d.span.file, target: 'dependency', ecosystem: 'npm', name: d.name, displayName: `${d.name} (engines)`, declared: d.constraint, dev: false, dependency: d, unit });
      }
    }
    for (const img of s.images) pushImage(push, s.name, img);
  }
  for (const a of inv.actions) {
    if (a.kind === 'local') continue;
    if (a.kind === 'docker') {
      if (a.image) pushImage(push, '(workflows)', a.image);
      continue;
    }
    if (!a.owner || !a.repo || !a.ref) continue;
    const current = a.refKind === 'sha' ? a.versionComment?.trim().split(/\s+/)[0] : a.ref;
    push({
      key: `${a.span.file}:${a.span.start ?? a.span.line}`,
      service: '(workflows)',
      file: a.span.file,
      target: 'action',
      ecosystem: 'github-actions',
      name: `${a.owner}/${a.repo}`,
      displayName: `${a.owner}/${a.repo}${a.path ? `/${a.path}` : ''}`,
      declared: a.ref,
      ...(current ? { current } : {}),
      dev: false,
      action: a,
    });
  }
  return out.sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

function pushImage(push: (c: Candidate) => void, service: string, img: ImageRef): void {
  if (img.stageRef || img.scratch || img.unresolved.length > 0) return;
  const registry = img.registry ?? 'docker.io';
  push({
    key: `${img.span.file}:${img.span.start ?? img.span.line}`,
    service,
    file: img.span.file,
    target: 'image',
    ecosystem: 'docker',
    name: `${registry}/${img.repository}`,
    displayName: imageName(img.resolved),
    declared: `${img.tag ?? ''}${img.digest ? `@${img.digest}` : ''}`,
    ...(img.tag ? { current: img.tag } : {}),
    dev: false,
    image: img,
  });
}

/** "ghcr.io:443/a/b:1.2@sha256:.." -> "ghcr.io:443/a/b": the tag's colon is the one after the last slash. */
function imageName(resolved: string): string {
  const noDigest = resolved.split('@')[0]!;
  const slash = noDigest.lastIndexOf('/');
  const colon = noDigest.indexOf(':', slash + 1);
  return colon === -1 ? noDigest : noDigest.slice(0, colon);
}
