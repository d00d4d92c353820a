import type { LockedEdge, LockedPackage, PackageSource } from '../model/dependency.ts';
import type { ParseResult, PyprojectData, UvConflictItem, UvLockData, UvProject, UvRequirement } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { normalizePypiName } from '../util/names.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';
import { isTable, parseTomlDoc, str, type Table } from './toml-doc.ts';

const PYPI = /^https?:\/\/pypi\.org\/simple\/?$/;

/**
 * uv.lock (`version = 1`, revisions 1–3). The root project and workspace members (editable or virtual entries
 * named by `[manifest] members`, or at ".") are the project, kept apart in `projects`; every other entry is a
 * locked package, whose scope (main / extra / dependency group) is derived from what the projects reach, since
 * uv does not write it per package.
 */
export function parseUvLock(file: string, text: string): ParseResult<UvLockData> {
  const parsed = parseTomlDoc(file, text);
  if (!('doc' in parsed)) return parsed;
  const doc = parsed.doc;
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const headers: number[] = [];
  for (const m of text.matchAll(/^[ \t]*\[\[\s*package\s*\]\]/gm)) headers.push(m.index);

  const version = typeof doc.version === 'number' ? doc.version : undefined;
  if (version !== 1) findings.push(parseFinding(file, 1, 1, version === undefined ? 'no `version` key: not a uv.lock' : `uv.lock version ${version} is not supported (version 1 is); read as version 1`, 'Check the uv version that wrote this lock.'));
  const revision = typeof doc.revision === 'number' ? doc.revision : undefined;
  const manifest = isTable(doc.manifest) ? doc.manifest : {};
  const members = strings(manifest.members).map(normalizePypiName);

  const projects: UvProject[] = [];
  const packages: LockedPackage[] = [];
  const raw: { pkg: LockedPackage; optional: Record<string, LockedEdge[]> }[] = [];
  const rawPackages = Array.isArray(doc.package) ? doc.package : [];
  rawPackages.forEach((p, i) => {
    const at = headers[i] ?? 0;
    const span = idx.span(at, at);
    if (!isTable(p) || typeof p.name !== 'string') {
      findings.push(parseFinding(file, span.line, span.column, `[[package]] #${i + 1} has no name`));
      return;
    }
    const name = p.name;
    const normalizedName = normalizePypiName(name);
    const src = isTable(p.source) ? p.source : {};
    const own = str(src.virtual) ?? str(src.editable);
    const isProject = own !== undefined && (own === '.' || members.includes(normalizedName));
    const edges = edgesOf(p.dependencies);
    const optional = groupedEdges(p['optional-dependencies']);
    if (isProject) {
      projects.push(projectOf(p, name, normalizedName, own, src.virtual !== undefined, edges, optional, span));
      return;
    }
    if (typeof p.version !== 'string' && own === undefined) {
      findings.push(parseFinding(file, span.line, span.column, `[[package]] ${name} has no version`));
      return;
    }
    const pkg: LockedPackage = {
      ecosystem: 'PyPI',
      name,
      normalizedName,
      version: str(p.version) ?? '',
      hashes: hashesOf(p),
      groups: [],
      dev: false,
      optional: false,
      dependencies: edges,
      span,
    };
    const source = sourceOf(src);
    if (source) pkg.source = source;
    const forks = strings(p['resolution-markers']);
    if (forks.length === 1) pkg.markers = forks[0]!;
    else if (forks.length > 1) pkg.markers = forks.map((m) => `(${m})`).join(' or ');
    packages.push(pkg);
    raw.push({ pkg, optional });
  });
  assignScopes(projects, raw);
  resolveTargets(packages);

  return {
    data: {
      kind: 'uv-lock',
      file,
      version: version ?? 1,
      ...(revision !== undefined ? { revision } : {}),
      ...(str(doc['requires-python']) ? { requiresPython: str(doc['requires-python'])! } : {}),
      resolutionMarkers: strings(doc['resolution-markers']),
      members,
      projects,
      packages,
      conflicts: conflictSets(doc.conflicts),
      constraints: requirements(manifest.constraints),
      overrides: requirements(manifest.overrides),
    },
    findings,
  };
}

/** uv names a version on an edge only where the name is forked; otherwise the one package of that name. */
function resolveTargets(packages: LockedPackage[]): void {
  const byName = new Map<string, LockedPackage[]>();
  for (const p of packages) byName.set(p.normalizedName, [...(byName.get(p.normalizedName) ?? []), p]);
  for (const p of packages) {
    for (const e of p.dependencies) {
      const cands = byName.get(e.normalizedName) ?? [];
      const pinned = e.constraint.startsWith('==') ? e.constraint.slice(2) : undefined;
      const t = pinned !== undefined ? cands.find((c) => c.version === pinned) : cands.length === 1 ? cands[0] : undefined;
      if (t) e.target = `${t.normalizedName}@${t.version}`;
    }
  }
}

/**
 * A member's dependency on another member of its uv workspace is the repository's own code (the root's
 * `[tool.uv.sources] x = { workspace = true }` applies to every member): it gets that member's folder as its source.
 */
