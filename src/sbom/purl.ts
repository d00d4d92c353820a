import { PackageURL } from 'packageurl-js';
import type { LockedPackage } from '../model/dependency.ts';
import type { ActionRef, ImageRef } from '../model/files.ts';

/**
 * Package URLs (purl-spec) through packageurl-js. PyPI names are PEP 503-normalised (the purl spec's pypi
 * rule: lower case, `_` as `-`); sources that are not the default registry become qualifiers.
 */
export function purlOfLocked(p: LockedPackage): string {
  const q: Record<string, string> = {};
  const s = p.source;
  if (s?.type === 'git') q.vcs_url = `git+${s.url}${s.resolvedReference ?? s.reference ? `@${s.resolvedReference ?? s.reference}` : ''}`;
  else if (s?.type === 'url') q.download_url = s.url;
  else if (s?.type === 'legacy' || (s?.type === 'registry' && s.url)) q.repository_url = s.url!;
  else if (s?.type === 'file' || s?.type === 'directory') q.file_name = s.path;
  if (p.ecosystem === 'PyPI') return new PackageURL('pypi', undefined, p.normalizedName, p.version || undefined, Object.keys(q).length ? q : undefined, undefined).toString();
  const scoped = /^(@[^/]+)\/(.+)$/.exec(p.name);
  return new PackageURL('npm', scoped ? scoped[1]! : undefined, scoped ? scoped[2]! : p.name, p.version || undefined, Object.keys(q).length ? q : undefined, undefined).toString();
}

/** pkg:docker/<namespace>/<name>@<digest or tag>, with repository_url for registries other than Docker Hub. */
export function purlOfImage(img: ImageRef): string | undefined {
  const parts = img.repository.split('/');
  const name = parts.pop()!;
  if (!name) return undefined; // built from a variable with no value here
  const namespace = parts.length ? parts.join('/') : undefined;
  const q: Record<string, string> = {};
  if (img.registry && img.registry !== 'docker.io') q.repository_url = img.registry;
  if (img.digest && img.tag) q.tag = img.tag;
  if (img.platform) q.platform = img.platform;
  return new PackageURL('docker', namespace, name, img.digest ?? img.tag ?? 'latest', Object.keys(q).length ? q : undefined, undefined).toString();
}

/** pkg:github/<owner>/<repo>@<ref>, the action's sub-path as purl subpath. */
export function purlOfAction(a: ActionRef): string | undefined {
  if (!a.owner || !a.repo) return undefined;
  return new PackageURL('github', a.owner, a.repo, a.ref, undefined, a.path || undefined).toString();
}
