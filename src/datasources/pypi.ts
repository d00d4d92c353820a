import * as pep440 from '@renovatebot/pep440';
import { normalizePypiName as normalizeName } from '../util/names.ts';
import { stripCredentials } from '../http/auth.ts';
import { redact } from '../http/client.ts';
import { type HttpSession, parseJson, statusError } from '../http/session.ts';
import type { PackageReleases, Release, ReleaseFile } from '../model/update.ts';
import { compareVersions, isValidVersion } from '../versioning/pep440.ts';
import { IndexSelectionError, NotFoundError } from './errors.ts';
import { sameIndexKey } from './python-indexes.ts';

/**
 * PyPI and private Python indexes. Two APIs:
 * - the JSON API (`<base>/<name>/json`, base like https://pypi.org/pypi): releases with their files, digests,
 *   upload times, yanked flags and reasons, Requires-Python, and the project's home page and URLs;
 * - the simple repository API (`<index>/<normalized-name>/`), asked for PEP 691 JSON and read as PEP 503 HTML
 *   when the index answers HTML. Versions come from file names (or the `versions` key of API v1.1).
 * Which indexes are asked for a package, and how their answers combine, is `pypiReleases` below.
 */
export type SourcePriority = 'default' | 'primary' | 'secondary' | 'supplemental' | 'explicit';

export interface PypiIndex {
  name: string;
  /** JSON API base (".../pypi") or simple index URL (".../simple"). May be empty for a source named "PyPI". */
  url: string;
  /** Poetry's priority; absent means primary (Poetry's default). */
  priority?: SourcePriority;
  /** Default: "json" when the URL path ends in /pypi, else "simple". "links": a pip `--find-links` page (one flat page of file links). */
  api?: 'json' | 'simple' | 'links';
}

export const PYPI_JSON = 'https://pypi.org/pypi';
export const PYPI: PypiIndex = { name: 'PyPI', url: PYPI_JSON, priority: 'primary', api: 'json' };

/** PEP 503 normalisation (one implementation for the whole project), of a name that may carry spaces around it. */
export const normalizePypiName = (name: string): string => normalizeName(name.trim());

const STRONG_HASHES = ['sha256', 'sha384', 'sha512'];

function hashList(digests: Record<string, unknown> | undefined): string[] {
  return Object.entries(digests ?? {})
    .filter(([alg, hex]) => STRONG_HASHES.includes(alg.toLowerCase()) && typeof hex === 'string' && hex)
    .map(([alg, hex]) => `${alg.toLowerCase()}:${(hex as string).toLowerCase()}`)
    .sort();
}

/** A release is yanked when every one of its files is (PEP 592); it is released when its first file was. */
function summarise(version: string, files: (ReleaseFile & { uploadedAt?: string; yankedReason?: string })[]): Release {
  const times = files.map((f) => f.uploadedAt).filter((t): t is string => !!t).sort((a, b) => Date.parse(a) - Date.parse(b));
  const yanked = files.length > 0 && files.every((f) => f.yanked);
  const reason = yanked ? files.find((f) => f.yankedReason)?.yankedReason : undefined;
  return {
    version,
    ...(times[0] ? { releasedAt: new Date(Date.parse(times[0])).toISOString() } : {}),
    ...(yanked ? { yanked: true } : {}),
    ...(reason ? { yankedReason: reason } : {}),
    files: files.map(({ uploadedAt: _u, yankedReason: _r, ...f }) => f).sort((a, b) => (a.filename < b.filename ? -1 : a.filename > b.filename ? 1 : 0)),
  };
}

function sortReleases(releases: Release[]): Release[] {
  return releases.filter((r) => isValidVersion(r.version)).sort((a, b) => compareVersions(a.version, b.version));
}

interface PypiJson {
  info?: { name?: string; version?: string; home_page?: string | null; project_urls?: Record<string, string> | null };
  releases?: Record<string, PypiJsonFile[]>;
}
interface PypiJsonFile {
  filename: string;
  url: string;
  digests?: Record<string, string>;
  requires_python?: string | null;
  upload_time_iso_8601?: string;
  upload_time?: string;
  yanked?: boolean;
  yanked_reason?: string | null;
}

const SOURCE_KEYS = /^(source|source code|code|repository|github|gitlab|git)$/i;
const HOME_KEYS = /^(homepage|home|home page)$/i;