export function markWorkspaceMembers(pyproject: PyprojectData, lock: UvLockData): void {
  const lockDir = lock.file.includes('/') ? lock.file.slice(0, lock.file.lastIndexOf('/')) : '.';
  for (const d of pyproject.dependencies) {
    if (d.source && !(d.source.type === 'directory' && d.source.path.startsWith('workspace:'))) continue;
    const member = lock.projects.find((p) => p.normalizedName === d.normalizedName);
    if (!member) continue;
    d.source = { type: 'directory', path: member.path === '.' ? lockDir : `${lockDir === '.' ? '' : `${lockDir}/`}${member.path}`, develop: true };
    if (!d.constraint) d.constraintSyntax = 'none';
  }
}

function strings(v: unknown): string[] {
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
}

function hashesOf(p: Table): string[] {
  const out = new Set<string>();
  if (isTable(p.sdist) && typeof p.sdist.hash === 'string') out.add(p.sdist.hash);
  if (Array.isArray(p.wheels)) for (const w of p.wheels) if (isTable(w) && typeof w.hash === 'string' && w.hash.includes(':')) out.add(w.hash);
  return [...out].sort();
}

/** `{ registry = ... }`, `{ git = "url?rev=x#commit" }`, `{ path = ... }`, `{ directory = ... }`, `{ editable = ... }`, `{ url = ... }`. */
export function sourceOf(src: Table): PackageSource | undefined {
  const registry = str(src.registry);
  if (registry !== undefined) return PYPI.test(registry) ? undefined : { type: 'registry', url: registry };
  const git = str(src.git);
  if (git !== undefined) {
    const hash = git.indexOf('#');
    const commit = hash >= 0 ? git.slice(hash + 1) : undefined;
    const base = hash >= 0 ? git.slice(0, hash) : git;
    const q = base.indexOf('?');
    const url = q >= 0 ? base.slice(0, q) : base;
    const params = new URLSearchParams(q >= 0 ? base.slice(q + 1) : '');
    const reference = params.get('rev') ?? params.get('tag') ?? params.get('branch') ?? undefined;
    const subdirectory = params.get('subdirectory') ?? undefined;
    return { type: 'git', url, ...(reference ? { reference } : {}), ...(commit ? { resolvedReference: commit } : {}), ...(subdirectory ? { subdirectory } : {}) };
  }
  const editable = str(src.editable);
  if (editable !== undefined) return { type: 'directory', path: editable, develop: true };
  const dir = str(src.directory) ?? str(src.virtual);
  if (dir !== undefined) return { type: 'directory', path: dir };
  const path = str(src.path);
  if (path !== undefined) return /\.(whl|tar\.gz|zip|tgz)$/.test(path) ? { type: 'file', path } : { type: 'directory', path };
  const url = str(src.url);
  if (url !== undefined) return { type: 'url', url };
  return undefined;
}

/** `dependencies = [{ name, version?, source?, marker?, extra? }]`: uv names versions only where a name is forked. */
function edgesOf(v: unknown): LockedEdge[] {
  if (!Array.isArray(v)) return [];
  const out: LockedEdge[] = [];
  for (const d of v) {
    if (!isTable(d) || typeof d.name !== 'string') continue;
    const e: LockedEdge = { name: d.name, normalizedName: normalizePypiName(d.name), constraint: typeof d.version === 'string' ? `==${d.version}` : '', kind: 'prod' };
    if (typeof d.marker === 'string') e.markers = d.marker;
    const extras = strings(d.extra);
    if (extras.length) e.extras = extras;
    out.push(e);
  }
  return out;
}

function groupedEdges(v: unknown): Record<string, LockedEdge[]> {
  const out: Record<string, LockedEdge[]> = {};
  if (isTable(v)) for (const [k, list] of Object.entries(v)) out[k] = edgesOf(list);
  return out;
}

function requirements(v: unknown): UvRequirement[] {
  return Array.isArray(v) ? v.flatMap((r) => requirementOf(r) ?? []) : [];
}

/** `conflicts = [[{ package, extra }, { package, group }], ...]` (uv writes the package on every item). */
export function conflictSets(v: unknown): UvConflictItem[][] {
  if (!Array.isArray(v)) return [];
  return v.filter(Array.isArray).map((set) =>
    (set as unknown[]).flatMap((item) => {
      if (!isTable(item)) return [];
      const extra = str(item.extra);
      const group = str(item.group);
      if (extra === undefined && group === undefined) return [];
      return [{ ...(str(item.package) !== undefined ? { package: str(item.package)! } : {}), ...(extra !== undefined ? { extra } : {}), ...(group !== undefined ? { group } : {}) }];
    }),
  );
}

