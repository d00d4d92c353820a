import type { LockedEdge, LockedPackage, PackageSource } from '../model/dependency.ts';
import type { PackageLockData, ParseResult } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { KeyLocator, parseJson } from './json-positions.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strMap = (v: unknown): Record<string, string> => {
  const out: Record<string, string> = {};
  if (isObj(v)) for (const [k, x] of Object.entries(v)) if (typeof x === 'string') out[k] = x;
  return out;
};

/** package-lock.json / npm-shrinkwrap.json, lockfileVersion 1, 2 and 3. */
export function parsePackageLock(file: string, text: string): ParseResult<PackageLockData> {
  const parsed = parseJson(file, text);
  if (!isObj(parsed.value)) {
    return { findings: parsed.findings.length ? parsed.findings : [parseFinding(file, 1, 1, 'a package-lock must be a JSON object')] };
  }
  const doc = parsed.value;
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const lockfileVersion = typeof doc.lockfileVersion === 'number' ? doc.lockfileVersion : 1;
  const packages: LockedPackage[] = [];
  let root: PackageLockData['root'];

  if (isObj(doc.packages)) {
    const loc = new KeyLocator(text);
    loc.next('packages');
    for (const [key, entry] of Object.entries(doc.packages)) {
      const at = loc.next(key) ?? 0;
      if (!isObj(entry)) {
        const p = idx.position(at);
        findings.push(parseFinding(file, p.line, p.column, `packages[${JSON.stringify(key)}] is not an object`));
        continue;
      }
      if (key === '') {
        root = {
          dependencies: strMap(entry.dependencies),
          devDependencies: strMap(entry.devDependencies),
          optionalDependencies: strMap(entry.optionalDependencies),
          peerDependencies: strMap(entry.peerDependencies),
        };
        continue;
      }
      typeFindings(file, text, idx, at, entry, findings, `packages[${JSON.stringify(key)}]`);
      packages.push(modernEntry(key, entry, idx.span(at, at)));
    }
  } else if (isObj(doc.dependencies)) {
    const loc = new KeyLocator(text);
    loc.next('dependencies');
    const walk = (deps: Obj, prefix: string): void => {
      for (const [name, entry] of Object.entries(deps)) {
        const at = loc.next(name) ?? 0;
        if (!isObj(entry)) {
          const p = idx.position(at);
          findings.push(parseFinding(file, p.line, p.column, `dependencies[${JSON.stringify(name)}] is not an object`));
          continue;
        }
        typeFindings(file, text, idx, at, entry, findings, `dependencies[${JSON.stringify(name)}]`, 'requires');
        const path = `${prefix}node_modules/${name}`;
        packages.push(legacyEntry(name, path, entry, idx.span(at, at)));
        if (isObj(entry.dependencies)) walk(entry.dependencies, `${path}/`);
      }
    };
    walk(doc.dependencies, '');
  }

  return {
    data: {
      kind: 'package-lock',
      file,
      lockfileVersion,
      ...(str(doc.name) ? { name: str(doc.name)! } : {}),
      ...(str(doc.version) ? { version: str(doc.version)! } : {}),
      packages,
      ...(root ? { root } : {}),
    },
    findings,
  };
}

/** Fields that must hold strings: a number or object where a version belongs is reported, never silently dropped. */
const STRING_FIELDS = ['version', 'resolved', 'integrity', 'license'];
const SPEC_MAPS = ['dependencies', 'optionalDependencies', 'peerDependencies', 'devDependencies'];

/** DW000 findings (at the field's line) for an entry whose versions, sources or dependency specs are not strings. */
function typeFindings(file: string, text: string, idx: LineIndex, at: number, e: Obj, findings: Finding[], where: string, specMap?: string): void {
  const report = (key: string, what: string): void => {
    const off = new KeyLocator(text, at + 1).next(key) ?? at;
    const p = idx.position(off);
    findings.push(parseFinding(file, p.line, p.column, `${where}.${key} ${what}`, 'A lock holds strings here: regenerate it with the package manager, or fix the hand edit.'));
  };
  const kind = (v: unknown): string => (v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : `a ${typeof v}`);
  for (const k of STRING_FIELDS) if (k in e && typeof e[k] !== 'string') report(k, `is ${kind(e[k])}, not a string; ignored`);
  for (const m of specMap ? [specMap] : SPEC_MAPS) {
    const v = e[m];
    if (v === undefined) continue;
    if (!isObj(v)) {
      report(m, `is ${kind(v)}, not an object of version ranges; ignored`);
      continue;
    }
    const bad = Object.entries(v).filter(([, x]) => typeof x !== 'string');
    if (bad.length) report(m, `has ${bad.length === 1 ? `a non-string range for ${JSON.stringify(bad[0]![0])}` : `${bad.length} non-string ranges (${bad.slice(0, 3).map(([n]) => JSON.stringify(n)).join(', ')}${bad.length > 3 ? ', …' : ''})`}; ignored`);
  }
}