/** The JSON API's answer for one project. */
export function parsePypiJson(json: PypiJson, registry: string): PackageReleases {
  const releases = Object.entries(json.releases ?? {}).map(([version, files]) =>
    summarise(
      version,
      (files ?? []).map((f) => ({
        filename: f.filename,
        url: f.url,
        hashes: hashList(f.digests),
        ...(f.requires_python ? { requiresPython: f.requires_python } : {}),
        ...(f.yanked ? { yanked: true } : {}),
        ...(f.yanked && f.yanked_reason ? { yankedReason: f.yanked_reason } : {}),
        ...(f.upload_time_iso_8601 || f.upload_time ? { uploadedAt: f.upload_time_iso_8601 ?? `${f.upload_time}Z` } : {}),
      })),
    ),
  );
  const urls = Object.entries(json.info?.project_urls ?? {});
  const homepage = json.info?.home_page || urls.find(([k]) => HOME_KEYS.test(k))?.[1];
  const sourceUrl = urls.find(([k]) => SOURCE_KEYS.test(k))?.[1];
  return {
    datasource: 'pypi',
    name: normalizePypiName(json.info?.name ?? ''),
    registry: redact(registry),
    releases: sortReleases(releases),
    ...(json.info?.version ? { latestTag: json.info.version } : {}),
    ...(homepage ? { homepage } : {}),
    ...(sourceUrl ? { sourceUrl } : {}),
  };
}

const ARCHIVE = /\.(tar\.gz|tar\.bz2|tar\.xz|tgz|tbz|txz|zip|tar)$/i;

/** The version a distribution file is for, from its name; undefined for names of other projects or formats. */
export function versionFromFilename(filename: string, project: string): string | undefined {
  const want = normalizePypiName(project);
  if (/\.whl$/i.test(filename)) {
    // {name}-{version}(-{build})?-{python}-{abi}-{platform}.whl; name and version have no "-" (escaped as "_").
    const parts = filename.slice(0, -4).split('-');
    return parts.length >= 5 && normalizePypiName(parts[0]!) === want ? parts[1] : undefined;
  }
  let base: string;
  if (/\.egg$/i.test(filename)) base = filename.slice(0, -4).replace(/-py\d+(\.\d+)?(-.*)?$/, '');
  else if (ARCHIVE.test(filename)) base = filename.replace(ARCHIVE, '');
  else return undefined;
  // Old sdists keep "-" in the name ("python-dateutil-2.8.2.tar.gz"): split where the prefix is the project.
  for (let i = base.indexOf('-'); i > 0; i = base.indexOf('-', i + 1)) {
    if (normalizePypiName(base.slice(0, i)) === want) return base.slice(i + 1) || undefined;
  }
  return undefined;
}

interface SimpleFile {
  filename: string;
  url: string;
  hashes?: Record<string, string>;
  'requires-python'?: string | null;
  yanked?: boolean | string;
  'upload-time'?: string;
}

/** Group files into releases by the PEP 440-normalised version in their names. */
function releasesFromFiles(files: (ReleaseFile & { uploadedAt?: string; yankedReason?: string })[], project: string, extraVersions: string[] = []): Release[] {
  const byVersion = new Map<string, typeof files>();
  for (const v of extraVersions) if (isValidVersion(v)) byVersion.set(pep440.clean(v) ?? v, []);
  for (const f of files) {
    const raw = versionFromFilename(f.filename, project);
    if (!raw || !isValidVersion(raw)) continue;
    const v = pep440.clean(raw) ?? raw;
    byVersion.set(v, [...(byVersion.get(v) ?? []), f]);
  }
  return sortReleases([...byVersion].map(([v, fs]) => summarise(v, fs)));
}

/** PEP 691 JSON (application/vnd.pypi.simple.v1+json) for one project page. */
export function parseSimpleJson(json: { name?: string; files?: SimpleFile[]; versions?: string[] }, pageUrl: string, project: string): PackageReleases {
  const files = (json.files ?? []).map((f) => ({
    filename: f.filename,
    url: new URL(f.url, pageUrl).toString(),
    hashes: hashList(f.hashes),
    ...(f['requires-python'] ? { requiresPython: f['requires-python'] } : {}),
    ...(f.yanked ? { yanked: true } : {}),
    ...(typeof f.yanked === 'string' && f.yanked ? { yankedReason: f.yanked } : {}),
    ...(f['upload-time'] ? { uploadedAt: f['upload-time'] } : {}),
  }));
  return { datasource: 'pypi', name: normalizePypiName(json.name ?? project), registry: redact(indexOf(pageUrl)), releases: releasesFromFiles(files, project, json.versions) };
}

