import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { parsePoetryLock } from '../formats/poetry-lock.ts';
import { parsePyproject } from '../formats/pyproject.ts';
import { isTable, parseTomlDoc } from '../formats/toml-doc.ts';
import type { LockedPackage } from '../model/dependency.ts';
import type { PoetryLockData, PyprojectData } from '../model/files.ts';
import { normalizePypiName } from '../util/names.ts';
import { MarkerSyntaxError } from '../versioning/markers.ts';
import { and, ANY, type MarkerSet, markerText, parseMarkerSet, pythonConstraint } from './marker-set.ts';
import { ExportError, type PoetryEnvMarkers, selectPackages, type SelectedPackage } from './poetry-walk.ts';

/**
 * `depwarden export --format requirements`: a Poetry project's lock as a pip requirements file, the output of
 * `poetry export -f requirements.txt` (poetry-plugin-export) in content. Differences are deliberate and listed in
 * docs/export.md: markers are written in their simplified form, a package reached by several paths gets one line,
 * and a file pip would refuse (a hash-checked file with a git or directory dependency, a package left unpinned for a
 * supported Python) is an error instead of a file.
 */
export interface ExportOptions {
  /** Poetry groups to include; default ["main"]. */
  groups?: string[];
  extras?: string[];
  /** Default true: every file hash of the lock as `--hash`, so pip installs in hash-checking mode. */
  hashes?: boolean;
}
export interface PoetryProject {
  /** The project folder (absolute): path dependencies are written as file:// URLs below it, as Poetry does. */
  dir: string;
  pyprojectFile: string;
  pyprojectText: string;
  lockFile: string;
  lockText: string;
}
export { ExportError };

const HASH_ALGORITHMS = new Set(['sha256', 'sha384', 'sha512']);

export function exportRequirements(project: PoetryProject, opts: ExportOptions = {}): string {
  const lockParsed = parsePoetryLock(project.lockFile, project.lockText);
  const lock = lockParsed.data;
  if (!lock || lockParsed.findings.length) throw new ExportError(`${project.lockFile} cannot be read: ${firstFinding(lockParsed)}`);
  const pyParsed = parsePyproject(project.pyprojectFile, project.pyprojectText);
  const pyproject = pyParsed.data;
  if (!pyproject) throw new ExportError(`${project.pyprojectFile} cannot be read: ${firstFinding(pyParsed)}`);
  const groups = opts.groups?.length ? [...new Set(opts.groups)] : ['main'];
  for (const g of groups) if (g !== 'main' && g !== 'dev' && !pyproject.groups.some((x) => x.name === g)) throw new ExportError(`${project.pyprojectFile} declares no group named ${g}`);
  let selected: SelectedPackage[];
  try {
    selected = selectPackages(lock, pyproject, poetryEnvMarkers(project), { groups, extras: opts.extras ?? [] });
  } catch (e) {
    if (e instanceof MarkerSyntaxError) throw new ExportError(`a marker or Python constraint in ${project.lockFile} or ${project.pyprojectFile} cannot be read: ${e.message}`);
    throw e;
  }
  return render(selected, lock, pyproject, project, opts.hashes !== false);
}

function firstFinding(r: { findings: { message: string; location: { line?: number } }[] }): string {
  const f = r.findings[0];
  return f ? `line ${f.location.line ?? 1}: ${f.message}` : 'unreadable';
}

