import { createHash } from 'node:crypto';
import type { Dependency, LockedPackage, PackageSource } from '../model/dependency.ts';
import type { ParseResult, PipfileData, PipfileLockData, PipfileSourceDecl } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import { normalizePypiName } from '../util/names.ts';
import { KeyLocator, parseJson } from './json-positions.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';
import { isTable, parseTomlDoc, str, type Table } from './toml-doc.ts';
import { TomlLocator } from './toml-positions.ts';

/** Pipfile tables that are not package categories. */
const NOT_CATEGORIES = new Set(['source', 'requires', 'scripts', 'pipenv', 'pipfile', 'dev-packages', 'packages']);
/** Keys of a package table that Pipenv turns into PEP 508 markers. */
const MARKER_KEYS = ['os_name', 'sys_platform', 'platform_machine', 'platform_python_implementation', 'platform_release', 'platform_system', 'platform_version', 'python_version', 'python_full_version', 'implementation_name', 'implementation_version'];

/** The category name a Pipfile table has in Pipfile.lock. */
export const lockCategory = (table: string): string => (table === 'packages' ? 'default' : table === 'dev-packages' ? 'develop' : table);

/** Pipfile (TOML): `[packages]`, `[dev-packages]`, custom categories, `[[source]]`, `[requires]`. */
export function parsePipfile(file: string, text: string): ParseResult<PipfileData> {
  const parsed = parseTomlDoc(file, text);
  if (!('doc' in parsed)) return parsed;
  const doc = parsed.doc;
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const loc = new TomlLocator(text);
  const dependencies: Dependency[] = [];
  for (const [table, body] of Object.entries(doc)) {
    if (NOT_CATEGORIES.has(table) && table !== 'packages' && table !== 'dev-packages') continue;
    if (!isTable(body)) continue;
    const group = lockCategory(table);
    for (const [name, spec] of Object.entries(body)) {
      const k = loc.key([table], name);
      const span = k ? idx.span(k.keyAt, k.keyAt) : idx.span(loc.section([table])?.header ?? 0);
      const d = pipfileDependency(name, spec, group, span);
      if (!d) {
        findings.push(parseFinding(file, span.line, span.column, `[${table}] ${name} has an unreadable specification`));
        continue;
      }
      if (k?.valueAt !== undefined) {
        const lit = typeof spec === 'string' ? loc.stringAt(k.valueAt) : loc.inlineField(k.valueAt, 'version');
        if (lit && d.constraint) d.constraintSpan = idx.span(lit.start, lit.end);
      }
      dependencies.push(d);
    }
  }
  const sources: PipfileSourceDecl[] = [];
  const heads = [...text.matchAll(/^[ \t]*\[\[\s*source\s*\]\]/gm)].map((m) => m.index);
  if (Array.isArray(doc.source)) {
    doc.source.forEach((s, i) => {
      if (!isTable(s) || typeof s.url !== 'string') return;
      const at = heads[i] ?? 0;
      sources.push({ name: str(s.name) ?? s.url, url: s.url, ...(typeof s.verify_ssl === 'boolean' ? { verifySsl: s.verify_ssl } : {}), span: idx.span(at, at) });
    });
  }
  const requires = isTable(doc.requires) ? doc.requires : {};
  const requiresPython = str(requires.python_full_version) ?? str(requires.python_version);
  return { data: { kind: 'pipfile', file, dependencies, sources, ...(requiresPython ? { requiresPython } : {}), hash: pipfileHash(doc) }, findings };
}

function pipfileDependency(name: string, spec: unknown, group: string, span: Dependency['span']): Dependency | undefined {
  const dev = group === 'develop';
  const optional = group !== 'default' && group !== 'develop';
  const base = { ecosystem: 'PyPI' as const, name, normalizedName: normalizePypiName(name), group, dev, optional, span };
  if (typeof spec === 'string') return { ...base, constraint: spec === '*' ? '' : spec, constraintSyntax: spec === '*' ? 'none' : 'pep440' };
  if (!isTable(spec)) return undefined;
  const source = sourceOf(spec);
  const version = str(spec.version);
  const constraint = version && version !== '*' ? version : '';
  const extras = Array.isArray(spec.extras) ? spec.extras.filter((e): e is string => typeof e === 'string') : [];
  const markers = markersOf(spec);
  return {
    ...base,
    constraint,
    constraintSyntax: constraint ? 'pep440' : 'none',
    ...(extras.length ? { extras } : {}),
    ...(markers ? { markers } : {}),
    ...(source ? { source } : {}),
    ...(str(spec.index) ? { sourceName: str(spec.index)! } : {}),
    ...(spec.editable === true ? { editable: true } : {}),
  };
}

function markersOf(spec: Table): string | undefined {
  const parts: string[] = [];
  if (str(spec.markers)) parts.push(str(spec.markers)!);
  for (const k of MARKER_KEYS) if (str(spec[k])) parts.push(`${k} ${str(spec[k])}`);
  return parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : parts.map((p) => `(${p})`).join(' and ');
}

