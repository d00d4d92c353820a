import type { LockedEdge, LockedPackage, PackageSource } from '../model/dependency.ts';
import type { PackageJsonData, ParseResult, YarnLockData } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { sriToHashes } from './package-lock.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';
import { entryOffsets, isObj, parseYamlLock, str, type Obj } from './yaml-lock.ts';

/**
 * yarn.lock: v1 (Yarn classic's own indentation syntax, read by the strict parser below) or berry (Yarn 2+,
 * YAML with `__metadata`). Told apart by content: berry files carry `__metadata`.
 */
export function parseYarnLock(file: string, text: string): ParseResult<YarnLockData> {
  return /^__metadata:/m.test(text) ? parseBerry(file, text) : parseV1(file, text);
}

// ---------------------------------------------------------------------------------------------------- v1

interface V1Entry {
  keys: string[];
  fields: Obj;
  offset: number;
}

/**
 * Yarn classic's lockfile syntax: top-level `"a@^1", a@^1.1:` headers, two-space `key value` fields, and one
 * nested level (`dependencies:` then four-space `name "range"`). Anything else is a DW000 at its line, and the
 * entry it breaks is skipped; the rest of the file is still read. (@yarnpkg/lockfile, the reference parser, is
 * frozen with Yarn 1 and gives no positions, which every record here needs.)
 */
export function parseV1Entries(file: string, text: string): { entries: V1Entry[]; findings: Finding[] } {
  const idx = new LineIndex(file, text);
  const entries: V1Entry[] = [];
  const findings: Finding[] = [];
  let entry: V1Entry | undefined;
  let nested: Obj | undefined;
  let broken = false;
  const fail = (offset: number, msg: string): void => {
    const p = idx.position(offset);
    findings.push(parseFinding(file, p.line, p.column, msg, 'Regenerate the lock with `yarn install`; depwarden skipped the broken entry.'));
    broken = true;
  };
  let offset = 0;
  const flush = (): void => {
    if (entry && !broken) entries.push(entry);
    entry = undefined;
    nested = undefined;
    broken = false;
  };
  for (const rawLine of text.split('\n')) {
    const lineStart = offset;
    offset += rawLine.length + 1;
    const line = rawLine.endsWith('\r') ? rawLine.slice(0, -1) : rawLine;
    if (/^\s*(#.*)?$/.test(line)) continue;
    const indent = /^ */.exec(line)![0].length;
    const body = line.slice(indent);
    if (indent === 0) {
      flush();
      if (!body.endsWith(':')) {
        fail(lineStart, 'an entry header must end with ":"');
        continue;
      }
      const keys = tokens(body.slice(0, -1), true);
      if (!keys || keys.length === 0) {
        fail(lineStart, 'unreadable entry header');
        continue;
      }
      entry = { keys, fields: {}, offset: lineStart };
      continue;
    }
    if (!entry) {
      fail(lineStart, 'a field outside any entry');
      continue;
    }
    if (broken) continue;
    if (indent !== 2 && indent !== 4) {
      fail(lineStart + indent, `unexpected indentation (${indent} spaces)`);
      continue;
    }
    if (indent === 4 && !nested) {
      fail(lineStart + indent, 'a nested field without a parent (`dependencies:`)');
      continue;
    }
    if (body.endsWith(':') && indent === 2) {
      const k = tokens(body.slice(0, -1), false);
      if (!k || k.length !== 1) {
        fail(lineStart + indent, 'unreadable field name');
        continue;
      }
      nested = {};
      entry.fields[k[0]!] = nested;
      continue;
    }
    const kv = tokens(body, false);
    if (!kv || kv.length !== 2) {
      fail(lineStart + indent, 'expected `key value`');
      continue;
    }
    if (indent === 2) {
      nested = undefined;
      entry.fields[kv[0]!] = kv[1]!;
    } else nested![kv[0]!] = kv[1]!;
  }
  flush();
  return { entries, findings };
}

/** Space-separated tokens, each bare or a JSON-quoted string; with `commas`, comma-separated header keys. */
function tokens(s: string, commas: boolean): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ' || (commas && s[i] === ',')) i++;
    if (i >= s.length) break;
    if (s[i] === '"') {
      let j = i + 1;
      while (j < s.length && s[j] !== '"') j += s[j] === '\\' ? 2 : 1;
      if (j >= s.length) return undefined;
      try {
        out.push(JSON.parse(s.slice(i, j + 1)) as string);
      } catch {
        return undefined;
      }
      i = j + 1;
    } else {
      let j = i;
      while (j < s.length && s[j] !== ' ' && !(commas && s[j] === ',')) j++;
      out.push(s.slice(i, j));
      i = j;
    }
  }
  return out;
}

