import { hash } from 'node:crypto';
import { createRequire } from 'node:module';
import type { Dependency, LockedPackage } from '../model/dependency.ts';
import type { ImageRef } from '../model/files.ts';
import type { Inventory, Service } from '../model/inventory.ts';
import { lockGraph } from './graph.ts';
import { redactSecrets } from '../util/redact.ts';
import { isExactPin } from './versioning.ts';
import { purlOfAction, purlOfDeclared, purlOfImage, purlOfLocked } from './purl.ts';

/** One SBOM entry, independent of the output format. */
export interface SbomComponent {
  /** Stable, unique within the document: derived from the lock file and the package's place in it. */
  ref: string;
  /** application: a service of the repository (in the repository SBOM). */
  kind: 'library' | 'container' | 'action' | 'application';
  name: string;
  version: string;
  purl?: string;
  /** required | optional | excluded (dev-only groups). */
  scope: 'required' | 'optional' | 'excluded';
  /** "sha256:hex" / "sha512:hex". */
  hashes: string[];
  /** As the lock or manifest states it: an SPDX expression, or free text (written as a named licence). */
  license?: string;
  /** Resolved commit of a git dependency, and its repository. */
  vcs?: { url: string; commit?: string };
  /** depwarden:* facts (markers, groups, lock file, source). Keys sorted on output. */
  properties: Record<string, string>;
}

/** What the document describes: a service (name, version and licence from its manifest) or the repository. */
export interface SbomSubject {
  ref: string;
  name: string;
  version?: string;
  license?: string;
}

export interface SbomDoc {
  /** Service name, or the repository for the whole-repository SBOM. */
  name: string;
  rootRef: string;
  subject: SbomSubject;
  components: SbomComponent[];
  /** ref → refs it depends on (the root depends on the service's direct dependencies / all roots). */
  dependencies: Map<string, string[]>;
  /**
   * Dependency files the document could not include (not read, unparseable, skipped): when present, the
   * document says its inventory is incomplete (CycloneDX compositions + metadata properties, SPDX comment).
   */
  gaps?: { file: string; reason: string }[];
}

/** Lock and manifest URLs may carry credentials (issue 20.6): none reaches a document's text fields. */
function redactComponent(c: SbomComponent): SbomComponent {
  // Nearly every component holds no credential: then it is returned as it is, not copied (callers own it).
  let clean = redactSecrets(c.name) === c.name && redactSecrets(c.version) === c.version && (!c.purl || redactSecrets(c.purl) === c.purl) && (!c.vcs || redactSecrets(c.vcs.url) === c.vcs.url);
  for (const k in c.properties) if (clean && redactSecrets(c.properties[k]!) !== c.properties[k]) clean = false;
  if (clean) return c;
  const properties: Record<string, string> = {};
  for (const [k, v] of Object.entries(c.properties)) properties[k] = redactSecrets(v);
  return {
    ...c,
    name: redactSecrets(c.name),
    version: redactSecrets(c.version),
    ...(c.purl ? { purl: redactSecrets(c.purl) } : {}),
    ...(c.vcs ? { vcs: { ...c.vcs, url: redactSecrets(c.vcs.url) } } : {}),
    properties,
  };
}

type NormalizeModule = typeof import('../licenses/normalize.ts');
let licenses: NormalizeModule | undefined;
/** Loaded with the first licence (it loads spdx-expression-parse and its id lists): Poetry locks state none. */
const licenseMemo = new Map<string, string | undefined>();
/** Memoised per text (a pure function): an npm lock states "MIT" a thousand times, each a full SPDX parse. */
function normalizeLicense(text: string): string | undefined {
  if (licenseMemo.has(text)) return licenseMemo.get(text);
  licenses ??= createRequire(import.meta.url)('../licenses/normalize.ts') as NormalizeModule;
  const r = licenses.normalizeLicense(text);
  if (licenseMemo.size < 100_000) licenseMemo.set(text, r);
  return r;
}

