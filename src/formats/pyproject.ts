import type { Dependency, PackageSource } from '../model/dependency.ts';
import type { ParseResult, PoetrySourceDecl, PyprojectData } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import type { SourceSpan } from '../model/source.ts';
import { normalizePypiName } from '../util/names.ts';
import { parseFinding } from './parse-finding.ts';
import { pep508Dependency } from './pep508-dependency.ts';
import { conflictSets } from './uv-lock.ts';
import { isTable, parseTomlDoc, str } from './toml-doc.ts';
import { parsePep508 } from './pep508.ts';
import { poetryContentHashes } from './poetry-content-hash.ts';
import { LineIndex } from './text-position.ts';
import { TomlLocator } from './toml-positions.ts';


/** pyproject.toml: Poetry's [tool.poetry], PEP 621 [project], PEP 735 [dependency-groups]. */
export function parsePyproject(file: string, text: string): ParseResult<PyprojectData> {
  // bigint integers keep 1 and 1.0 apart, as Python does, for Poetry's content-hash.
  const parsed = parseTomlDoc(file, text, { integersAsBigInt: true });
  if (!('doc' in parsed)) return parsed;
  const doc = parsed.doc;
  const findings: Finding[] = [];
  const idx = new LineIndex(file, text);
  const loc = new TomlLocator(text);
  const tool = isTable(doc.tool) ? doc.tool : {};
  const poetry = isTable(tool.poetry) ? tool.poetry : undefined;
  const project = isTable(doc.project) ? doc.project : undefined;
  const deps: Dependency[] = [];
  const headerSpan = (path: string[]): SourceSpan => {
    const s = loc.section(path);
    return idx.span(s?.header ?? 0, s?.header ?? 0);
  };

  // PEP 621 first: with Poetry 2, [tool.poetry.dependencies] only enriches [project] entries of the same name.
  const projectNames = new Set<string>();
  if (project) {
    const addList = (list: unknown, path: string[], key: string, group: string, optional: boolean, dev: boolean): void => {
      if (list === undefined) return;
      if (!Array.isArray(list)) {
        findings.push(parseFinding(file, headerSpan(path).line, 1, `${[...path, key].join('.')} must be an array of requirement strings`));
        return;
      }
      const at = loc.key(path, key)?.valueAt;
      const literals = at !== undefined ? loc.arrayStrings(at) : [];
      list.forEach((item, i) => {
        const lit = literals.filter((l) => typeof item === 'string' && text.slice(l.start, l.end) === item)[0] ?? literals[i];
        const span = lit ? idx.span(lit.start, lit.end) : headerSpan(path);
        if (typeof item !== 'string') {
          if (!(isTable(item) && 'include-group' in item)) findings.push(parseFinding(file, span.line, span.column, `${key}[${i}] is not a requirement string`));
          return;
        }
        const dep = pep508Dependency(item, { group, dev, optional, span, ...(lit ? { idx, textStart: lit.start } : {}) });
        if (!dep) {
          findings.push(parseFinding(file, span.line, span.column, `not a PEP 508 requirement: ${JSON.stringify(item)}`));
          return;
        }
        if (group === 'main') projectNames.add(dep.normalizedName);
        deps.push(dep);
      });
    };
    addList(project.dependencies, ['project'], 'dependencies', 'main', false, false);
    if (isTable(project['optional-dependencies'])) {
      for (const [extra, list] of Object.entries(project['optional-dependencies'])) {
        addList(list, ['project', 'optional-dependencies'], extra, `optional:${extra}`, true, false);
      }
    }
  }
  if (isTable(doc['dependency-groups'])) {
    for (const [g, list] of Object.entries(doc['dependency-groups'])) addListPep735(g, list);
  }
  function addListPep735(g: string, list: unknown): void {
    if (!Array.isArray(list)) return;
    const at = loc.key(['dependency-groups'], g)?.valueAt;
    const literals = at !== undefined ? loc.arrayStrings(at) : [];
    let li = 0;
    for (const item of list) {
      if (typeof item !== 'string') continue; // {include-group = "x"}: the included group is listed on its own
      const lit = literals[li++];
      const span = lit ? idx.span(lit.start, lit.end) : headerSpan(['dependency-groups']);
      const dep = pep508Dependency(item, { group: `dependency-group:${g}`, dev: true, optional: false, span, ...(lit ? { idx, textStart: lit.start } : {}) });
      if (dep) deps.push(dep);
      else findings.push(parseFinding(file, span.line, span.column, `not a PEP 508 requirement: ${JSON.stringify(item)}`));
    }
  }

  // uv's legacy `[tool.uv] dev-dependencies` (before PEP 735): one group, "dev".
  const uv = isTable(tool.uv) ? tool.uv : undefined;
  if (uv && Array.isArray(uv['dev-dependencies'])) {
    const at = loc.key(['tool', 'uv'], 'dev-dependencies')?.valueAt;
    const literals = at !== undefined ? loc.arrayStrings(at) : [];
    let li = 0;
    for (const item of uv['dev-dependencies']) {
      if (typeof item !== 'string') continue;
      const lit = literals[li++];
      const span = lit ? idx.span(lit.start, lit.end) : headerSpan(['tool', 'uv']);
      const dep = pep508Dependency(item, { group: 'dev', dev: true, optional: false, span, ...(lit ? { idx, textStart: lit.start } : {}) });
      if (dep) deps.push(dep);
      else findings.push(parseFinding(file, span.line, span.column, `not a PEP 508 requirement: ${JSON.stringify(item)}`));
    }
  }
  if (uv && isTable(uv.sources)) applyUvSources(deps, uv.sources);
  // constraint-/override-dependencies change what uv locks without being dependencies themselves.
  const uvRequirements = (key: string): Dependency[] => {
    if (!uv || !Array.isArray(uv[key])) return [];
    const at = loc.key(['tool', 'uv'], key)?.valueAt;
    const literals = at !== undefined ? loc.arrayStrings(at) : [];
    let li = 0;
    const out: Dependency[] = [];
    for (const item of uv[key]) {
      if (typeof item !== 'string') continue;
      const lit = literals[li++];
      const span = lit ? idx.span(lit.start, lit.end) : headerSpan(['tool', 'uv']);
      const dep = pep508Dependency(item, { group: key, dev: false, optional: false, span, ...(lit ? { idx, textStart: lit.start } : {}) });
      if (dep) out.push(dep);
      else findings.push(parseFinding(file, span.line, span.column, `not a PEP 508 requirement: ${JSON.stringify(item)}`));
    }
    return out;
  };
  const uvConstraints = uvRequirements('constraint-dependencies');
  const uvOverrides = uvRequirements('override-dependencies');
  const uvConflicts = uv ? conflictSets(uv.conflicts) : [];

  let requiresPython = str(project?.['requires-python']);
  const groups: { name: string; optional: boolean }[] = [];
  if (poetry) {
    const addTable = (table: unknown, path: string[], group: string, dev: boolean, groupOptional: boolean): void => {
      if (!isTable(table)) return;
      for (const [name, spec] of Object.entries(table)) {
        if (name === 'python') {
          const v = isTable(spec) ? str(spec.version) : str(spec);
          if (group === 'main' && v && !requiresPython) requiresPython = v;
          continue;
        }
        if (group === 'main' && projectNames.has(normalizePypiName(name))) continue;
        const k = loc.key(path, name);
        const keySpan = k ? idx.span(k.keyAt, k.keyAt) : headerSpan(path);
        const specs = Array.isArray(spec) ? spec : [spec];
        specs.forEach((s, i) => {
          const d = poetryDependency(name, s, group, dev, groupOptional, keySpan);
          if (!d) {
            findings.push(parseFinding(file, keySpan.line, keySpan.column, `dependency ${name} has an unreadable specification`));
            return;
          }
          // Constraint text offsets, for edits: "1.2.3", {version = "1.2.3"}, or [a.b.name] version = "1.2.3".
          if (specs.length === 1 && k) {
            let lit: { start: number; end: number } | undefined;
            if (k.valueAt !== undefined) lit = typeof s === 'string' ? loc.stringAt(k.valueAt) : loc.inlineField(k.valueAt, 'version');
            else {
              const v = loc.key([...path, name], 'version');
              lit = v?.valueAt !== undefined ? loc.stringAt(v.valueAt) : undefined;
            }
            if (lit) d.constraintSpan = idx.span(lit.start, lit.end);
          }
          void i;
          deps.push(d);
        });
      }
    };
    addTable(poetry.dependencies, ['tool', 'poetry', 'dependencies'], 'main', false, false);
    addTable(poetry['dev-dependencies'], ['tool', 'poetry', 'dev-dependencies'], 'dev', true, false);
    if (isTable(poetry.group)) {
      for (const [g, body] of Object.entries(poetry.group)) {
        if (!isTable(body)) continue;
        const optional = body.optional === true;
        groups.push({ name: g, optional });
        addTable(body.dependencies, ['tool', 'poetry', 'group', g, 'dependencies'], g, g !== 'main', optional);
      }
    }
  }

  const sources: PoetrySourceDecl[] = [];
  if (poetry && Array.isArray(poetry.source)) {
    const heads = [...text.matchAll(/^[ \t]*\[\[\s*tool\s*\.\s*poetry\s*\.\s*source\s*\]\]/gm)].map((m) => m.index);
    poetry.source.forEach((s, i) => {
      if (!isTable(s) || typeof s.name !== 'string') return;
      const at = heads[i] ?? 0;
      const priority = str(s.priority) ?? (s.default === true ? 'default' : s.secondary === true ? 'secondary' : undefined);
      sources.push({ name: s.name, ...(str(s.url) ? { url: str(s.url)! } : {}), ...(priority ? { priority } : {}), span: idx.span(at, at) });
    });
  }

  // uv indexes ([[tool.uv.index]]): `explicit` ones serve only the packages pinned to them, as Poetry's explicit sources.
  if (uv && Array.isArray(uv.index)) {
    const heads = [...text.matchAll(/^[ \t]*\[\[\s*tool\s*\.\s*uv\s*\.\s*index\s*\]\]/gm)].map((m) => m.index);
    uv.index.forEach((s, i) => {
      if (!isTable(s) || typeof s.url !== 'string') return;
      const at = heads[i] ?? 0;
      const priority = s.explicit === true ? 'explicit' : s.default === true ? 'default' : 'primary';
      sources.push({ name: str(s.name) ?? s.url, url: s.url, priority, span: idx.span(at, at) });
    });
  }

  const extras: Record<string, string[]> = {};
  if (poetry && isTable(poetry.extras)) {
    for (const [k, v] of Object.entries(poetry.extras)) if (Array.isArray(v)) extras[k] = v.filter((x): x is string => typeof x === 'string');
  } else if (project && isTable(project['optional-dependencies'])) {
    for (const [k, v] of Object.entries(project['optional-dependencies'])) {
      if (Array.isArray(v)) extras[k] = v.flatMap((x) => (typeof x === 'string' ? [parsePep508(x)?.name ?? x] : []));
    }
  }
  // Dependencies that an extra pulls in are optional even when the table does not say so.
  for (const d of deps) if (d.group === 'main' && Object.values(extras).some((l) => l.some((n) => normalizePypiName(n) === d.normalizedName))) d.optional = true;

  const license = project?.license ?? poetry?.license;
  const licenseText = typeof license === 'string' ? license : isTable(license) ? str(license.text) : undefined;
  const packageMode = poetry && typeof poetry['package-mode'] === 'boolean' ? poetry['package-mode'] : undefined;
  return {
    data: {
      kind: 'pyproject',
      file,
      ...(str(project?.name) ?? str(poetry?.name) ? { projectName: (str(project?.name) ?? str(poetry?.name))! } : {}),
      ...(str(project?.version) ?? str(poetry?.version) ? { projectVersion: (str(project?.version) ?? str(poetry?.version))! } : {}),
      ...(requiresPython ? { requiresPython } : {}),
      ...(packageMode !== undefined ? { packageMode } : {}),
      hasPoetrySection: poetry !== undefined,
      ...(uv ? { hasUvSection: true } : {}),
      ...(uvConflicts.length ? { uvConflicts } : {}),
      ...(uvConstraints.length ? { uvConstraints } : {}),
      ...(uvOverrides.length ? { uvOverrides } : {}),
      ...(Array.isArray(project?.dynamic) ? { dynamic: project.dynamic.filter((x): x is string => typeof x === 'string') } : {}),
      hasProjectSection: project !== undefined,
      dependencies: deps,
      sources,
      groups,
      extras,
      contentHash: poetryContentHashes(doc),
      ...(licenseText ? { license: licenseText } : {}),
    },
    findings,
  };
}