function parseV1(file: string, text: string): ParseResult<YarnLockData> {
  const { entries, findings } = parseV1Entries(file, text);
  const idx = new LineIndex(file, text);
  if (entries.length === 0 && findings.length === 0 && text.trim() && !/yarn lockfile v1/.test(text)) findings.push(parseFinding(file, 1, 1, 'no entries: not a yarn.lock'));
  const packages: LockedPackage[] = [];
  const descriptors: Record<string, number> = {};
  for (const e of entries) {
    const f = e.fields;
    const span = idx.span(e.offset, e.offset);
    const version = str(f.version);
    const name = nameOf(e.keys[0]!);
    if (!version || !name) {
      const p = idx.position(e.offset);
      findings.push(parseFinding(file, p.line, p.column, `entry ${JSON.stringify(e.keys[0])} has no version`));
      continue;
    }
    const resolved = str(f.resolved);
    const integrity = str(f.integrity);
    // Old locks carry no integrity, only the tarball's sha1 in the resolved URL's fragment.
    const sha1 = !integrity && resolved ? /#([0-9a-f]{40})$/.exec(resolved)?.[1] : undefined;
    const source = v1Source(resolved, e.keys[0]!);
    const edges: LockedEdge[] = [];
    for (const [section, kind] of [['dependencies', 'prod'], ['optionalDependencies', 'optional']] as const) {
      const m = f[section];
      if (isObj(m)) for (const [n, r] of Object.entries(m)) if (typeof r === 'string') edges.push({ name: n, normalizedName: n, constraint: r, kind, ...(kind === 'optional' ? { optional: true } : {}) });
    }
    edges.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const i = packages.length;
    packages.push({
      ecosystem: 'npm',
      name,
      normalizedName: name,
      version,
      hashes: sha1 ? [`sha1:${sha1}`] : sriToHashes(integrity),
      groups: ['prod'],
      dev: false,
      optional: false,
      dependencies: edges,
      ...(source ? { source } : {}),
      ...(resolved ? { resolved } : {}),
      ...(integrity ? { integrity } : {}),
      span,
    });
    for (const k of e.keys) descriptors[k] = i;
  }
  const data: YarnLockData = { kind: 'yarn-lock', file, flavor: 'v1', descriptors, workspaces: [], packages };
  resolveTargets(data);
  return { data, findings };
}

/** `@scope/name@range` → `@scope/name`. */
function nameOf(descriptor: string): string | undefined {
  const at = descriptor.indexOf('@', 1);
  return at > 0 ? descriptor.slice(0, at) : undefined;
}

