import { createHash } from 'node:crypto';
import type { LockedPackage } from '../model/dependency.ts';
import type { Inventory, Service } from '../model/inventory.ts';
import { lockGraph } from './graph.ts';
import { purlOfAction, purlOfImage, purlOfLocked } from './purl.ts';

/** One SBOM entry, independent of the output format. */
export interface SbomComponent {
  /** Stable, unique within the document: derived from the lock file and the package's place in it. */
  ref: string;
  kind: 'library' | 'container' | 'action';
  name: string;
  version: string;
  purl?: string;
  /** required | optional | excluded (dev-only groups). */
  scope: 'required' | 'optional' | 'excluded';
  /** "sha256:hex" / "sha512:hex". */
  hashes: string[];
  license?: string;
  /** Resolved commit of a git dependency, and its repository. */
  vcs?: { url: string; commit?: string };
  /** depwarden:* facts (markers, groups, lock file, source). Keys sorted on output. */
  properties: Record<string, string>;
}

export interface SbomDoc {
  /** Service name, or the repository for the whole-repository SBOM. */
  name: string;
  rootRef: string;
  components: SbomComponent[];
  /** ref → refs it depends on (the root depends on the service's direct dependencies / all roots). */
  dependencies: Map<string, string[]>;
}

const shortHash = (s: string): string => createHash('sha256').update(s).digest('hex').slice(0, 16);

function scopeOf(p: LockedPackage): SbomComponent['scope'] {
  if (p.dev) return 'excluded';
  return p.optional ? 'optional' : 'required';
}

function lockedComponent(p: LockedPackage): SbomComponent {
  const where = `${p.span.file}#${p.path ?? `${p.normalizedName}@${p.version}`}`;
  const props: Record<string, string> = { 'depwarden:lockfile': p.span.file };
  if (p.markers) props['depwarden:markers'] = p.markers;
  if (p.groups.length) props['depwarden:groups'] = p.groups.join(',');
  if (p.path) props['depwarden:npm-path'] = p.path;
  if (p.source && p.source.type !== 'git') props['depwarden:source'] = p.source.type === 'directory' || p.source.type === 'file' ? `${p.source.type}:${p.source.path}` : `${p.source.type}:${'url' in p.source ? p.source.url : ''}`;
  return {
    ref: `pkg-${shortHash(where)}`,
    kind: 'library',
    name: p.name,
    version: p.version,
    purl: purlOfLocked(p),
    scope: scopeOf(p),
    hashes: p.hashes,
    ...(p.license ? { license: p.license } : {}),
    ...(p.source?.type === 'git' ? { vcs: { url: p.source.url, ...(p.source.resolvedReference ?? p.source.reference ? { commit: p.source.resolvedReference ?? p.source.reference } : {}) } } : {}),
    properties: props,
  };
}

/** The SBOM of one service: every locked package of its locks, its images, with the lock's own edges. */
export function serviceSbom(s: Service, inv: Inventory): SbomDoc {
  const rootRef = `service-${shortHash(`${s.name}\0${s.root}`)}`;
  const components: SbomComponent[] = [];
  const deps = new Map<string, string[]>();
  const refOf = new Map<LockedPackage, string>();
  const locks = new Set(s.locked.map((p) => p.span.file));
  const direct: string[] = [];
  for (const lock of [...locks].sort()) {
    const pkgs = s.locked.filter((p) => p.span.file === lock);
    for (const p of pkgs) {
      const c = lockedComponent(p);
      refOf.set(p, c.ref);
      components.push(c);
    }
    const { edges } = lockGraph(pkgs);
    const targeted = new Set<LockedPackage>();
    for (const [from, tos] of edges) {
      deps.set(refOf.get(from)!, tos.map((t) => refOf.get(t)!).sort());
      for (const t of tos) targeted.add(t);
    }
    // The service depends on what its manifests declare; without that link, on the lock's roots.
    const declared = new Set(s.dependencies.map((d) => d.normalizedName));
    for (const p of pkgs) if (declared.has(p.normalizedName) || (!targeted.has(p) && declared.size === 0)) direct.push(refOf.get(p)!);
  }
  for (const img of s.images) {
    const c: SbomComponent = {
      ref: `image-${shortHash(`${img.span.file}:${img.span.line}:${img.resolved}`)}`,
      kind: 'container',
      name: img.unresolved.length && !img.repository.replace(/^library\/?/, '') ? img.raw : img.registry ? `${img.registry}/${img.repository}` : img.repository,
      version: img.digest ?? img.tag ?? 'latest',
      ...(purlOfImage(img) ? { purl: purlOfImage(img)! } : {}),
      scope: 'required',
      hashes: img.digest ? [img.digest] : [],
      properties: { 'depwarden:source-file': img.span.file, ...(img.tag ? { 'depwarden:tag': img.tag } : {}) },
    };
    components.push(c);
    direct.push(c.ref);
  }
  deps.set(rootRef, [...new Set(direct)].sort());
  return { name: s.name, rootRef, components, dependencies: deps };
}

/** The whole repository: every service's SBOM under one root, plus the CI actions the workflows use. */
export function repositorySbom(inv: Inventory, name: string): SbomDoc {
  const rootRef = `repository-${shortHash(name)}`;
  const byRef = new Map<string, SbomComponent>();
  const deps = new Map<string, string[]>();
  const top: string[] = [];
  for (const s of inv.services) {
    const d = serviceSbom(s, inv);
    byRef.set(d.rootRef, { ref: d.rootRef, kind: 'library', name: s.name, version: '', scope: 'required', hashes: [], properties: { 'depwarden:service-root': s.root } });
    for (const c of d.components) byRef.set(c.ref, c);
    for (const [k, v] of d.dependencies) deps.set(k, [...new Set([...(deps.get(k) ?? []), ...v])].sort());
    top.push(d.rootRef);
  }
  for (const a of inv.actions) {
    if (a.kind !== 'action' && a.kind !== 'reusable-workflow') continue;
    const purl = purlOfAction(a);
    const ref = `action-${shortHash(`${a.owner}/${a.repo}/${a.path ?? ''}@${a.ref ?? ''}`)}`;
    if (!byRef.has(ref)) {
      byRef.set(ref, {
        ref,
        kind: 'action',
        name: `${a.owner}/${a.repo}${a.path ? `/${a.path}` : ''}`,
        version: a.ref ?? '',
        ...(purl ? { purl } : {}),
        scope: 'excluded', // runs in CI, not in the services
        hashes: a.refKind === 'sha' ? [`sha1:${a.ref!.toLowerCase()}`] : [],
        properties: { 'depwarden:workflow': a.span.file, ...(a.versionComment ? { 'depwarden:version-comment': a.versionComment } : {}) },
      });
      top.push(ref);
    }
  }
  deps.set(rootRef, [...new Set(top)].sort());
  return { name, rootRef, components: [...byRef.values()], dependencies: deps };
}
