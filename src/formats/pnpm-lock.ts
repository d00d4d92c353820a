import type { LockedEdge, LockedPackage, PackageSource } from '../model/dependency.ts';
import type { ParseResult, PnpmImporter, PnpmLockData } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { sriToHashes } from './package-lock.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';
import { entryOffsets, isObj, parseYamlLock, str, type Obj } from './yaml-lock.ts';

const SECTIONS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;

/**
 * `name@version(peer@x)` (9.0), `/name@version(peer@x)` (6.0) or `/name/version_peer` (5.x) → name and the
 * version without its peer suffix.
 */
export function splitPnpmKey(key: string): { name: string; version: string } | undefined {
  const v5 = /^\/((?:@[^/]+\/)?[^/@]+)\/([^/_(]+)(?:_.*)?$/.exec(key);
  if (v5) return { name: v5[1]!, version: v5[2]! };
  let k = key.startsWith('/') ? key.slice(1) : key;
  const paren = k.indexOf('(');
  if (paren > 0) k = k.slice(0, paren);
  const at = k.indexOf('@', 1);
  if (at > 0) return { name: k.slice(0, at), version: k.slice(at + 1) };
  const slash = k.lastIndexOf('/');
  if (slash > 0) return { name: k.slice(0, slash), version: k.slice(slash + 1).split('_')[0]! };
  return undefined;
}

/** pnpm-lock.yaml, lockfileVersion 6.0 and 9.0 (5.x read best-effort): importers, packages + snapshots. */
export function parsePnpmLock(file: string, text: string): ParseResult<PnpmLockData> {
  const parsed = parseYamlLock(file, text);
  if (!('doc' in parsed)) return parsed;
  const doc = parsed.doc;
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const lockfileVersion = str(doc.lockfileVersion) ?? '';
  if (!/^[5-9](\.\d+)?$/.test(lockfileVersion)) findings.push(parseFinding(file, 1, 1, lockfileVersion ? `lockfileVersion ${lockfileVersion} is not one depwarden reads (5.x, 6.0, 9.0); read as 9.0` : 'no lockfileVersion: not a pnpm lock'));
  const offsets = entryOffsets(text, new Set(['packages', 'snapshots', 'importers']));

  // Importers: a workspace lists them; a single project (6.0) keeps its sections at the top.
  const importers: PnpmImporter[] = [];
  const rawImporters: [string, Obj][] = isObj(doc.importers) ? Object.entries(doc.importers).filter((e): e is [string, Obj] => isObj(e[1])) : [['.', doc]];
  for (const [path, imp] of rawImporters) {
    const specifiers = isObj(imp.specifiers) ? imp.specifiers : {}; // 5.x keeps specifiers apart
    const sections = { dependencies: {}, devDependencies: {}, optionalDependencies: {} } as PnpmImporter['sections'];
    for (const s of SECTIONS) {
      const m = imp[s];
      if (!isObj(m)) continue;
      for (const [name, v] of Object.entries(m)) {
        if (isObj(v) && str(v.version) !== undefined) sections[s][name] = { specifier: str(v.specifier) ?? '', version: str(v.version)! };
        else if (str(v) !== undefined) sections[s][name] = { specifier: str(specifiers[name]) ?? '', version: str(v)! };
      }
    }
    importers.push({ path, sections });
  }

  // 9.0 splits metadata (packages: resolution, engines, peers) from the resolved graph (snapshots); 6.0 has both in packages.
  const meta = isObj(doc.packages) ? doc.packages : {};
  const graph = isObj(doc.snapshots) ? doc.snapshots : meta;
  const graphSection = isObj(doc.snapshots) ? 'snapshots' : 'packages';
  const byId = new Map<string, LockedPackage>();
  const keyToId = new Map<string, string>();
  for (const [key, entry] of Object.entries(graph)) {
    const at = offsets.get(graphSection)?.get(key) ?? 0;
    const span = idx.span(at, at);
    const nv = splitPnpmKey(key);
    const e = isObj(entry) ? entry : {};
    const m = isObj(meta[key]) ? (meta[key] as Obj) : isObj(meta[key.replace(/\(.*$/, '')]) ? (meta[key.replace(/\(.*$/, '')] as Obj) : e;
    const name = str(m.name) ?? nv?.name;
    const version = str(m.version) ?? nv?.version;
    if (!name || !version || entry === null || (entry !== undefined && !isObj(entry))) {
      findings.push(parseFinding(file, span.line, span.column, `${graphSection}[${JSON.stringify(key)}] is not a package entry`));
      continue;
    }
    const res = isObj(m.resolution) ? m.resolution : {};
    const source = sourceOf(res, version);
    // A local folder or git checkout has no registry version: the manifest's (if the lock names it) or none.
    const pkgVersion = source?.type === 'git' || source?.type === 'directory' ? (str(m.version) ?? '') : version;
    const id = `${name}@${version}`; // the key's version: two local folders of one name stay apart
    keyToId.set(key, id);
    const edges = edgesOf(e);
    const known = byId.get(id);
    if (known) {
      // Another peer-suffixed snapshot of the same version: one package, the union of its edges.
      for (const x of edges) if (!known.dependencies.some((d) => d.name === x.name && d.constraint === x.constraint)) known.dependencies.push(x);
      continue;
    }
    const integrity = str(res.integrity);
    const tarball = str(res.tarball);
    const pkg: LockedPackage = {
      ecosystem: 'npm',
      name,
      normalizedName: name,
      version: pkgVersion,
      hashes: sriToHashes(integrity),
      groups: [],
      dev: false,
      optional: false,
      dependencies: edges,
      path: key,
      ...(source ? { source } : {}),
      ...(tarball ? { resolved: tarball } : {}),
      ...(integrity ? { integrity } : {}),
      span,
    };
    byId.set(id, pkg);
  }
  assignScopes(importers, byId, keyToId);
  const packages = [...byId.values()];
  for (const p of packages) {
    for (const e of p.dependencies) {
      const id = targetKey(e.name, e.constraint).map((k) => keyToId.get(k)).find((x) => x !== undefined);
      const t = id ? byId.get(id) : undefined;
      if (t) e.target = `${t.normalizedName}@${t.version}`;
      e.constraint = e.constraint.replace(/\(.*$/, '');
    }
  }
  for (const p of packages) p.dependencies.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  return { data: { kind: 'pnpm-lock', file, lockfileVersion, importers, packages }, findings };
}

function sourceOf(res: Obj, version: string): PackageSource | undefined {
  if (res.type === 'git' && str(res.repo)) return { type: 'git', url: str(res.repo)!, ...(str(res.commit) ? { resolvedReference: str(res.commit)! } : {}) };
  if (res.type === 'directory' && str(res.directory)) return { type: 'directory', path: str(res.directory)! };
  const tarball = str(res.tarball);
  if (tarball?.startsWith('file:')) return { type: 'file', path: tarball.slice(5) };
  if (tarball && !str(res.integrity) && /^https?:/.test(tarball)) return { type: 'url', url: tarball };
  if (tarball && /^https?:/.test(tarball) && !/^https:\/\/registry\.npmjs\.org\//.test(tarball)) return { type: 'registry', url: tarball };
  if (/^(https?:|git|github:)/.test(version)) return { type: 'url', url: version };
  return undefined;
}

function edgesOf(e: Obj): LockedEdge[] {
  const out: LockedEdge[] = [];
  const add = (m: unknown, kind: LockedEdge['kind']): void => {
    if (!isObj(m)) return;
    for (const [n, v] of Object.entries(m)) {
      const ref = str(v);
      if (ref !== undefined) out.push({ name: n, normalizedName: n, constraint: ref, kind, ...(kind === 'optional' ? { optional: true } : {}) });
    }
  };
  add(e.dependencies, 'prod');
  add(e.optionalDependencies, 'optional');
  return out;
}

/** The snapshot key an importer's or package's reference points at: `1.2.3(peer@1)` under its name, or an alias `real@1.2.3`. */
function targetKey(name: string, ref: string): string[] {
  if (ref.startsWith('link:') || ref.startsWith('workspace:')) return [];
  const bare = ref.replace(/\(.*$/, '');
  const alias = bare.indexOf('@', 1) > 0 && !/^[0-9]/.test(bare) ? ref : undefined;
  const k = `${name}@${ref}`;
  return [...(alias ? [alias, `/${alias}`] : []), k, `/${k}`, `/${name}/${ref}`, ref];
}

/** Scopes from the importers: reached from dependencies → prod, only from optionalDependencies → optional, only from devDependencies → dev. */
function assignScopes(importers: PnpmImporter[], byId: Map<string, LockedPackage>, keyToId: Map<string, string>): void {
  const reach = new Map<LockedPackage, Set<'prod' | 'dev' | 'optional'>>();
  const visit = (name: string, ref: string, scope: 'prod' | 'dev' | 'optional'): void => {
    const stack: [string, string][] = [[name, ref]];
    while (stack.length) {
      const [n, r] = stack.pop()!;
      const id = targetKey(n, r).map((k) => keyToId.get(k)).find((x) => x !== undefined);
      const p = id ? byId.get(id) : undefined;
      if (!p) continue;
      const s = reach.get(p) ?? new Set();
      if (s.has(scope)) continue;
      s.add(scope);
      reach.set(p, s);
      for (const e of p.dependencies) if (e.kind !== 'peer' && e.kind !== 'peerOptional') stack.push([e.name, e.constraint]);
    }
  };
  for (const imp of importers) {
    for (const [name, v] of Object.entries(imp.sections.dependencies)) visit(name, v.version, 'prod');
    for (const [name, v] of Object.entries(imp.sections.optionalDependencies)) visit(name, v.version, 'optional');
    for (const [name, v] of Object.entries(imp.sections.devDependencies)) visit(name, v.version, 'dev');
  }
  for (const p of byId.values()) {
    const s = reach.get(p) ?? new Set<string>();
    const prod = s.has('prod');
    const opt = !prod && s.has('optional');
    const dev = !prod && !opt && s.has('dev');
    p.groups = prod ? ['prod'] : opt && s.has('dev') ? ['devOptional'] : opt ? ['optional'] : dev ? ['dev'] : [];
    p.dev = dev;
    p.optional = opt;
  }
}