function poetryDependency(name: string, spec: unknown, group: string, dev: boolean, groupOptional: boolean, span: SourceSpan): Dependency | undefined {
  const base = { ecosystem: 'PyPI' as const, name, normalizedName: normalizePypiName(name), group, dev, span };
  if (typeof spec === 'string') return { ...base, constraint: spec, constraintSyntax: 'poetry', optional: groupOptional };
  if (!isTable(spec)) return undefined;
  let source: PackageSource | undefined;
  const path = str(spec.path);
  if (path) source = /\.(whl|tar\.gz|zip|tgz)$/.test(path) ? { type: 'file', path } : { type: 'directory', path, ...(spec.develop === true ? { develop: true } : {}) };
  else if (str(spec.git)) {
    const ref = str(spec.rev) ?? str(spec.tag) ?? str(spec.branch);
    source = { type: 'git', url: str(spec.git)!, ...(ref ? { reference: ref } : {}), ...(str(spec.subdirectory) ? { subdirectory: str(spec.subdirectory)! } : {}) };
  } else if (str(spec.url)) source = { type: 'url', url: str(spec.url)! };
  const extras = Array.isArray(spec.extras) ? spec.extras.filter((e): e is string => typeof e === 'string') : [];
  const version = str(spec.version) ?? '';
  return {
    ...base,
    constraint: version,
    constraintSyntax: source && !version ? 'none' : 'poetry',
    optional: spec.optional === true || groupOptional,
    ...(extras.length ? { extras } : {}),
    ...(str(spec.markers) ? { markers: str(spec.markers)! } : {}),
    ...(source ? { source } : {}),
    ...(str(spec.source) ? { sourceName: str(spec.source)! } : {}),
  };
}