function render(selected: SelectedPackage[], lock: PoetryLockData, pyproject: PyprojectData, project: PoetryProject, hashes: boolean): string {
  const lines = new Set<string>();
  const indexes = new Set<string>();
  const refused: string[] = [];
  for (const { pkg, marker, features } of selected) {
    const m = markerText(marker);
    const suffix = m ? ` ; ${m}` : '';
    const src = pkg.source;
    let line: string;
    if (src?.type === 'git') {
      const ref = src.resolvedReference ?? src.reference;
      line = `${pkg.name} @ git+${src.url.replace(/^git\+/, '')}${ref ? `@${ref}` : ''}${src.subdirectory ? `#subdirectory=${src.subdirectory}` : ''}${suffix}`;
    } else if (src?.type === 'url') line = `${pkg.name} @ ${src.url}${suffix}`;
    else if (src?.type === 'file' || src?.type === 'directory') {
      const url = pathToFileURL(path.resolve(project.dir, src.path)).href;
      line = src.type === 'directory' && isDevelop(pyproject, pkg) ? `-e ${url}${suffix}` : `${pkg.name} @ ${url}${suffix}`;
    } else {
      // The extras the project asks of a package are part of its name, as Poetry writes it (`uvicorn[standard]`).
      const name = features.length ? `${pkg.name}[${[...new Set(features.map((f) => normalizePypiName(f)))].sort().join(',')}]` : pkg.name;
      line = `${name}==${pkg.version}${suffix}`;
      if (src?.type === 'legacy' && src.url) indexes.add(src.url.replace(/\/+$/, ''));
    }
    if (hashes) {
      const hs = pkg.hashes.filter((h) => HASH_ALGORITHMS.has(h.split(':')[0]!)).sort();
      if (!hs.length) refused.push(`${pkg.name} ${pkg.version}${src && src.type !== 'legacy' && src.type !== 'registry' ? ` (${src.type} dependency)` : ''}`);
      else line += ` \\\n${hs.map((h) => `    --hash=${h}`).join(' \\\n')}`;
    }
    lines.add(line);
  }
  if (refused.length) {
    throw new ExportError(
      `${refused.length === 1 ? 'a package has' : `${refused.length} packages have`} no file hash in ${lock.file}, and pip refuses a hash-checked requirements file with an unhashed line: ${refused.sort().join(', ')}. Export with --without-hashes, or depend on a published release instead of a git or path checkout.`,
    );
  }
  const body = [...lines]
    .map((l) => ({ l, k: l.replace(/^-e /, '').split(' \\\n', 1)[0]!.toLowerCase() }))
    .sort((a, b) => (a.k < b.k ? -1 : a.k > b.k ? 1 : a.l < b.l ? -1 : a.l > b.l ? 1 : 0))
    .map((x) => x.l)
    .join('\n');
  return `${indexHeader(indexes, pyproject)}${body}\n`;
}

function isDevelop(pyproject: PyprojectData, pkg: LockedPackage): boolean {
  return pyproject.dependencies.some((d) => d.normalizedName === pkg.normalizedName && d.source?.type === 'directory' && d.source.develop === true);
}

/**
 * Non-PyPI sources the exported packages come from, in the pyproject's order: the first is `--index-url` when the
 * project has a primary/default source (Poetry then does not use PyPI), every other `--extra-index-url`.
 */
function indexHeader(indexes: Set<string>, pyproject: PyprojectData): string {
  if (!indexes.size) return '';
  const declared = pyproject.sources.filter((s) => s.url).map((s) => ({ url: s.url!.replace(/\/+$/, ''), priority: s.priority ?? 'primary' }));
  const replacesPypi = declared.some((s) => s.priority === 'primary' || s.priority === 'default');
  const ordered = [...declared.filter((s) => indexes.has(s.url)).map((s) => s.url), ...[...indexes].filter((u) => !declared.some((s) => s.url === u)).sort()];
  const out: string[] = [];
  ordered.forEach((u, i) => {
    out.push(i === 0 && replacesPypi ? `--index-url ${u}` : `--extra-index-url ${u}`);
    if (u.startsWith('http://')) out.push(`--trusted-host ${new URL(u).host}`);
  });
  return `${[...new Set(out)].join('\n')}\n\n`;
}

/** `python = "^3.8"` and `platform = "linux"` on Poetry dependency specifications, per group and name, in order. */
function poetryEnvMarkers(project: PoetryProject): PoetryEnvMarkers {
  const out: PoetryEnvMarkers = new Map();
  const parsed = parseTomlDoc(project.pyprojectFile, project.pyprojectText);
  if (!('doc' in parsed)) return out;
  const tool = isTable(parsed.doc.tool) ? parsed.doc.tool : {};
  const poetry = isTable(tool.poetry) ? tool.poetry : {};
  const tables: [string, unknown][] = [['main', poetry.dependencies], ['dev', poetry['dev-dependencies']]];
  if (isTable(poetry.group)) for (const [g, body] of Object.entries(poetry.group)) if (isTable(body)) tables.push([g, body.dependencies]);
  for (const [group, table] of tables) {
    if (!isTable(table)) continue;
    for (const [name, spec] of Object.entries(table)) {
      if (name === 'python') continue;
      const list: MarkerSet[] = [];
      for (const s of Array.isArray(spec) ? spec : [spec]) {
        let m: MarkerSet = ANY;
        if (isTable(s) && typeof s.python === 'string') m = and(m, pythonConstraint(s.python));
        if (isTable(s) && typeof s.platform === 'string') m = and(m, parseMarkerSet(`sys_platform == ${JSON.stringify(s.platform)}`));
        list.push(m);
      }
      const key = `${group}\0${normalizePypiName(name)}`;
      out.set(key, [...(out.get(key) ?? []), ...list]);
    }
  }
  return out;
}