// One-shot crypto.hash: the same digest as createHash().update().digest(), without a Hash object per component.
const shortHash = (s: string): string => hash('sha256', s, 'hex').slice(0, 16);

/**
 * Group names of development and test tooling (Poetry 1.1's category "dev", Pipfile's "develop", the usual
 * Poetry/uv group names for tests, linters, type checkers, CI tooling and docs builds): nothing of theirs ships.
 */
const DEV_GROUP = /^(?:dependency-group:)?(dev|devel|develop|development|dev-dependencies|tests?|testing|lint|linting|linters?|typing|types|typecheck|type-check|mypy|format|fmt|style|coverage|ci|github-actions|pre-?commit|docs?|documentation|bench|benchmarks?)$/i;

/**
 * excluded only for what development/test groups alone bring in. A Python package locked only for another
 * non-main group (an optional feature group such as `server` or `gpu`, which a deployment may install) is
 * optional: it can ship.
 */
function scopeOf(p: LockedPackage): SbomComponent['scope'] {
  if (p.dev) return p.ecosystem === 'PyPI' && p.groups.some((g) => !DEV_GROUP.test(g)) ? 'optional' : 'excluded';
  return p.optional ? 'optional' : 'required';
}

function sourceProperty(p: LockedPackage): string | undefined {
  const s = p.source;
  if (!s || s.type === 'git') return undefined; // git: the vcs reference says it
  if (s.type === 'directory' || s.type === 'file') return `${s.type}:${s.path}`;
  if (s.type === 'registry') return s.url ? `registry:${s.url}` : undefined;
  return `${s.type}:${s.url}`;
}

function lockedComponent(p: LockedPackage): SbomComponent {
  const where = `${p.span.file}#${p.path ?? `${p.normalizedName}@${p.version}`}`;
  const props: Record<string, string> = { 'depwarden:lockfile': p.span.file };
  if (p.markers) props['depwarden:markers'] = p.markers;
  if (p.markersByGroup) for (const [g, m] of Object.entries(p.markersByGroup)) props[`depwarden:markers:${g}`] = m;
  if (p.groups.length) props['depwarden:groups'] = [...p.groups].sort().join(',');
  if (p.path) props['depwarden:npm-path'] = p.path;
  if (p.link) props['depwarden:npm-link'] = 'true';
  if (p.bundled) props['depwarden:npm-bundled'] = 'true';
  const src = sourceProperty(p);
  if (src) props['depwarden:source'] = src;
  if (p.source?.type === 'git' && p.source.subdirectory) props['depwarden:vcs-subdirectory'] = p.source.subdirectory;
  const commit = p.source?.type === 'git' ? (p.source.resolvedReference ?? p.source.reference) : undefined;
  const purl = purlOfLocked(p);
  if (p.source?.type === 'git' && p.source.reference && p.source.reference !== commit) props['depwarden:vcs-reference'] = p.source.reference;
  return {
    ref: `pkg-${shortHash(where)}`,
    kind: 'library',
    name: p.name,
    version: p.version,
    ...(purl ? { purl } : {}),
    scope: scopeOf(p),
    hashes: p.hashes,
    // Normalised to SPDX when it can be read as one ("MIT License" → MIT); free text stays as written.
    ...(p.license ? { license: normalizeLicense(p.license) ?? p.license } : {}),
    ...(p.source?.type === 'git' ? { vcs: { url: p.source.url, ...(commit ? { commit } : {}) } } : {}),
    properties: props,
  };
}

