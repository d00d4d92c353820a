import { createAuth, loadAuthFiles } from '../http/auth.ts';
import type { OpenCircuit } from '../http/breaker.ts';
import type { Deadlines } from '../http/client.ts';
import { HttpSession, parseJson, type SessionStats, statusError } from '../http/session.ts';
import type { PackageReleases } from '../model/update.ts';
import { GITHUB_API, GithubApi, type GithubRelease, type GithubReleases } from './github.ts';
import { NPM_REGISTRY, npmDeclaredLicense, npmRegistryFor, npmReleases } from './npm.ts';
import { type ManifestDigest, OciRegistry } from './oci.ts';
import { apiOf, type DeclaredLicense, type LockedIndex, PYPI, PYPI_JSON, type PypiIndex, pypiDeclaredLicense, pypiReleases } from './pypi.ts';

/**
 * The datasources of the update engine, behind one HTTP session (allow-list, retries, cache, concurrency, auth).
 *
 *   const ds = createDatasources({ allowHosts: ['pypi.org', 'registry.npmjs.org', ...], cacheDir });
 *   await ds.pypi('requests')                          // PyPI JSON API, or the configured indexes
 *   await ds.pypi('internal-lib', { indexes, source }) // a project's Poetry sources; `source` = the dependency's
 *   await ds.npm('@scope/name')                        // registry from .npmrc (scope, then registry=, then npmRegistry)
 *   await ds.ociTags('python')                         // docker.io/library/python; releases = version-like tags
 *   await ds.ociDigest('python', '3.12-slim')          // { digest: 'sha256:…', multiArch, mediaType }
 *   await ds.githubTags('actions', 'checkout')         // releases: { version: tag, digest: commit SHA }
 *   await ds.githubReleases('actions', 'checkout')     // releases with notes, notesUrl, releasedAt, prerelease
 *   await ds.githubTagCommit('actions', 'checkout', 'v4.2.2')      // commit SHA (annotated tags dereferenced)
 *   await ds.githubReleaseNotes('actions', 'checkout', 'v4.1.0', 'v4.2.2') // releases in (from, to]
 *   await ds.declaredLicense('PyPI', 'requests', '2.32.3')   // { expression?, text?, classifiers? }, undefined: no such release
 *   ds.stats()                                          // { requests, cacheHits, notModified }
 *
 * Every PackageReleases is sorted ascending by its ecosystem's order with unparseable versions left out.
 * A registry that does not have the package throws NotFoundError (./errors.ts); anything else that fails
 * (host not allowed, retries spent, 401, offline without a cached answer) throws HttpError with the URL redacted.
 * Tag versioning (`candidateTags`, `sortImageTags`, `parseImageTag`) is in src/versioning/tag.ts.
 */
export interface DatasourceOptions {
  /** Hosts that may be contacted (token realms such as auth.docker.io included). */
  allowHosts: string[];
  cacheDir?: string;
  /** Seconds a cached answer is used without asking the server again (default 0: always revalidate). */
  maxAgeSeconds?: number;
  /** Answer from the cache only. */
  offline?: boolean;
  /** Requests in flight at once (default 8). */
  concurrency?: number;
  /** Default process.env. Credentials (DEPWARDEN_AUTH_*, GITHUB_TOKEN) and ${VAR} in .npmrc come from here. */
  env?: NodeJS.ProcessEnv;
  /** .npmrc texts, project first then user; default: <projectDir>/.npmrc and the user's ~/.npmrc. */
  npmrcTexts?: string[];
  /** netrc text; default: $NETRC or ~/.netrc. */
  netrcText?: string;
  /** Where the project .npmrc is read from when npmrcTexts is not given. */
  projectDir?: string;
  retries?: number;
  backoffMs?: number;
  timeoutMs?: number;
  /** Connect / first-byte / total deadlines (src/http/client.ts; depwarden.yaml `http:`). */
  deadlines?: Partial<Deadlines>;
  pypi?: { indexes?: PypiIndex[] };
  /** The registry for packages .npmrc says nothing about (default https://registry.npmjs.org/). */
  npmRegistry?: string;
  /** Registry host → base URL ("docker.io" → "http://127.0.0.1:5000"); unmapped hosts are https://<host>. */
  oci?: Record<string, string>;
  /** Default https://api.github.com. */
  githubApi?: string;
  /** Clock for cache freshness and token expiry (tests). */
  now?: () => number;
}

export interface PypiLookup {
  /** The project's package indexes (Poetry sources); default: the datasources' `pypi.indexes`, else PyPI. */
  indexes?: PypiIndex[];
  /** The dependency's explicit source name (`source = "internal"`). */
  source?: string;
  /** The index the lock records for the package: asked alone; found only elsewhere is DW405 (IndexSelectionError). */
  locked?: LockedIndex;
  /** The package is meant to be on several of the indexes (no DW406; the first index answers). */
  multiIndex?: boolean;
}

export interface NpmLookup {
  /** .npmrc texts for this package, nearest first (the package's own directory, then the user's); default: the datasources' texts. */
  npmrcTexts?: string[];
}