function requirementOf(v: unknown): UvRequirement | undefined {
  if (!isTable(v) || typeof v.name !== 'string') return undefined;
  const kind = ['git', 'path', 'editable', 'directory', 'url', 'index', 'workspace'].find((k) => v[k] !== undefined);
  const extras = strings(v.extras);
  return {
    name: v.name,
    normalizedName: normalizePypiName(v.name),
    specifier: str(v.specifier) ?? '',
    ...(typeof v.marker === 'string' ? { marker: v.marker } : {}),
    ...(extras.length ? { extras } : {}),
    ...(kind ? { sourceKind: kind } : {}),
  };
}

function projectOf(p: Table, name: string, normalizedName: string, path: string, virtual: boolean, main: LockedEdge[], optional: Record<string, LockedEdge[]>, span: UvProject['span']): UvProject {
  const meta = isTable(p.metadata) ? p.metadata : {};
  const requiresDist: UvProject['requiresDist'] = [];
  if (Array.isArray(meta['requires-dist'])) {
    for (const r of meta['requires-dist']) {
      const req = requirementOf(r);
      if (!req) continue;
      // uv records an extra's requirements in requires-dist with `marker = "extra == 'x'"`.
      const extra = /^extra == '([^']+)'$/.exec(req.marker ?? '')?.[1];
      if (extra) delete req.marker;
      requiresDist.push({ ...req, group: extra ? `optional:${extra}` : 'main' });
    }
  }
  const requiresDev: Record<string, UvRequirement[]> = {};
  if (isTable(meta['requires-dev'])) {
    for (const [g, list] of Object.entries(meta['requires-dev'])) requiresDev[g] = (Array.isArray(list) ? list : []).flatMap((r) => requirementOf(r) ?? []);
  }
  const edges: Record<string, LockedEdge[]> = { main };
  for (const [extra, list] of Object.entries(optional)) edges[`optional:${extra}`] = list;
  for (const [g, list] of Object.entries(groupedEdges(p['dev-dependencies']))) edges[`dependency-group:${g}`] = list;
  return { name, normalizedName, ...(typeof p.version === 'string' ? { version: p.version } : {}), path, virtual, requiresDist, requiresDev, edges, span };
}

/**
 * Scopes from reachability: a package reached from a project's main dependencies is "main"; one reached only
 * from an extra is main and optional; one reached only from dependency groups takes those groups (dev-only).
 * Extras requested on an edge (`extra = ["x"]`) follow the target's optional dependencies.
 */
function assignScopes(projects: UvProject[], raw: { pkg: LockedPackage; optional: Record<string, LockedEdge[]> }[]): void {
  const byName = new Map<string, typeof raw>();
  for (const r of raw) byName.set(r.pkg.normalizedName, [...(byName.get(r.pkg.normalizedName) ?? []), r]);
  const projectEdges = new Map(projects.map((p) => [p.normalizedName, p]));
  const reached = new Map<LockedPackage, Set<string>>();
  const extraOnly = new Map<LockedPackage, boolean>();
  const visit = (e: LockedEdge, scope: string, viaExtra: boolean, seen: Set<string>): void => {
    const member = projectEdges.get(e.normalizedName);
    if (member) {
      // A workspace member required by another: its own dependencies come along, in the same scope.
      const key = `${scope}\0${member.normalizedName}`;
      if (seen.has(key)) return;
      seen.add(key);
      for (const x of member.edges.main ?? []) visit(x, scope, viaExtra, seen);
      for (const extra of e.extras ?? []) for (const x of member.edges[`optional:${extra}`] ?? []) visit(x, scope, viaExtra, seen);
      return;
    }
    const pinned = e.constraint.startsWith('==') ? e.constraint.slice(2) : undefined;
    for (const r of byName.get(e.normalizedName) ?? []) {
      if (pinned !== undefined && r.pkg.version !== pinned) continue;
      const scopes = reached.get(r.pkg) ?? new Set<string>();
      const first = !scopes.has(scope);
      scopes.add(scope);
      reached.set(r.pkg, scopes);
      if (scope === 'main') extraOnly.set(r.pkg, (extraOnly.get(r.pkg) ?? true) && viaExtra);
      const key = `${scope}\0${viaExtra}\0${r.pkg.normalizedName}@${r.pkg.version}\0${(e.extras ?? []).join(',')}`;
      if (!first && seen.has(key)) continue;
      seen.add(key);
      for (const x of r.pkg.dependencies) visit(x, scope, viaExtra, seen);
      for (const extra of e.extras ?? []) for (const x of r.optional[extra] ?? []) visit(x, scope, viaExtra, seen);
    }
  };
  for (const p of projects) {
    for (const [scope, list] of Object.entries(p.edges)) {
      const group = scope.startsWith('dependency-group:') ? scope.slice('dependency-group:'.length) : 'main';
      const seen = new Set<string>();
      for (const e of list) visit(e, group, scope.startsWith('optional:'), seen);
    }
  }
  for (const r of raw) {
    const scopes = [...(reached.get(r.pkg) ?? [])].sort();
    r.pkg.groups = scopes;
    r.pkg.dev = scopes.length > 0 && !scopes.includes('main');
    r.pkg.optional = scopes.includes('main') && extraOnly.get(r.pkg) === true;
  }
}