function imageComponent(img: ImageRef, where: string): SbomComponent {
  const purl = purlOfImage(img);
  const named = img.repository.replace(/^library\//, '');
  return {
    ref: `image-${shortHash(`${where}:${img.resolved}`)}`,
    kind: 'container',
    // An image built from a variable with no value here keeps its text as written.
    name: !named ? img.raw : img.registry ? `${img.registry}/${img.repository}` : img.repository,
    version: img.digest ?? img.tag ?? 'latest',
    ...(purl ? { purl } : {}),
    scope: 'required',
    hashes: img.digest ? [img.digest] : [],
    properties: {
      'depwarden:source-file': img.span.file,
      ...(img.tag ? { 'depwarden:tag': img.tag } : {}),
      ...(img.digest ? {} : { 'depwarden:pinned': 'false' }),
      ...(img.unresolved.length ? { 'depwarden:unresolved-variables': [...img.unresolved].sort().join(',') } : {}),
    },
  };
}

const SCOPE_RANK: Record<SbomComponent['scope'], number> = { required: 0, optional: 1, excluded: 2 };

/** The version an exact pin names (`==1.2.3`, `1.2.3`), else undefined. */
function pinnedVersion(d: Dependency): string | undefined {
  if (d.constraintSyntax === 'none' || !isExactPin(d.constraintSyntax, d.constraint)) return undefined;
  return d.constraint.trim().replace(/^npm:(@?[^@]+)@/, '').replace(/^={1,3}\s*/, '');
}

/**
 * A manifest with no lock still says what the service installs: each declaration becomes a component, with the
 * version when it is an exact pin (else none: a range is not a version), marked `depwarden:locked=false` and
 * with its constraint, so a reader never takes it for a lock fact. One component per name, constraint, marker
 * and source, listing every manifest that declares it (requirements files per platform repeat themselves).
 */
function declaredComponents(deps: Dependency[]): SbomComponent[] {
  const byKey = new Map<string, SbomComponent>();
  for (const d of deps) {
    if (!d.name) continue;
    const src = d.source;
    const k = `${d.ecosystem}\0${d.normalizedName}\0${d.constraint}\0${d.markers ?? ''}\0${src ? JSON.stringify(src) : ''}`;
    const seen = byKey.get(k);
    if (seen) {
      seen.properties['depwarden:declared-in'] = [...new Set([...seen.properties['depwarden:declared-in']!.split(','), d.span.file])].sort().join(',');
      // Declared twice: the least restrictive scope wins (required over optional over excluded).
      const scope = d.dev ? 'excluded' : d.optional ? 'optional' : 'required';
      if (SCOPE_RANK[scope] < SCOPE_RANK[seen.scope]) seen.scope = scope;
      continue;
    }
    const version = pinnedVersion(d) ?? '';
    const commit = src?.type === 'git' ? (src.resolvedReference ?? src.reference) : undefined;
    byKey.set(k, {
      ref: `decl-${shortHash(k)}`,
      kind: 'library',
      name: d.name,
      version,
      ...(purlOfDeclared(d, version) ? { purl: purlOfDeclared(d, version)! } : {}),
      scope: d.dev ? 'excluded' : d.optional ? 'optional' : 'required',
      hashes: [...new Set(d.hashes ?? [])].sort(),
      ...(src?.type === 'git' ? { vcs: { url: src.url, ...(commit ? { commit } : {}) } } : {}),
      properties: {
        'depwarden:locked': 'false',
        'depwarden:declared-in': d.span.file,
        ...(d.constraint ? { 'depwarden:constraint': d.constraint } : {}),
        ...(d.markers ? { 'depwarden:markers': d.markers } : {}),
        ...(d.group ? { 'depwarden:groups': d.group } : {}),
      },
    });
  }
  return [...byKey.values()];
}

/** The service's own name, and the version and licence the first of its manifests (by path) that states them. */
function subjectOf(s: Service, inv: Inventory, ref: string): SbomSubject {
  const out: SbomSubject = { ref, name: s.name };
  for (const u of [...s.units].sort((a, b) => (a.manifest < b.manifest ? -1 : a.manifest > b.manifest ? 1 : 0))) {
    const m = inv.files.get(u.manifest);
    const version = m?.kind === 'pyproject' ? m.projectVersion : m?.kind === 'package-json' ? m.version : undefined;
    const license = m?.kind === 'pyproject' || m?.kind === 'package-json' ? m.license : undefined;
    if (version && !out.version) out.version = version;
    if (license && !out.license) out.license = license;
  }
  return out;
}

/** The SBOM of one service: every locked package of its locks, its images, with the lock's own edges. */
export function serviceSbom(s: Service, inv: Inventory): SbomDoc {
  const rootRef = `service-${shortHash(`${s.name}\0${s.root}`)}`;
  const components: SbomComponent[] = [];
  const deps = new Map<string, string[]>();
  const refOf = new Map<LockedPackage, string>();
  const seenRefs = new Map<string, number>();
  const byLock = new Map<string, LockedPackage[]>();
  for (const p of s.locked) {
    const list = byLock.get(p.span.file);
    if (list) list.push(p);
    else byLock.set(p.span.file, [p]);
  }
  const direct: string[] = [];
  for (const lock of [...byLock.keys()].sort()) {
    const pkgs = byLock.get(lock)!;
    for (const p of pkgs) {
      let c = lockedComponent(p);
      // Two entries at one name@version (Yarn berry's package and its patch, Poetry's per-source copies) stay two
      // components, as in the lock, each with a ref of its own (the n-th copy's ref is derived from n).
      const n = seenRefs.get(c.ref) ?? 0;
      seenRefs.set(c.ref, n + 1);
      if (n > 0) c = { ...c, ref: `pkg-${shortHash(`${c.ref}#${n}`)}` };
      refOf.set(p, c.ref);
      components.push(c);
    }
    const { edges } = lockGraph(pkgs);
    const targeted = new Set<LockedPackage>();
    for (const [from, tos] of edges) {
      deps.set(refOf.get(from)!, tos.map((t) => refOf.get(t)!).sort());
      for (const t of tos) targeted.add(t);
    }
    // The service depends on what its manifests declare (npm: the top-level install of that name); without
    // declarations, on the lock's roots.
    const ecosystem = pkgs[0]!.ecosystem;
    const declared = new Set(s.dependencies.filter((d) => d.ecosystem === ecosystem).map((d) => d.normalizedName));
    for (const p of pkgs) {
      const isDeclared = declared.has(p.normalizedName) && (p.path === undefined || p.path === `node_modules/${p.name}`);
      if (isDeclared || (declared.size === 0 && !targeted.has(p))) direct.push(refOf.get(p)!);
    }
  }
  // A constraints file (`-c` from another requirements file) limits versions but installs nothing.
  const constraintFiles = new Set<string>();
  for (const f of inv.files.values()) if (f.kind === 'requirements') for (const i of f.includes) if (i.kind === 'constraint') constraintFiles.add(i.resolvedPath);
  const unlocked = new Set(s.units.filter((u) => !u.lock && !constraintFiles.has(u.manifest)).map((u) => u.manifest));
  for (const c of declaredComponents(s.dependencies.filter((d) => unlocked.has(d.span.file)))) {
    components.push(c);
    direct.push(c.ref);
  }
  for (const img of s.images) {
    const c = imageComponent(img, `${img.span.file}:${img.span.line}`);
    components.push(c);
    direct.push(c.ref);
  }
  deps.set(rootRef, [...new Set(direct)].sort());
  return { name: s.name, rootRef, subject: subjectOf(s, inv, rootRef), components: components.map(redactComponent), dependencies: deps };
}

/** The files a component comes from: its lock, the manifest declaring it, the Dockerfile or workflow naming it. */
function filesOf(c: SbomComponent): string[] {
  const keys = ['depwarden:lockfile', 'depwarden:declared-in', 'depwarden:source-file', 'depwarden:workflow'];
  return keys.flatMap((k) => (c.properties[k] ? c.properties[k]!.split(',') : []));
}

/** Properties whose values are lists of paths or names, comma-joined (the document's one convention). */
const LIST_PROPERTIES = new Set(['depwarden:lockfile', 'depwarden:declared-in', 'depwarden:source-file', 'depwarden:workflow', 'depwarden:groups', 'depwarden:npm-path', 'depwarden:service', 'depwarden:file']);

/**
 * One component for several of the same purl (the same package locked by two services' locks, an image two
 * Dockerfiles use): every file and service kept, the least restrictive scope, every hash. Differing markers are
 * the union of where it installs (`a || b`); other differing facts are listed.
 */
function mergeComponents(list: SbomComponent[]): SbomComponent {
  const sorted = [...list].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0));
  const first = sorted[0]!;
  if (sorted.length === 1) return first;
  const props: Record<string, string> = {};
  const keys = [...new Set(sorted.flatMap((c) => Object.keys(c.properties)))].sort();
  for (const k of keys) {
    // depwarden:locked=false only when no copy of it is locked.
    if (k === 'depwarden:locked' && sorted.some((c) => c.properties[k] === undefined)) continue;
    const values = [...new Set(sorted.flatMap((c) => (c.properties[k] === undefined ? [] : LIST_PROPERTIES.has(k) ? c.properties[k]!.split(',') : [c.properties[k]!])))].sort();
    props[k] = k.startsWith('depwarden:markers') ? (sorted.some((c) => c.properties[k] === undefined) ? '' : values.map((v) => (values.length > 1 ? `(${v})` : v)).join(' || ')) : values.join(',');
    if (props[k] === '') delete props[k]; // installed unconditionally somewhere: no marker limits it
  }
  const scope = sorted.map((c) => c.scope).sort((a, b) => SCOPE_RANK[a] - SCOPE_RANK[b])[0]!;
  const license = sorted.find((c) => c.license)?.license;
  const vcs = sorted.find((c) => c.vcs)?.vcs;
  return { ...first, scope, hashes: [...new Set(sorted.flatMap((c) => c.hashes))].sort(), ...(license ? { license } : {}), ...(vcs ? { vcs } : {}), properties: props };
}

