import semver from 'semver';
import { npmrcAuthFor, parseNpmrc } from '../http/auth.ts';
import { redact } from '../http/client.ts';
import { type HttpSession, parseJson, statusError } from '../http/session.ts';
import type { PackageReleases, Release } from '../model/update.ts';
import { NotFoundError } from './errors.ts';
import type { DeclaredLicense } from './pypi.ts';

/**
 * The npm registry: full packuments (`<registry>/<name>`, scoped names as `@scope%2fname`). The abbreviated
 * "corgi" document (Accept: application/vnd.npm.install-v1+json) has no `time` and no `repository`, and both are
 * needed (release age, cooldown, changelog links), so the full document is asked for.
 */
export const NPM_REGISTRY = 'https://registry.npmjs.org/';

export interface NpmRegistryChoice {
  /** Registry base URL, ending in "/". */
  registry: string;
  /** Authorization header value from .npmrc for that registry, when there is one. */
  authorization?: string;
}

const withSlash = (u: string): string => (u.endsWith('/') ? u : `${u}/`);

/**
 * Which registry npm would use for a package, and its credentials. `npmrcTexts` in precedence order: the project's
 * .npmrc first, then the user's ~/.npmrc (npm's order: project config overrides user config); the first text
 * setting a key wins. `@scope:registry` applies to that scope's packages, then `registry`, then `fallback`
 * (default https://registry.npmjs.org/). Auth comes from the `//host/path/:` keys of the chosen registry.
 */
export function npmRegistryFor(name: string, npmrcTexts: string[], env: NodeJS.ProcessEnv = {}, fallback: string = NPM_REGISTRY): NpmRegistryChoice {
  const rcs = npmrcTexts.map((t) => parseNpmrc(t, env));
  const get = (key: string): string | undefined => rcs.find((rc) => rc.has(key))?.get(key);
  const scope = name.startsWith('@') ? name.slice(0, name.indexOf('/')) : undefined;
  const registry = withSlash((scope && get(`${scope}:registry`)) || get('registry') || fallback);
  const authorization = npmrcAuthFor(registry, rcs);
  return { registry, ...(authorization ? { authorization } : {}) };
}

/** `<registry>/<name>` with the scope's "/" encoded, as the registry routes it. */
export function packumentUrl(registry: string, name: string): string {
  return `${withSlash(registry)}${name.startsWith('@') ? name.replace('/', '%2f') : encodeURIComponent(name)}`;
}

interface Packument {
  name?: string;
  'dist-tags'?: Record<string, string>;
  versions?: Record<string, { license?: unknown; licenses?: unknown; deprecated?: string | boolean; dependencies?: Record<string, unknown>; peerDependencies?: Record<string, unknown>; dist?: { tarball?: string; integrity?: string; shasum?: string }; repository?: Packument['repository'] }>;
  time?: Record<string, string>;
  repository?: string | { type?: string; url?: string; directory?: string };
  homepage?: string;
}

/** "sha512-<base64> sha1-<base64>" SRI and the legacy sha1 shasum → "sha512:<hex>", "sha1:<hex>", sorted. */
export function npmHashes(integrity: string | undefined, shasum: string | undefined): string[] {
  const out = new Set<string>();
  for (const part of (integrity ?? '').split(/\s+/).filter(Boolean)) {
    const m = /^(sha\d+)-([A-Za-z0-9+/=]+)(\?.*)?$/.exec(part);
    if (m) out.add(`${m[1]}:${Buffer.from(m[2]!, 'base64').toString('hex')}`);
  }
  if (shasum && /^[0-9a-f]{40}$/i.test(shasum)) out.add(`sha1:${shasum.toLowerCase()}`);
  return [...out].sort();
}