/** "sha512-<base64>" (several, space-separated) → ["sha512:<hex>"]. Malformed parts are dropped. */
export function sriToHashes(integrity: string | undefined): string[] {
  if (!integrity) return [];
  const out: string[] = [];
  for (const part of integrity.trim().split(/\s+/)) {
    const m = /^(sha1|sha256|sha384|sha512)-([A-Za-z0-9+/=]+)$/.exec(part);
    if (m) out.push(`${m[1]}:${Buffer.from(m[2]!, 'base64').toString('hex')}`);
  }
  return [...new Set(out)].sort();
}

function flagsToGroups(e: Obj): { groups: string[]; dev: boolean; optional: boolean } {
  const dev = e.dev === true;
  const optional = e.optional === true;
  const devOptional = e.devOptional === true;
  const groups = devOptional ? ['devOptional'] : dev && optional ? ['dev', 'optional'] : dev ? ['dev'] : optional ? ['optional'] : ['prod'];
  if (e.peer === true) groups.push('peer');
  return { groups, dev: dev || devOptional, optional: optional || devOptional };
}

function sourceOf(resolved: string | undefined, link: boolean): PackageSource | undefined {
  if (!resolved) return undefined;
  if (link) return { type: 'directory', path: resolved };
  if (/^(git\+|git:|github:)/.test(resolved)) {
    const [url, ref] = resolved.replace(/^git\+/, '').split('#');
    return { type: 'git', url: url!, ...(ref ? { resolvedReference: ref } : {}) };
  }
  if (resolved.startsWith('file:')) return { type: 'file', path: resolved.slice(5) };
  if (/^https?:/.test(resolved) && !/^https:\/\/registry\.npmjs\.org\//.test(resolved)) return { type: 'registry', url: resolved };
  return undefined;
}

function modernEntry(key: string, e: Obj, span: LockedPackage['span']): LockedPackage {
  const nm = key.lastIndexOf('node_modules/');
  const workspace = nm < 0;
  const name = str(e.name) ?? (workspace ? key.split('/').pop()! : key.slice(nm + 'node_modules/'.length));
  const link = e.link === true;
  const edges: LockedEdge[] = [];
  const add = (deps: unknown, kind: LockedEdge['kind']): void => {
    for (const [n, c] of Object.entries(strMap(deps))) edges.push({ name: n, normalizedName: n, constraint: c, kind });
  };
  add(e.dependencies, 'prod');
  add(e.optionalDependencies, 'optional');
  const peerMeta = isObj(e.peerDependenciesMeta) ? e.peerDependenciesMeta : {};
  for (const [n, c] of Object.entries(strMap(e.peerDependencies))) {
    const opt = isObj(peerMeta[n]) && (peerMeta[n] as Obj).optional === true;
    edges.push({ name: n, normalizedName: n, constraint: c, kind: opt ? 'peerOptional' : 'peer', ...(opt ? { optional: true } : {}) });
  }
  const integrity = str(e.integrity);
  const resolved = str(e.resolved);
  const license = str(e.license);
  const src = sourceOf(resolved, link);
  return {
    ecosystem: 'npm',
    name,
    normalizedName: name,
    version: str(e.version) ?? '',
    hashes: sriToHashes(integrity),
    ...flagsToGroups(e),
    ...(src ? { source: src } : {}),
    dependencies: edges.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    path: key,
    ...(link ? { link: true } : {}),
    ...(e.inBundle === true ? { bundled: true } : {}),
    ...(workspace ? { workspace: true } : {}),
    ...(resolved ? { resolved } : {}),
    ...(integrity ? { integrity } : {}),
    ...(license ? { license } : {}),
    span,
  };
}

function legacyEntry(name: string, path: string, e: Obj, span: LockedPackage['span']): LockedPackage {
  const integrity = str(e.integrity);
  const resolved = str(e.resolved);
  const version = str(e.version) ?? '';
  // v1 writes git and file dependencies' source into `version`.
  const src = sourceOf(resolved ?? (/^(git|github:|file:)/.test(version) ? version : undefined), false);
  return {
    ecosystem: 'npm',
    name,
    normalizedName: name,
    version,
    hashes: sriToHashes(integrity),
    ...flagsToGroups(e),
    ...(src ? { source: src } : {}),
    dependencies: Object.entries(strMap(e.requires))
      .map(([n, c]): LockedEdge => ({ name: n, normalizedName: n, constraint: c, kind: 'prod' }))
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)),
    path,
    ...(e.bundled === true ? { bundled: true } : {}),
    ...(resolved ? { resolved } : {}),
    ...(integrity ? { integrity } : {}),
    span,
  };
}