/**
 * The whole repository: every service's SBOM under one root, plus the CI actions the workflows use. One component
 * per distinct purl (a component without one: per ref), naming every service (`depwarden:service`) and file
 * (`depwarden:file`) it comes from.
 */
export function repositorySbom(inv: Inventory, name: string): SbomDoc {
  const rootRef = `repository-${shortHash(name)}`;
  const byRef = new Map<string, SbomComponent>();
  const deps = new Map<string, string[]>();
  const top: string[] = [];
  const usedBy = new Map<string, Set<string>>();
  for (const s of inv.services) {
    const d = serviceSbom(s, inv);
    for (const c of d.components) {
      const set = usedBy.get(c.ref) ?? new Set<string>();
      set.add(s.name);
      usedBy.set(c.ref, set);
      // Declarations and images of two services can share a ref: their files are kept, not overwritten.
      const had = byRef.get(c.ref);
      if (had && had !== c) byRef.set(c.ref, mergeComponents([had, c]));
    }
    byRef.set(d.rootRef, {
      ref: d.rootRef,
      kind: 'application',
      name: s.name,
      version: d.subject.version ?? '',
      scope: 'required',
      hashes: [],
      ...(d.subject.license ? { license: d.subject.license } : {}),
      properties: { 'depwarden:service-root': s.root },
    });
    for (const c of d.components) if (!byRef.has(c.ref)) byRef.set(c.ref, c);
    // serviceSbom's lists are sorted and unique already: merged (and sorted again) only when two services share a ref.
    for (const [k, v] of d.dependencies) {
      const had = deps.get(k);
      deps.set(k, had ? [...new Set([...had, ...v])].sort() : v);
    }
    top.push(d.rootRef);
  }
  for (const a of inv.actions) {
    if (a.kind === 'docker' && a.image) {
      // `uses: docker://image` runs a container in CI: an image component, excluded from the services.
      const c = imageComponent(a.image, a.span.file);
      if (!byRef.has(c.ref)) {
        byRef.set(c.ref, { ...c, scope: 'excluded', properties: { ...c.properties, 'depwarden:workflow': a.span.file } });
        top.push(c.ref);
      }
      continue;
    }
    if (a.kind !== 'action' && a.kind !== 'reusable-workflow') continue;
    const purl = purlOfAction(a);
    const ref = `action-${shortHash(`${a.owner}/${a.repo}/${a.path ?? ''}@${a.ref ?? ''}`)}`;
    const seen = byRef.get(ref);
    if (seen) {
      // One component per action@ref; every workflow using it is listed.
      const files = new Set(seen.properties['depwarden:workflow']!.split(','));
      files.add(a.span.file);
      seen.properties['depwarden:workflow'] = [...files].sort().join(',');
      continue;
    }
    byRef.set(ref, {
      ref,
      kind: 'action',
      name: `${a.owner}/${a.repo}${a.path ? `/${a.path}` : ''}`,
      version: a.ref ?? '',
      ...(purl ? { purl } : {}),
      scope: 'excluded', // runs in CI, not in the services
      hashes: a.refKind === 'sha' && a.ref && /^[0-9a-f]{40}$/i.test(a.ref) ? [`sha1:${a.ref.toLowerCase()}`] : [],
      properties: { 'depwarden:workflow': a.span.file, 'depwarden:ref-kind': a.refKind, ...(a.versionComment ? { 'depwarden:version-comment': a.versionComment } : {}) },
    });
    top.push(ref);
  }
  deps.set(rootRef, [...new Set(top)].sort());
  return byPurl({ name, rootRef, subject: { ref: rootRef, name }, components: [...byRef.values()].map(redactComponent), dependencies: deps }, usedBy);
}

