import type { Dependency, LockedPackage } from '../model/dependency.ts';
import type { ActionRef, ImageRef } from '../model/files.ts';
import { redactSecrets } from '../util/redact.ts';

/** The purl spec's default repositories: no repository_url qualifier for these. */
const DEFAULT_NPM = /^https?:\/\/registry\.(npmjs\.org|yarnpkg\.com)(\/|$)/;
const DEFAULT_PYPI = /^https?:\/\/(pypi\.org|pypi\.python\.org|files\.pythonhosted\.org)(\/|$)/;

/** An npm tarball URL (<registry>/<name>/-/<file>.tgz) gives its registry; other URLs are kept whole. */
function npmRegistryOf(url: string, name: string): string {
  const cut = url.indexOf(`/${name}/-/`);
  return cut > 0 ? url.slice(0, cut) : url;
}

/**
 * Package URLs (purl-spec) as packageurl-js writes them (see packageUrl below), with the spec's per-type rules:
 * PyPI names lower case with `_` as `-` (dots stay: pkg:pypi/zope.interface), npm names lower case. Sources that are not the default
 * registry become qualifiers: vcs_url (git, with the resolved commit), download_url (a direct URL),
 * repository_url (another index or registry), file_name (a local path).
 */
export function purlOfLocked(p: LockedPackage): string | undefined {
  try {
    return purlOf(p, p.version);
  } catch {
    return undefined; // a name the purl rules refuse (hostile lock): the component keeps its name only
  }
}

/** A declaration without a lock: the pinned version, or none (a range is no version). */
export function purlOfDeclared(d: Dependency, version: string): string | undefined {
  try {
    return purlOf(d, version);
  } catch {
    return undefined; // a name the purl rules refuse (hostile manifest): the component keeps its name only
  }
}

/**
 * `file_name` names a distribution file (the purl spec's qualifier for the artefact): a local wheel, sdist or
 * tarball. A source folder (a path or workspace dependency) is no artefact: the component's depwarden:source
 * says where it is, and the same package from two folders is one purl.
 */
const ARTEFACT = /\.(whl|tar\.gz|tgz|tar\.bz2|tar\.xz|zip|egg)$/i;