function decodeEntities(s: string): string {
  return s.replace(/&(#x[0-9a-f]+|#\d+|amp|lt|gt|quot|apos|#39);/gi, (_, e: string) => {
    const l = e.toLowerCase();
    if (l.startsWith('#x')) return String.fromCodePoint(parseInt(l.slice(2), 16));
    if (l.startsWith('#')) return String.fromCodePoint(Number(l.slice(1)));
    return ({ amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" } as Record<string, string>)[l] ?? '';
  });
}

/** PEP 503 HTML: one anchor per file; `#<alg>=<hex>` fragment, data-requires-python, data-yanked. */
export function parseSimpleHtml(html: string, pageUrl: string, project: string): PackageReleases {
  const files: (ReleaseFile & { yankedReason?: string })[] = [];
  for (const a of html.matchAll(/<a\s([^>]*)>([\s\S]*?)<\/a\s*>/gi)) {
    const attrs = new Map<string, string>();
    for (const m of a[1]!.matchAll(/([^\s"'=<>`/]+)(?:\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"'=<>`]+)))?/g)) {
      attrs.set(m[1]!.toLowerCase(), decodeEntities(m[2] ?? m[3] ?? m[4] ?? ''));
    }
    const href = attrs.get('href');
    if (!href) continue;
    const url = new URL(href, pageUrl);
    const hash = /^#(sha256|sha384|sha512)=([0-9a-f]+)$/i.exec(url.hash);
    url.hash = '';
    const text = decodeEntities(a[2]!.replace(/<[^>]*>/g, '')).trim();
    const filename = text || decodeURIComponent(url.pathname.split('/').pop() ?? '');
    const yanked = attrs.has('data-yanked');
    const reason = attrs.get('data-yanked');
    files.push({
      filename,
      url: url.toString(),
      hashes: hash ? [`${hash[1]!.toLowerCase()}:${hash[2]!.toLowerCase()}`] : [],
      ...(attrs.get('data-requires-python') ? { requiresPython: attrs.get('data-requires-python')! } : {}),
      ...(yanked ? { yanked: true } : {}),
      ...(yanked && reason ? { yankedReason: reason } : {}),
    });
  }
  return { datasource: 'pypi', name: normalizePypiName(project), registry: redact(indexOf(pageUrl)), releases: releasesFromFiles(files, project) };
}

/** ".../simple/requests/" → ".../simple/" (the index a project page belongs to). */
function indexOf(pageUrl: string): string {
  return new URL('..', pageUrl).toString();
}

const SIMPLE_ACCEPT = 'application/vnd.pypi.simple.v1+json, application/vnd.pypi.simple.v1+html;q=0.2, text/html;q=0.01';

export function apiOf(index: PypiIndex): 'json' | 'simple' | 'links' {
  return index.api ?? (/\/pypi\/?$/.test(new URL(index.url || PYPI_JSON).pathname) ? 'json' : 'simple');
}

/** One index's answer; undefined when the index answers 404 (or 410): it does not have the project. */
export async function fetchFromIndex(session: HttpSession, index: PypiIndex, project: string): Promise<PackageReleases | undefined> {
  const base = (index.url || PYPI_JSON).replace(/\/+$/, '');
  const name = normalizePypiName(project);
  if (apiOf(index) === 'json') {
    const url = `${base}/${name}/json`;
    const res = await session.request(url, { accept: 'application/json' });
    if (res.status === 404 || res.status === 410) return undefined;
    if (res.status !== 200) throw statusError('GET', url, res.status);
    return parsePypiJson(parseJson(res.body, url), `${base}/`);
  }
  if (apiOf(index) === 'links') {
    // A find-links page lists files of many projects; only this project's file names count.
    const page = index.url;
    const res = await session.request(page, { accept: 'text/html' });
    if (res.status === 404 || res.status === 410) return undefined;
    if (res.status !== 200) throw statusError('GET', page, res.status);
    const r = parseSimpleHtml(new TextDecoder().decode(res.body), stripCredentials(page), project);
    return r.releases.length ? { ...r, registry: redact(page) } : undefined;
  }
  const url = `${base}/${name}/`;
  const res = await session.request(url, { accept: SIMPLE_ACCEPT });
  if (res.status === 404 || res.status === 410) return undefined;
  if (res.status !== 200) throw statusError('GET', url, res.status);
  const type = res.headers['content-type'] ?? '';
  const text = new TextDecoder().decode(res.body);
  // File URLs are resolved against the page without user:password, so no record carries the index's credentials.
  const page = stripCredentials(url);
  if (/json/i.test(type) || (!type && text.trimStart().startsWith('{'))) return parseSimpleJson(parseJson(res.body, url), page, project);
  return parseSimpleHtml(text, page, project);
}

const isPypiName = (s: PypiIndex): boolean => s.name.toLowerCase() === 'pypi';

/**
 * The indexes asked for a dependency without a named source, in order, as Poetry 2 orders them:
 * default, then primary sources in the order given, then secondary, then supplemental ones. PyPI is added as a
 * primary source after the configured primaries unless a source has priority default or primary, or a source is
 * named "PyPI" (then that entry's priority applies). Explicit sources are left out.
 */
export function searchOrder(indexes: PypiIndex[]): PypiIndex[] {
  const withPriority = indexes.map((i) => ({ ...i, priority: i.priority ?? 'primary' }) as PypiIndex & { priority: SourcePriority });
  const hasPrimary = withPriority.some((i) => i.priority === 'default' || i.priority === 'primary');
  const all = hasPrimary || withPriority.some(isPypiName) ? withPriority : [...withPriority, { ...PYPI, priority: 'primary' as const }];
  const rank: Record<SourcePriority, number> = { default: 0, primary: 1, secondary: 2, supplemental: 3, explicit: 4 };
  return all.filter((i) => i.priority !== 'explicit').sort((a, b) => rank[a.priority] - rank[b.priority]);
}

/** Where a lock says a package came from: an index URL, or PyPI when the lock records no source. */
export interface LockedIndex {
  /** Undefined: PyPI (poetry.lock writes no [package.source] for PyPI packages). */
  url?: string;
  /** The lock file, for messages. */
  file: string;
}

const shown = (i: PypiIndex): string => `${i.name} (${redact(i.url || PYPI_JSON)})`;
const sha256s = (r: PackageReleases): Set<string> => new Set(r.releases.flatMap((x) => (x.files ?? []).flatMap((f) => f.hashes.filter((h) => h.startsWith('sha256:')))));

/** The declared index a lock's source is, if the project still declares it. */
function lockedIndexOf(indexes: PypiIndex[], locked: LockedIndex): PypiIndex | undefined {
  const all = [...indexes, ...(indexes.some(isPypiName) ? [] : [PYPI])];
  if (locked.url === undefined) {
    // PyPI: a source named PyPI, or one whose URL is pypi.org's, and only if the project's search order uses it.
    const inOrder = [...searchOrder(indexes), ...indexes.filter((i) => i.priority === 'explicit')];
    return inOrder.find((i) => isPypiName(i) || sameIndexKey(i.url || PYPI_JSON) === sameIndexKey(PYPI_JSON));
  }
  const want = sameIndexKey(locked.url);
  return all.find((i) => sameIndexKey(i.url || PYPI_JSON) === want);
}

/** Which of the indexes publish the project (every one asked; a failure fails the lookup). */
async function holders(session: HttpSession, project: string, order: PypiIndex[]): Promise<{ index: PypiIndex; answer: PackageReleases }[]> {
  const answers = await Promise.all(order.map(async (index) => ({ index, answer: await fetchFromIndex(session, index, project) })));
  return answers.filter((a): a is { index: PypiIndex; answer: PackageReleases } => a.answer !== undefined);
}

/**
 * Releases of a Python project across indexes, with depwarden's index selection (docs/datasources.md, "Index
 * selection"), which follows Poetry's source priorities but never merges versions of several indexes:
 * - a dependency that names a source (`source = "foo"`) is looked up in that source only, whatever its priority;
 * - a package whose lock records the index it came from (`locked`) is looked up there only, if the project still
 *   declares that index. Found only elsewhere among the declared indexes (or the lock's index is no longer
 *   declared and another one has it): IndexSelectionError DW405, never an answer;
 * - otherwise every default, primary and secondary source in `searchOrder` is asked; the first that publishes the
 *   project answers alone ("first index", uv's default; pip and Poetry merge, which is how a public upload with a
 *   higher version wins). If another of them publishes it too without one file (sha256) in common with the first
 *   (not a mirror: another owner), that is IndexSelectionError DW406: the install tools merge, so either could win
 *   (unless `multiIndex`: the project declared the name as meant to be on several indexes);
 * - supplemental sources are asked, in order, only when none of those knew the project; the first that knows it
 *   answers;
 * - an index that fails (5xx after retries, 401) fails the lookup rather than being skipped: skipping a private
 *   index that is down would silently let a public package of the same name win.
 * `registry` of the answer is the index that answered.
 */
export async function pypiReleases(session: HttpSession, project: string, indexes: PypiIndex[], opts: { source?: string; locked?: LockedIndex; multiIndex?: boolean } = {}): Promise<PackageReleases> {
  if (opts.source) {
    const named = [...indexes, ...(indexes.some(isPypiName) ? [] : [PYPI])].find((i) => i.name.toLowerCase() === opts.source!.toLowerCase());
    if (!named) throw new Error(`${project} names the package source "${opts.source}", which is not configured (sources: ${indexes.map((i) => i.name).join(', ') || 'none'})`);
    const r = await fetchFromIndex(session, named, project);
    if (!r) throw new NotFoundError('pypi', project, `${project} was not found in the source ${named.name} (${redact(named.url || PYPI_JSON)})`);
    return r;
  }
  const order = searchOrder(indexes);
  const notFound = (): NotFoundError =>
    new NotFoundError('pypi', project, `${project} was not found in any package index (asked: ${order.map((i) => `${i.name} ${redact(i.url || PYPI_JSON)}`).join(', ') || 'none: no index is declared'})`);
  if (opts.locked) {
    const lockedIndex = lockedIndexOf(indexes, opts.locked);
    const where = `${opts.locked.file} records it from ${opts.locked.url === undefined ? 'PyPI' : redact(opts.locked.url)}`;
    if (lockedIndex) {
      const r = await fetchFromIndex(session, lockedIndex, project);
      if (r) return r;
    }
    const key = (i: PypiIndex): string => sameIndexKey(i.url || PYPI_JSON);
    const others = await holders(session, project, order.filter((i) => !lockedIndex || key(i) !== key(lockedIndex)));
    if (others.length === 0) throw notFound();
    throw new IndexSelectionError(
      'DW405',
      project,
      `${project} is found only on ${others.map((o) => shown(o.index)).join(', ')}, but ${where}${lockedIndex ? ', which no longer publishes it' : ', which the project no longer declares'}: possible dependency confusion, no update proposed`,
    );
  }
  const main = order.filter((i) => i.priority !== 'supplemental');
  const found = await holders(session, project, main);
  if (found.length > 0) {
    const first = found[0]!;
    const firstFiles = sha256s(first.answer);
    // multiIndex: the project says this name is meant to live on several indexes (updates.registries.multiIndex).
    const strangers = opts.multiIndex ? [] : found.slice(1).filter((o) => ![...sha256s(o.answer)].some((h) => firstFiles.has(h)));
    if (strangers.length)
      throw new IndexSelectionError(
        'DW406',
        project,
        `${project} is published on ${[first, ...strangers].map((o) => shown(o.index)).join(' and ')} with no file in common (different owners?): pip and Poetry merge their versions, so either could be installed; name the index the package must come from (a Poetry \`source =\`, or one index for the file)`,
      );
    return first.answer;
  }
  for (const i of order.filter((x) => x.priority === 'supplemental')) {
    const r = await fetchFromIndex(session, i, project);
    if (r) return r;
  }
  throw notFound();
}

/** What a registry declares as a release's licence, raw (normalising to SPDX is src/licenses/normalize.ts). */
export interface DeclaredLicense {
  /** PyPI: PEP 639 `License-Expression` (info.license_expression). */
  expression?: string;
  /** PyPI: the `License` field; npm: `license`, or the legacy `licenses` list's types. */
  text?: string | string[];
  /** PyPI: the "License :: ..." trove classifiers. */
  classifiers?: string[];
}

interface PypiVersionJson {
  info?: { license_expression?: string | null; license?: string | null; classifiers?: unknown };
}

/** The licence fields of a JSON API answer for one release (`<base>/<name>/<version>/json`). */
export function declaredLicenseOfPypiJson(json: PypiVersionJson): DeclaredLicense {
  const info = json.info ?? {};
  const classifiers = Array.isArray(info.classifiers) ? info.classifiers.filter((c): c is string => typeof c === 'string' && c.startsWith('License :: ')) : [];
  return {
    ...(typeof info.license_expression === 'string' && info.license_expression.trim() ? { expression: info.license_expression.trim() } : {}),
    ...(typeof info.license === 'string' && info.license.trim() ? { text: info.license.trim() } : {}),
    ...(classifiers.length ? { classifiers: [...new Set(classifiers)].sort() } : {}),
  };
}

/**
 * The licence PyPI's JSON API declares for one release (per-version document: the project document's `info` is the
 * latest release's, and a licence can change between releases). Undefined when the index has no such release.
 */
export async function pypiDeclaredLicense(session: HttpSession, base: string, project: string, version: string): Promise<DeclaredLicense | undefined> {
  const url = `${base.replace(/\/+$/, '')}/${normalizePypiName(project)}/${encodeURIComponent(version)}/json`;
  const res = await session.request(url, { accept: 'application/json' });
  if (res.status === 404 || res.status === 410) return undefined;
  if (res.status !== 200) throw statusError('GET', url, res.status);
  return declaredLicenseOfPypiJson(parseJson(res.body, url));
}