function sourceOf(spec: Table): PackageSource | undefined {
  if (str(spec.git)) {
    const ref = str(spec.ref);
    return { type: 'git', url: str(spec.git)!.replace(/^git\+/, ''), ...(ref ? { reference: ref } : {}), ...(str(spec.subdirectory) ? { subdirectory: str(spec.subdirectory)! } : {}) };
  }
  if (str(spec.path)) {
    const p = str(spec.path)!;
    return /\.(whl|tar\.gz|zip|tgz)$/.test(p) ? { type: 'file', path: p } : { type: 'directory', path: p, ...(spec.editable === true ? { develop: true } : {}) };
  }
  if (str(spec.file)) return { type: 'url', url: str(spec.file)! };
  return undefined;
}

/**
 * The `_meta.hash.sha256` Pipenv writes: SHA-256 of Python's `json.dumps(data, sort_keys=True,
 * separators=(",", ":"))` over the sources, requires and package categories (plette's `Pipfile.get_hash`).
 * Python escapes non-ASCII characters (`ensure_ascii`), so this does too.
 */
export function pipfileHash(doc: Table): string {
  const data: Table = {
    _meta: { sources: doc.source ?? [], requires: doc.requires ?? {} },
    default: doc.packages ?? {},
    develop: doc['dev-packages'] ?? {},
  };
  for (const [k, v] of Object.entries(doc)) if (!NOT_CATEGORIES.has(k) && k !== 'default' && k !== 'develop') data[k] = v;
  const json = pythonJson(data).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return createHash('sha256').update(json, 'utf8').digest('hex');
}

function pythonJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(pythonJson).join(',')}]`;
  if (isTable(v)) return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${pythonJson(v[k])}`).join(',')}}`;
  if (typeof v === 'number' && Number.isInteger(v) && !Number.isSafeInteger(v)) return String(BigInt(v));
  return JSON.stringify(v instanceof Date ? v.toISOString() : v) ?? 'null';
}

/** Pipfile.lock (JSON): `_meta` (hash, sources, requires), `default`, `develop` and custom categories. */
export function parsePipfileLock(file: string, text: string): ParseResult<PipfileLockData> {
  const parsed = parseJson(file, text);
  const doc = parsed.value;
  if (!isTable(doc)) return { findings: parsed.findings.length ? parsed.findings : [parseFinding(file, 1, 1, 'a Pipfile.lock must be a JSON object')] };
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const meta = isTable(doc._meta) ? doc._meta : {};
  const hash = isTable(meta.hash) ? str(meta.hash.sha256) : undefined;
  const sources = (Array.isArray(meta.sources) ? meta.sources : []).flatMap((s) => (isTable(s) && typeof s.url === 'string' ? [{ name: str(s.name) ?? s.url, url: s.url }] : []));
  const requires = isTable(meta.requires) ? meta.requires : {};
  const requiresPython = str(requires.python_full_version) ?? str(requires.python_version);
  const indexUrl = new Map(sources.map((s) => [s.name, s.url]));
  const packages: LockedPackage[] = [];
  const loc = new KeyLocator(text);
  for (const [category, body] of Object.entries(doc)) {
    const catAt = loc.next(category);
    if (category === '_meta') continue;
    if (!isTable(body)) continue;
    for (const [name, e] of Object.entries(body)) {
      const at = loc.next(name) ?? catAt ?? 0;
      const span = idx.span(at, at);
      if (!isTable(e)) {
        findings.push(parseFinding(file, span.line, span.column, `${category}.${name} is not an object`));
        continue;
      }
      const version = str(e.version);
      const pinned = version ? /^===?\s*(.+)$/.exec(version)?.[1] : undefined;
      const source = sourceOf(e);
      if (!pinned && !source) {
        findings.push(parseFinding(file, span.line, span.column, `${category}.${name} has no "==" version`, 'A Pipfile.lock pins every package with "==": regenerate it with `pipenv lock`.'));
        continue;
      }
      const hashes = [...new Set((Array.isArray(e.hashes) ? e.hashes : []).filter((h): h is string => typeof h === 'string' && h.includes(':')))].sort();
      const index = str(e.index);
      const url = index ? indexUrl.get(index) : undefined;
      const pkg: LockedPackage = {
        ecosystem: 'PyPI',
        name,
        normalizedName: normalizePypiName(name),
        version: pinned ?? (source?.type === 'git' ? (source.reference ?? '') : ''),
        hashes,
        groups: [category],
        dev: category === 'develop',
        optional: category !== 'default' && category !== 'develop',
        dependencies: [],
        span,
      };
      if (str(e.markers)) pkg.markers = str(e.markers)!;
      if (source) pkg.source = source;
      else if (url && !/^https?:\/\/pypi\.org\/simple\/?$/.test(url)) pkg.source = { type: 'legacy', url, name: index! };
      packages.push(pkg);
    }
  }
  return {
    data: {
      kind: 'pipfile-lock',
      file,
      ...(typeof meta['pipfile-spec'] === 'number' ? { pipfileSpec: meta['pipfile-spec'] } : {}),
      ...(hash ? { hash } : {}),
      sources,
      ...(requiresPython ? { requiresPython } : {}),
      packages,
    },
    findings,
  };
}