/** "git+https://github.com/o/r.git" and "github:o/r" shorthands → a browsable https URL. */
export function repositoryUrl(repo: Packument['repository']): string | undefined {
  const raw = typeof repo === 'string' ? repo : repo?.url;
  if (!raw) return undefined;
  const short = /^(?:(github|gitlab|bitbucket):)?([\w.-]+\/[\w.-]+)$/.exec(raw);
  if (short) return `https://${short[1] === 'gitlab' ? 'gitlab.com' : short[1] === 'bitbucket' ? 'bitbucket.org' : 'github.com'}/${short[2]}`;
  return raw
    .replace(/^git\+/, '')
    .replace(/^git:\/\//, 'https://')
    .replace(/^ssh:\/\/git@/, 'https://')
    .replace(/^git@([^:]+):/, 'https://$1/')
    .replace(/\.git$/, '');
}

/** Registry times ("2016-03-23T02:11:45.503Z", mirrors' "+00:00" offsets) as one ISO 8601 form. */
function isoTime(t: string | undefined): string | undefined {
  const ms = t ? Date.parse(t) : NaN;
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function parsePackument(doc: Packument, registry: string): PackageReleases {
  const releases: Release[] = [];
  for (const [version, meta] of Object.entries(doc.versions ?? {})) {
    if (!semver.valid(version)) continue;
    const tarball = meta.dist?.tarball;
    const hashes = npmHashes(meta.dist?.integrity, meta.dist?.shasum);
    const deprecated = typeof meta.deprecated === 'string' && meta.deprecated ? meta.deprecated : undefined;
    const peers = Object.entries(meta.peerDependencies ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
    const deps = Object.entries(meta.dependencies ?? {}).filter((e): e is [string, string] => typeof e[1] === 'string');
    releases.push({
      version,
      ...(isoTime(doc.time?.[version]) ? { releasedAt: isoTime(doc.time?.[version])! } : {}),
      ...(deprecated ? { deprecated } : {}),
      ...(peers.length ? { peerDependencies: Object.fromEntries(peers) } : {}),
      ...(deps.length ? { dependencies: Object.fromEntries(deps) } : {}),
      ...(tarball ? { files: [{ filename: decodeURIComponent(tarball.replace(/[?#].*$/, '').split('/').pop() ?? ''), url: tarball, hashes }] } : {}),
    });
  }
  releases.sort((a, b) => semver.compare(a.version, b.version));
  // Some registries (mirrors) serve no top-level `repository`: the latest version's own field says the same.
  const latest = doc['dist-tags']?.latest;
  const sourceUrl = repositoryUrl(doc.repository ?? (latest ? doc.versions?.[latest]?.repository : undefined));
  return {
    datasource: 'npm',
    name: doc.name ?? '',
    registry: redact(registry),
    releases,
    ...(doc['dist-tags']?.latest ? { latestTag: doc['dist-tags'].latest } : {}),
    ...(doc.homepage ? { homepage: doc.homepage } : {}),
    ...(sourceUrl ? { sourceUrl } : {}),
  };
}

export async function npmReleases(session: HttpSession, name: string, choice: NpmRegistryChoice): Promise<PackageReleases> {
  const url = packumentUrl(choice.registry, name);
  const res = await session.request(url, { accept: 'application/json', ...(choice.authorization ? { authorization: choice.authorization } : {}) });
  if (res.status === 404) throw new NotFoundError('npm', name, `${name} was not found in the npm registry ${redact(choice.registry)}`);
  if (res.status !== 200) throw statusError('GET', url, res.status);
  return parsePackument(parseJson(res.body, url), choice.registry);
}

/**
 * The licence a packument declares for one version: `license` (an SPDX expression, or the legacy `{ type }`
 * object), else the legacy `licenses: [{ type }]` list. Undefined when the version is not in the packument.
 */
export function declaredLicenseOfPackument(doc: Packument, version: string): DeclaredLicense | undefined {
  const meta = doc.versions?.[version];
  if (!meta) return undefined;
  const typeOf = (l: unknown): string | undefined => (typeof l === 'string' ? l.trim() || undefined : l && typeof l === 'object' && typeof (l as { type?: unknown }).type === 'string' ? (l as { type: string }).type.trim() || undefined : undefined);
  const one = typeOf(meta.license);
  if (one) return { text: one };
  const list = (Array.isArray(meta.licenses) ? meta.licenses : meta.licenses ? [meta.licenses] : []).map(typeOf).filter((t): t is string => !!t);
  return list.length ? { text: list.length === 1 ? list[0]! : list } : {};
}

/** The licence the registry declares for one version (the full packument, which `npmReleases` caches too). */
export async function npmDeclaredLicense(session: HttpSession, name: string, choice: NpmRegistryChoice, version: string): Promise<DeclaredLicense | undefined> {
  const url = packumentUrl(choice.registry, name);
  const res = await session.request(url, { accept: 'application/json', ...(choice.authorization ? { authorization: choice.authorization } : {}) });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw statusError('GET', url, res.status);
  return declaredLicenseOfPackument(parseJson(res.body, url), version);
}

/**
 * The public npm registry under its names. npm rewrites `resolved` URLs of these hosts to the configured
 * registry when it installs (`replace-registry-host`, default "npmjs"), so a lock naming them says nothing about
 * where a package must come from; any other host in `resolved` is a registry the package was taken from.
 */
export const PUBLIC_NPM_HOSTS = ['registry.npmjs.org', 'registry.yarnpkg.com', 'registry.npmjs.com'];

/**
 * The lock's `resolved` points at a registry other than the one the package is looked up on now (and not the
 * public registry, see PUBLIC_NPM_HOSTS): the package the project locked is not the one the lookup sees.
 */
export function lockedElsewhere(resolved: string, registry: string): boolean {
  if (!URL.canParse(resolved) || !URL.canParse(registry)) return false;
  const from = new URL(resolved).host.toLowerCase();
  return !PUBLIC_NPM_HOSTS.includes(new URL(resolved).hostname.toLowerCase()) && from !== new URL(registry).host.toLowerCase();
}

/** Registry URLs an .npmrc text declares (`registry=` and `@scope:registry=`). */
export function npmrcRegistries(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  return [...parseNpmrc(text, env)].filter(([k]) => k === 'registry' || /^@[^:]+:registry$/.test(k)).map(([, v]) => v);
}