/** A qualifier still holding a build variable (`--platform=$BUILDPLATFORM`) says nothing about the package: dropped. */
const UNRESOLVED = /\$(\{?[A-Za-z_][A-Za-z0-9_]*)/;

function qualifiersOf(q: Record<string, string>): Record<string, string> | undefined {
  for (const k of Object.keys(q)) if (UNRESOLVED.test(q[k]!)) delete q[k];
  return Object.keys(q).length ? q : undefined;
}

/** What packageUrl is called with: the purl's parts before the purl rules (test/sbom/purl-equivalence.test.ts). */
export type PurlArgs = [type: PurlType, namespace: string | undefined, name: string, version: string | undefined, qualifiers: Record<string, string> | undefined, subpath: string | undefined];

function purlOf(p: Pick<LockedPackage, 'ecosystem' | 'name' | 'source'>, version: string): string {
  return packageUrl(...purlArgsOf(p, version));
}

export function purlArgsOf(p: Pick<LockedPackage, 'ecosystem' | 'name' | 'source'>, version: string): PurlArgs {
  const q: Record<string, string> = {};
  const s = p.source;
  if (s?.type === 'git') {
    const commit = s.resolvedReference ?? s.reference;
    q.vcs_url = `${s.url.startsWith('git+') ? '' : 'git+'}${s.url}${commit ? `@${commit}` : ''}`;
  } else if (s?.type === 'url') q.download_url = s.url;
  else if (s?.type === 'legacy' && !DEFAULT_PYPI.test(s.url)) q.repository_url = s.url;
  else if (s?.type === 'registry' && s.url) {
    const repo = p.ecosystem === 'npm' ? npmRegistryOf(s.url, p.name) : s.url;
    if (!(p.ecosystem === 'npm' ? DEFAULT_NPM : DEFAULT_PYPI).test(repo)) q.repository_url = repo;
  } else if ((s?.type === 'file' || s?.type === 'directory') && ARTEFACT.test(s.path)) q.file_name = s.path;
  // Lock and manifest URLs may carry credentials (https://user:token@…, ?token=…): never into a purl.
  for (const k of Object.keys(q)) q[k] = redactSecrets(q[k]!);
  const qualifiers = qualifiersOf(q);
  if (p.ecosystem === 'PyPI') return ['pypi', undefined, p.name, version || undefined, qualifiers, undefined];
  const scoped = /^(@[^/]+)\/(.+)$/.exec(p.name);
  return ['npm', scoped ? scoped[1]! : undefined, scoped ? scoped[2]! : p.name, version || undefined, qualifiers, undefined];
}

/**
 * pkg:docker/<namespace>/<name>@<digest, else tag>: the digest when pinned (the purl spec's version for an
 * image), the tag then as a qualifier; repository_url for registries other than Docker Hub.
 */
export function purlOfImage(img: ImageRef): string | undefined {
  const args = purlArgsOfImage(img);
  return args && packageUrl(...args);
}

export function purlArgsOfImage(img: ImageRef): PurlArgs | undefined {
  const parts = img.repository.split('/');
  const name = parts.pop()!;
  if (!name) return undefined; // built from a variable with no value here
  const namespace = parts.length ? parts.join('/') : undefined;
  const q: Record<string, string> = {};
  if (img.registry && img.registry !== 'docker.io') q.repository_url = img.registry;
  if (img.digest && img.tag) q.tag = img.tag;
  if (img.platform) q.platform = img.platform;
  return ['docker', namespace, name, img.digest ?? img.tag ?? 'latest', qualifiersOf(q), undefined];
}

/** pkg:github/<owner>/<repo>@<ref>, the action's sub-path as purl subpath. */
export function purlOfAction(a: ActionRef): string | undefined {
  const args = purlArgsOfAction(a);
  return args && packageUrl(...args);
}

export function purlArgsOfAction(a: ActionRef): PurlArgs | undefined {
  if (!a.owner || !a.repo) return undefined;
  return ['github', a.owner, a.repo, a.ref, undefined, a.path || undefined];
}

/** The purl types written here, and what packageurl-js's type rules (purl-type.js) do to their names. */
export type PurlType = 'pypi' | 'npm' | 'docker' | 'github';
const LOWER: Record<PurlType, boolean> = { pypi: true, npm: true, github: true, docker: false };

/** packageurl-js's normalizePath (normalize.js): leading slashes and empty segments dropped, `filter` on each segment. */
function normalizePath(pathname: string, filter?: (segment: string) => boolean): string {
  let collapsed = '';
  let start = 0;
  while (pathname.charCodeAt(start) === 47) start += 1;
  let next = pathname.indexOf('/', start);
  if (next === -1) return pathname.slice(start);
  while (next !== -1) {
    const segment = pathname.slice(start, next);
    if (filter === undefined || filter(segment)) collapsed = collapsed + (collapsed.length === 0 ? '' : '/') + segment;
    start = next + 1;
    while (pathname.charCodeAt(start) === 47) start += 1;
    next = pathname.indexOf('/', start);
  }
  const last = pathname.slice(start);
  if (last.length !== 0 && (filter === undefined || filter(last))) collapsed = `${collapsed}/${last}`;
  return collapsed;
}

/** packageurl-js's isBlank: only the whitespace code points it lists. */
const BLANK = /^[\u0020\u0009\u000a\u000b\u000c\u000d\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff]*$/;
const subpathSegment = (s: string): boolean => s !== '.' && s !== '..' && !BLANK.test(s);

/**
 * `new PackageURL(type, namespace, name, version, qualifiers, subpath).toString()` of packageurl-js 2.x for the
 * four types written here: the same trimming, path collapsing, lower-casing, `_` → `-` for PyPI, the same errors
 * (no name, a bad qualifier key, a lone surrogate) and the same percent-encoding. Written out because loading
 * packageurl-js (15 modules and an Intl.Collator made at load) cost ~8-15 ms of a ~100 ms `sbom` run, for
 * string work this small; packageurl-js stays the oracle: test/sbom/purl-equivalence.test.ts compares both on
 * every package, declaration, image and action of the corpus and on generated hostile input.
 */
export function packageUrl(type: PurlType, namespace: string | undefined, name: string, version: string | undefined, qualifiers: Record<string, string> | undefined, subpath: string | undefined): string {
  let ns = namespace ? normalizePath(namespace) : namespace;
  let nm = name ? name.trim() : name;
  if (nm === undefined || nm === null || nm === '') throw new Error('Invalid purl: "name" is a required component');
  const ver = version ? version.trim() : version;
  let q: Record<string, string> | undefined;
  if (qualifiers) {
    for (const [k, v] of Object.entries(qualifiers)) {
      const t = String(v).trim();
      if (t.length === 0) continue;
      q ??= Object.create(null) as Record<string, string>;
      q[k.toLowerCase()] = t;
    }
    for (const k of Object.keys(q ?? {})) if (!/^(?:[A-Za-z.\-_][0-9A-Za-z.\-_]*)?$/.test(k)) throw new Error(`Invalid purl: qualifier "${k}" contains an illegal character`);
  }
  const sub = subpath ? normalizePath(subpath, subpathSegment) : subpath;
  if (LOWER[type]) {
    if (typeof ns === 'string') ns = ns.toLowerCase();
    nm = nm.toLowerCase();
  }
  if (type === 'pypi') nm = nm.replaceAll('_', '-');
  let out = `pkg:${type}/`;
  if (ns) out += `${encodeURIComponent(ns).replace(/%3A/g, ':').replace(/%2F/g, '/')}/`;
  out += encodeURIComponent(nm);
  if (ver) out += `@${encodeURIComponent(ver).replace(/%3A/g, ':').replace(/%2B/g, '+')}`;
  if (q) {
    const params = new URLSearchParams();
    for (const k of Object.keys(q).sort()) params.set(k, q[k]!);
    out += `?${params.toString().replace(/\+/g, '%20')}`;
  }
  if (sub) out += `#${encodeURIComponent(sub).replace(/%2F/g, '/')}`;
  return out;
}