/** Folds components of one purl into one (its smallest ref), with the graph's edges moved onto it. */
function byPurl(doc: SbomDoc, usedBy: Map<string, Set<string>>): SbomDoc {
  const groups = new Map<string, SbomComponent[]>();
  for (const c of doc.components) {
    const key = c.kind !== 'application' && c.purl ? `purl\0${c.purl}` : `ref\0${c.ref}`;
    const list = groups.get(key);
    if (list) list.push(c);
    else groups.set(key, [c]);
  }
  const canonical = new Map<string, string>();
  const components: SbomComponent[] = [];
  for (const list of groups.values()) {
    const merged = mergeComponents(list);
    for (const c of list) canonical.set(c.ref, merged.ref);
    if (merged.kind !== 'application') {
      const services = [...new Set(list.flatMap((c) => [...(usedBy.get(c.ref) ?? [])]))].sort();
      if (services.length) merged.properties['depwarden:service'] = services.join(',');
      merged.properties['depwarden:file'] = [...new Set(list.flatMap(filesOf))].sort().join(',');
      if (merged.properties['depwarden:file'] === '') delete merged.properties['depwarden:file'];
    }
    components.push(merged);
  }
  const to = (r: string): string => canonical.get(r) ?? r;
  // Collected as sets and sorted once: many copies of one package fold onto one ref.
  const targetsOf = new Map<string, Set<string>>();
  for (const [from, tos] of doc.dependencies) {
    const f = to(from);
    let targets = targetsOf.get(f);
    if (!targets) targetsOf.set(f, (targets = new Set()));
    for (const t of tos) targets.add(to(t));
  }
  const dependencies = new Map<string, string[]>();
  for (const [f, targets] of targetsOf) {
    targets.delete(f); // two copies of a package, one depending on the other, are not a self-dependency
    dependencies.set(f, [...targets].sort());
  }
  return { ...doc, components, dependencies };
}
