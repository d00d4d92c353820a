import { PackageURL } from 'packageurl-js';
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
 * Package URLs (purl-spec) through packageurl-js, which applies the spec's per-type rules: PyPI names lower case
 * with `_` as `-` (dots stay: pkg:pypi/zope.interface), npm names lower case. Sources that are not the default
 * registry become qualifiers: vcs_url (git, with the resolved commit), download_url (a direct URL),
 * repository_url (another index or registry), file_name (a local path).
 */
export function purlOfLocked(p: LockedPackage): string | undefined {
  try {
    return purlOf(p, p.version);
  } catch {
    return undefined; // a name packageurl-js refuses (hostile lock): the component keeps its name only
  }
}

/** A declaration without a lock: the pinned version, or none (a range is no version). */
export function purlOfDeclared(d: Dependency, version: string): string | undefined {
  try {
    return purlOf(d, version);
  } catch {
    return undefined; // a name packageurl-js refuses (hostile manifest): the component keeps its name only
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

function purlOf(p: Pick<LockedPackage, 'ecosystem' | 'name' | 'source'>, version: string): string {
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
  if (p.ecosystem === 'PyPI') return new PackageURL('pypi', undefined, p.name, version || undefined, qualifiers, undefined).toString();
  const scoped = /^(@[^/]+)\/(.+)$/.exec(p.name);
  return new PackageURL('npm', scoped ? scoped[1]! : undefined, scoped ? scoped[2]! : p.name, version || undefined, qualifiers, undefined).toString();
}

/**
 * pkg:docker/<namespace>/<name>@<digest, else tag>: the digest when pinned (the purl spec's version for an
 * image), the tag then as a qualifier; repository_url for registries other than Docker Hub.
 */
export function purlOfImage(img: ImageRef): string | undefined {
  const parts = img.repository.split('/');
  const name = parts.pop()!;
  if (!name) return undefined; // built from a variable with no value here
  const namespace = parts.length ? parts.join('/') : undefined;
  const q: Record<string, string> = {};
  if (img.registry && img.registry !== 'docker.io') q.repository_url = img.registry;
  if (img.digest && img.tag) q.tag = img.tag;
  if (img.platform) q.platform = img.platform;
  return new PackageURL('docker', namespace, name, img.digest ?? img.tag ?? 'latest', qualifiersOf(q), undefined).toString();
}

/** pkg:github/<owner>/<repo>@<ref>, the action's sub-path as purl subpath. */
export function purlOfAction(a: ActionRef): string | undefined {
  if (!a.owner || !a.repo) return undefined;
  return new PackageURL('github', a.owner, a.repo, a.ref, undefined, a.path || undefined).toString();
}