export interface Datasources {
  pypi(name: string, opts?: PypiLookup): Promise<PackageReleases>;
  npm(name: string, opts?: NpmLookup): Promise<PackageReleases>;
  ociTags(image: string): Promise<PackageReleases & { allTags: string[] }>;
  ociDigest(image: string, tag: string): Promise<ManifestDigest>;
  githubTags(owner: string, repo: string): Promise<PackageReleases>;
  githubReleases(owner: string, repo: string): Promise<GithubReleases>;
  githubTagCommit(owner: string, repo: string, tag: string): Promise<string>;
  githubReleaseNotes(owner: string, repo: string, from: string, to: string): Promise<GithubRelease[]>;
  /**
   * A registry document as parsed JSON through the same session (allow-list, cache, retries, size cap): what
   * `provenance` reads besides releases (npm packuments' signatures, signing keys, attestation bundles, PyPI's
   * PEP 740 provenance). Undefined on 404/410; HttpError on anything else that is not 200.
   */
  json(url: string, opts?: { maxBytes?: number }): Promise<unknown>;
  /**
   * What the registry declares as one release's licence: PyPI's JSON API per-version document (the first configured
   * index with a JSON API; simple-API indexes carry no metadata), npm's packument (registry from .npmrc).
   * Undefined when the registry has no such release; HttpError when it cannot be asked (offline: not cached).
   */
  declaredLicense(ecosystem: 'PyPI' | 'npm', name: string, version: string, opts?: NpmLookup): Promise<DeclaredLicense | undefined>;
  stats(): SessionStats;
  /** Hosts the circuit breaker closed this run (DNS, refused, TLS, deadlines), with the first cause. */
  unreachable(): OpenCircuit[];
}

export function createDatasources(options: DatasourceOptions): Datasources {
  const env = options.env ?? process.env;
  const files = options.npmrcTexts === undefined || options.netrcText === undefined ? loadAuthFiles(env, options.projectDir) : undefined;
  const npmrcTexts = options.npmrcTexts ?? files!.npmrcTexts;
  const githubBase = options.githubApi ?? GITHUB_API;
  const auth = createAuth({ env, netrcText: options.netrcText ?? files!.netrcText, npmrcTexts, githubApiHosts: [new URL(githubBase).host] });
  const session = new HttpSession({
    allowHosts: options.allowHosts,
    auth,
    ...(options.cacheDir !== undefined ? { cacheDir: options.cacheDir } : {}),
    ...(options.maxAgeSeconds !== undefined ? { maxAgeSeconds: options.maxAgeSeconds } : {}),
    ...(options.offline !== undefined ? { offline: options.offline } : {}),
    ...(options.concurrency !== undefined ? { concurrency: options.concurrency } : {}),
    ...(options.retries !== undefined ? { retries: options.retries } : {}),
    ...(options.backoffMs !== undefined ? { backoffMs: options.backoffMs } : {}),
    ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
    ...(options.deadlines ? { deadlines: options.deadlines } : {}),
    ...(options.now ? { now: options.now } : {}),
  });
  const oci = new OciRegistry(session, options.oci ?? {});
  const github = new GithubApi(session, githubBase);
  const defaultIndexes = options.pypi?.indexes ?? [PYPI];
  return {
    pypi: (name, opts = {}) => pypiReleases(session, name, opts.indexes ?? defaultIndexes, { ...(opts.source ? { source: opts.source } : {}), ...(opts.locked ? { locked: opts.locked } : {}), ...(opts.multiIndex ? { multiIndex: true } : {}) }),
    npm: (name, opts = {}) => npmReleases(session, name, npmRegistryFor(name, opts.npmrcTexts ?? npmrcTexts, env, options.npmRegistry ?? NPM_REGISTRY)),
    ociTags: (image) => oci.tags(image),
    ociDigest: (image, tag) => oci.digest(image, tag),
    githubTags: (owner, repo) => github.tags(owner, repo),
    githubReleases: (owner, repo) => github.releases(owner, repo),
    githubTagCommit: (owner, repo, tag) => github.tagCommit(owner, repo, tag),
    githubReleaseNotes: (owner, repo, from, to) => github.releaseNotes(owner, repo, from, to),
    json: async (url, o = {}) => {
      const res = await session.request(url, { accept: 'application/json', ...(o.maxBytes ? { maxBytes: o.maxBytes } : {}) });
      if (res.status === 404 || res.status === 410) return undefined;
      if (res.status !== 200) throw statusError('GET', url, res.status);
      return parseJson(res.body, url);
    },
    declaredLicense: async (ecosystem, name, version, opts = {}) => {
      if (ecosystem === 'npm') return npmDeclaredLicense(session, name, npmRegistryFor(name, opts.npmrcTexts ?? npmrcTexts, env, options.npmRegistry ?? NPM_REGISTRY), version);
      const json = defaultIndexes.find((i) => apiOf(i) === 'json');
      return json ? pypiDeclaredLicense(session, json.url || PYPI_JSON, name, version) : undefined;
    },
    stats: () => session.stats(),
    unreachable: () => session.unreachable(),
  };
}

export { IndexSelectionError, NotFoundError } from './errors.ts';
export { parseImageName, type ManifestDigest } from './oci.ts';
export { type DeclaredLicense, type LockedIndex, normalizePypiName, type PypiIndex, type SourcePriority } from './pypi.ts';
export { npmRegistryFor } from './npm.ts';
export type { GithubRelease, GithubReleases } from './github.ts';