function v1Source(resolved: string | undefined, key: string): PackageSource | undefined {
  const range = key.slice(key.indexOf('@', 1) + 1);
  if (range.startsWith('file:') || range.startsWith('link:')) return { type: 'directory', path: range.slice(5) };
  if (!resolved) return undefined;
  if (/^(git\+|git:|github:|ssh:)/.test(resolved) || /\.git(#|$)/.test(resolved)) {
    const [url, ref] = resolved.replace(/^git\+/, '').split('#');
    return { type: 'git', url: url!, ...(ref ? { resolvedReference: ref } : {}) };
  }
  if (/^https?:/.test(resolved) && !/^https:\/\/registry\.(yarnpkg\.com|npmjs\.org)\//.test(resolved)) {
    const url = resolved.replace(/#.*$/, '');
    // A registry serves tarballs under `<name>/-/`; any other URL is a tarball taken from elsewhere.
    return /\/-\/[^/]+\.tgz$/.test(url) ? { type: 'registry', url } : { type: 'url', url };
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------------- berry

/** `name@protocol:rest` → protocol ("npm", "workspace", "patch", "git+https", ...) and the rest. */
function protocolOf(resolution: string): { name: string; protocol: string; rest: string } | undefined {
  const at = resolution.indexOf('@', 1);
  if (at < 0) return undefined;
  const ref = resolution.slice(at + 1);
  const colon = ref.indexOf(':');
  return { name: resolution.slice(0, at), protocol: colon > 0 ? ref.slice(0, colon) : '', rest: colon > 0 ? ref.slice(colon + 1) : ref };
}

function parseBerry(file: string, text: string): ParseResult<YarnLockData> {
  const parsed = parseYamlLock(file, text);
  if (!('doc' in parsed)) return parsed;
  const doc = parsed.doc;
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  // Berry writes entries at column 1: treat the whole file as one section for the offsets.
  const offsets = new Map<string, number>();
  for (const m of text.matchAll(/^("(?:[^"\\]|\\.)*"|[^\s#"][^:]*):\s*$/gm)) {
    const k = m[1]!.startsWith('"') ? (JSON.parse(m[1]!) as string) : m[1]!;
    if (!offsets.has(k)) offsets.set(k, m.index);
  }
  void entryOffsets;
  const meta = isObj(doc.__metadata) ? doc.__metadata : {};
  const packages: LockedPackage[] = [];
  const descriptors: Record<string, number> = {};
  const workspaces: YarnLockData['workspaces'] = [];
  for (const [key, entry] of Object.entries(doc)) {
    if (key === '__metadata') continue;
    const at = offsets.get(key) ?? 0;
    const span = idx.span(at, at);
    const e = isObj(entry) ? entry : undefined;
    const resolution = e ? str(e.resolution) : undefined;
    const proto = resolution ? protocolOf(resolution) : undefined;
    if (!e || !resolution || !proto) {
      findings.push(parseFinding(file, span.line, span.column, `entry ${JSON.stringify(key)} has no resolution`));
      continue;
    }
    const deps: Record<string, string> = {};
    if (isObj(e.dependencies)) for (const [n, r] of Object.entries(e.dependencies)) if (str(r) !== undefined) deps[n] = str(r)!;
    const optionalMeta = isObj(e.dependenciesMeta) ? e.dependenciesMeta : {};
    if (proto.protocol === 'workspace') {
      workspaces.push({ name: proto.name, path: proto.rest, dependencies: deps, span });
    }
    const edges: LockedEdge[] = Object.entries(deps).map(([n, r]) => {
      const optional = isObj(optionalMeta[n]) && (optionalMeta[n] as Obj).optional === true;
      return { name: n, normalizedName: n, constraint: r.startsWith('npm:') ? r.slice(4) : r, kind: optional ? ('optional' as const) : ('prod' as const), ...(optional ? { optional: true } : {}) };
    });
    if (isObj(e.peerDependencies)) {
      const peerMeta = isObj(e.peerDependenciesMeta) ? e.peerDependenciesMeta : {};
      for (const [n, r] of Object.entries(e.peerDependencies)) {
        if (str(r) === undefined) continue;
        const opt = isObj(peerMeta[n]) && (peerMeta[n] as Obj).optional === true;
        edges.push({ name: n, normalizedName: n, constraint: str(r)!, kind: opt ? 'peerOptional' : 'peer', ...(opt ? { optional: true } : {}) });
      }
    }
    edges.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    const checksum = str(e.checksum);
    const source = berrySource(proto);
    const i = packages.length;
    packages.push({
      ecosystem: 'npm',
      name: proto.name,
      normalizedName: proto.name,
      version: str(e.version) ?? '',
      // Berry's checksum hashes Yarn's own cache archive, not the registry tarball: kept as the lock's integrity, not as an artifact hash.
      hashes: [],
      groups: ['prod'],
      dev: false,
      optional: false,
      dependencies: edges,
      ...(source ? { source } : {}),
      resolved: resolution,
      ...(checksum ? { integrity: checksum } : {}),
      ...(proto.protocol === 'workspace' ? { workspace: true } : {}),
      ...(e.linkType === 'soft' && proto.protocol !== 'workspace' ? { link: true } : {}),
      span,
    });
    for (const d of key.split(/,\s*/)) descriptors[d.trim()] = i;
  }
  const data: YarnLockData = {
    kind: 'yarn-lock',
    file,
    flavor: 'berry',
    ...(str(meta.version) ? { metadataVersion: str(meta.version)! } : {}),
    ...(str(meta.cacheKey) ? { cacheKey: str(meta.cacheKey)! } : {}),
    descriptors,
    workspaces,
    packages,
  };
  resolveTargets(data);
  return { data, findings };
}

/** Each edge's descriptor → the package the lock resolves it to (peers are the parent's to provide). */
function resolveTargets(lock: YarnLockData): void {
  for (const p of lock.packages) {
    for (const e of p.dependencies) {
      if (e.kind === 'peer' || e.kind === 'peerOptional') continue;
      const i = descriptorOf(lock, e.name, e.constraint);
      const t = i === undefined ? undefined : lock.packages[i];
      if (t) e.target = `${t.normalizedName}@${t.version}`;
    }
  }
}

function berrySource(p: { protocol: string; rest: string }): PackageSource | undefined {
  switch (p.protocol) {
    case 'npm':
    case 'patch':
      return undefined;
    case 'workspace':
    case 'portal':
    case 'link':
    case 'file':
      return { type: 'directory', path: p.rest };
    default: {
      const full = `${p.protocol}:${p.rest}`;
      if (/^(git\+|git:|ssh:|github:)/.test(full) || /\.git#/.test(full)) {
        const [url, ref] = full.replace(/^git\+/, '').split('#');
        const commit = ref ? /(?:^|&)commit=([0-9a-f]+)/.exec(ref)?.[1] : undefined;
        return { type: 'git', url: url!, ...(commit ? { resolvedReference: commit } : {}) };
      }
      if (/^https?:/.test(full)) return { type: 'url', url: full };
      return undefined;
    }
  }
}

// ---------------------------------------------------------------------------------------------------- scopes

/**
 * Berry applies package.json `resolutions` when it resolves, but keeps each dependent's own range in its entry
 * (`trim: "npm:0.0.1"` while only `trim@npm:1.0.1` is locked): such edges resolve to the forced version.
 */
function applyResolutions(lock: YarnLockData, manifests: PackageJsonData[]): void {
  if (lock.flavor !== 'berry') return;
  const forced = new Map<string, string>();
  for (const m of manifests) for (const o of m.overrides ?? []) if (o.group === 'resolutions') forced.set(o.name, o.constraint);
  if (forced.size === 0) return;
  for (const p of lock.packages) {
    for (const e of p.dependencies) {
      const range = e.target === undefined ? forced.get(e.name) : undefined;
      const i = range === undefined ? undefined : descriptorOf(lock, e.name, range);
      const t = i === undefined ? undefined : lock.packages[i];
      if (t) e.target = `${t.normalizedName}@${t.version}`;
    }
  }
}

/** The descriptor a declaration or an edge names in this lock (berry prefixes bare ranges with `npm:`). */
function descriptorOf(lock: YarnLockData, name: string, range: string): number | undefined {
  const d = lock.descriptors;
  const direct = d[`${name}@${range}`];
  if (direct !== undefined || lock.flavor === 'v1') return direct;
  return /^[a-z+]+:/.test(range) ? undefined : d[`${name}@npm:${range}`];
}

/**
 * Yarn does not write scopes: a package reached from a manifest's dependencies is prod, one reached only from
 * devDependencies is dev (the manifests are the package.json files this lock pins — a workspace's root and
 * members). Without manifests everything stays prod, the cautious answer.
 */
export function assignYarnScopes(lock: YarnLockData, manifests: PackageJsonData[]): void {
  if (manifests.length === 0) return;
  applyResolutions(lock, manifests);
  const byId = new Map(lock.packages.map((p, i) => [`${p.normalizedName}@${p.version}`, i]));
  const reach = new Map<number, Set<string>>();
  const visit = (start: number | undefined, scope: string): void => {
    const stack = start === undefined ? [] : [start];
    while (stack.length) {
      const i = stack.pop()!;
      const s = reach.get(i) ?? new Set<string>();
      if (s.has(scope)) continue;
      s.add(scope);
      reach.set(i, s);
      for (const e of lock.packages[i]!.dependencies) {
        if (e.kind === 'peer' || e.kind === 'peerOptional') continue;
        const t = e.target !== undefined ? byId.get(e.target) : descriptorOf(lock, e.name, e.constraint);
        if (t !== undefined) stack.push(t);
      }
    }
  };
  for (const m of manifests) {
    for (const d of m.dependencies) {
      if (d.group === 'peer') continue;
      visit(descriptorOf(lock, d.name, d.constraint), d.dev ? 'dev' : d.optional ? 'optional' : 'prod');
    }
  }
  lock.packages.forEach((p, i) => {
    if (p.workspace) return;
    const s = reach.get(i);
    if (!s) return; // not reached from the manifests we know (another workspace's): left prod
    const prod = s.has('prod');
    const opt = !prod && s.has('optional');
    p.dev = !prod && !opt;
    p.optional = opt;
    p.groups = prod ? ['prod'] : opt ? ['optional'] : ['dev'];
  });
}