/**
 * `[tool.uv.sources]`: where uv takes a declared package from — git, a path (editable or not), a URL, a named
 * index, or a workspace member. Applied to every declaration of that name (main, extras, groups).
 */
function applyUvSources(deps: Dependency[], sources: Record<string, unknown>): void {
  const byName = new Map<string, Record<string, unknown>[]>();
  for (const [name, spec] of Object.entries(sources)) byName.set(normalizePypiName(name), (Array.isArray(spec) ? spec : [spec]).filter(isTable));
  for (const d of deps) {
    const list = byName.get(d.normalizedName) ?? [];
    // A list of sources split by extra / group (conflicting extras each from their own index) or by markers: the
    // entry for the declaration's own extra or group, else the first that names none, else the first.
    const extra = d.group.startsWith('optional:') ? d.group.slice('optional:'.length) : undefined;
    const group = d.group.startsWith('dependency-group:') ? d.group.slice('dependency-group:'.length) : d.group === 'dev' ? 'dev' : undefined;
    const s =
      list.find((x) => (extra !== undefined && x.extra === extra) || (group !== undefined && x.group === group)) ??
      list.find((x) => x.extra === undefined && x.group === undefined) ??
      list[0];
    if (!s) continue;
    let source: PackageSource | undefined;
    if (str(s.git)) {
      const ref = str(s.rev) ?? str(s.tag) ?? str(s.branch);
      source = { type: 'git', url: str(s.git)!, ...(ref ? { reference: ref } : {}), ...(str(s.subdirectory) ? { subdirectory: str(s.subdirectory)! } : {}) };
    } else if (str(s.path)) {
      const p = str(s.path)!;
      source = /\.(whl|tar\.gz|zip|tgz)$/.test(p) ? { type: 'file', path: p } : { type: 'directory', path: p, ...(s.editable === true ? { develop: true } : {}) };
    } else if (str(s.url)) source = { type: 'url', url: str(s.url)! };
    else if (s.workspace === true) source = { type: 'directory', path: `workspace:${d.name}`, develop: true };
    else if (str(s.index)) {
      d.sourceName = str(s.index)!;
      continue;
    }
    if (source) {
      d.source = source;
      if (source.type !== 'registry') d.constraintSyntax = d.constraint ? d.constraintSyntax : 'none';
    }
  }
}
