import { createHash } from 'node:crypto';
import { sortImageTags } from '../versioning/tag.ts';
import { HttpError, redact } from '../http/client.ts';
import { type HttpResponse, type HttpSession, type RequestOptions, parseJson, statusError } from '../http/session.ts';
import type { PackageReleases } from '../model/update.ts';
import { NotFoundError } from './errors.ts';

/**
 * OCI / Docker registries through the distribution API: the tags of a repository (`/v2/<repo>/tags/list`, pages
 * followed through `Link: <...>; rel="next"`), and the digest a tag points to (`HEAD`, then `GET` when the
 * registry sends no `Docker-Content-Digest`, hashing the body). Registries that want a token answer 401 with
 * `WWW-Authenticate: Bearer realm=...,service=...,scope=...`: the token comes from the realm (with the registry's
 * credentials from auth.ts as Basic, if any), is kept per scope for its `expires_in`, and the request is repeated.
 */
export const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

export interface ImageName {
  /** Registry host as written ("docker.io" for Docker Hub names). */
  host: string;
  /** Repository path in that registry ("library/python"). */
  repository: string;
}

/** "python" → docker.io library/python; "ghcr.io/o/r:tag@sha256:..." → ghcr.io o/r (tag and digest dropped). */
export function parseImageName(image: string): ImageName {
  let s = image.trim().replace(/@sha256:[0-9a-f]+$/i, '');
  const lastSlash = s.lastIndexOf('/');
  const colon = s.lastIndexOf(':');
  if (colon > lastSlash) s = s.slice(0, colon);
  const parts = s.split('/');
  const first = parts[0]!;
  const isHost = parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const host = isHost ? first : DOCKER_HUB;
  let repository = (isHost ? parts.slice(1) : parts).join('/');
  if (DOCKER_HUB_ALIASES.has(host) && !repository.includes('/')) repository = `library/${repository}`;
  return { host: DOCKER_HUB_ALIASES.has(host) ? DOCKER_HUB : host, repository: repository.toLowerCase() };
}

/** The base URL of a registry: the caller's map first (tests map docker.io to 127.0.0.1), then the real one. */
export function registryBase(host: string, registries: Record<string, string> = {}): string {
  const mapped = registries[host] ?? (host === DOCKER_HUB ? (registries['registry-1.docker.io'] ?? 'https://registry-1.docker.io') : undefined);
  return (mapped ?? `https://${host}`).replace(/\/+$/, '');
}

// ---- the registry API -------------------------------------------------------------------------------------------

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');
const INDEX_TYPES = new Set(['application/vnd.oci.image.index.v1+json', 'application/vnd.docker.distribution.manifest.list.v2+json']);

export interface ManifestDigest {
  /** "sha256:<hex>" */
  digest: string;
  /** The tag names a multi-arch index (manifest list), not one platform's manifest. */
  multiArch: boolean;
  mediaType?: string;
}

/** `Bearer realm="...",service="...",scope="..."` → scheme and parameters. */
export function parseChallenge(header: string): { scheme: string; params: Record<string, string> } {
  const m = /^\s*(\w+)\s*(.*)$/.exec(header) ?? [];
  const params: Record<string, string> = {};
  for (const p of (m[2] ?? '').matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) params[p[1]!.toLowerCase()] = (p[2] ?? p[3] ?? '').replace(/\\(.)/g, '$1');
  return { scheme: (m[1] ?? '').toLowerCase(), params };
}

export class OciRegistry {
  private readonly session: HttpSession;
  private readonly registries: Record<string, string>;
  /** Tokens per realm + service + scope, until they expire. */
  private readonly tokens = new Map<string, { header: string; expiresAt: number }>();
  /** The token key a repository last needed, so the next request carries the token up front. */
  private readonly repoTokenKey = new Map<string, string>();

  constructor(session: HttpSession, registries: Record<string, string> = {}) {
    this.session = session;
    this.registries = registries;
  }

  private now(): number {
    return (this.session.options.now ?? Date.now)();
  }

  private cachedToken(key: string | undefined): string | undefined {
    const t = key ? this.tokens.get(key) : undefined;
    return t && t.expiresAt > this.now() ? t.header : undefined;
  }

  /** One registry request with the token flow: a 401 Bearer challenge → token from the realm → the same request again. */
  private async send(host: string, base: string, repository: string, url: string, opts: RequestOptions): Promise<HttpResponse> {
    const repoKey = `${base} ${repository}`;
    // Credentials of the URL asked, else of the registry's own name (DEPWARDEN_AUTH_DOCKER_IO for Docker Hub).
    const credentials = this.session.authorizationFor(base) ?? this.session.authorizationFor(`https://${host}/`);
    const known = this.cachedToken(this.repoTokenKey.get(repoKey));
    const first = await this.session.request(url, { ...opts, authorization: known ?? credentials ?? null });
    if (first.status !== 401) return first;
    const challenge = parseChallenge(first.headers['www-authenticate'] ?? '');
    if (challenge.scheme !== 'bearer' || !challenge.params.realm) {
      throw new HttpError(`${redact(url)}: HTTP 401 (${credentials ? 'the configured credentials were refused' : `no credentials configured for ${new URL(base).host}`})`, 401);
    }
    const scope = challenge.params.scope ?? `repository:${repository}:pull`;
    const key = `${challenge.params.realm} ${challenge.params.service ?? ''} ${scope}`;
    const token = this.cachedToken(key) ?? (await this.fetchToken(challenge.params.realm, challenge.params.service, scope, credentials, key));
    this.repoTokenKey.set(repoKey, key);
    const again = await this.session.request(url, { ...opts, authorization: token });
    if (again.status === 401) throw new HttpError(`${redact(url)}: HTTP 401 even with a token from ${redact(challenge.params.realm)}`, 401);
    return again;
  }

  private async fetchToken(realm: string, service: string | undefined, scope: string, credentials: string | undefined, key: string): Promise<string> {
    const u = new URL(realm);
    if (service) u.searchParams.set('service', service);
    u.searchParams.set('scope', scope);
    const res = await this.session.request(u.toString(), { accept: 'application/json', cache: false, authorization: credentials ?? this.session.authorizationFor(realm) ?? null });
    if (res.status !== 200) throw statusError('GET', realm, res.status);
    const body = parseJson<{ token?: string; access_token?: string; expires_in?: number }>(res.body, realm);
    const token = body.token ?? body.access_token;
    if (!token) throw new HttpError(`the token endpoint ${redact(realm)} answered without a token`);
    const header = `Bearer ${token}`;
    // Renew a little early so a token does not expire between the check and the request.
    this.tokens.set(key, { header, expiresAt: this.now() + Math.max(0, (body.expires_in ?? 60) - 5) * 1000 });
    return header;
  }

  /** All tags of an image, pages followed; releases are the version-like tags in `sortImageTags` order. */
  async tags(image: string): Promise<PackageReleases & { allTags: string[] }> {
    const { host, repository } = parseImageName(image);
    const base = registryBase(host, this.registries);
    const all: string[] = [];
    let url: string | undefined = `${base}/v2/${repository}/tags/list?n=1000`;
    for (let page = 0; url && page < 500; page++) {
      const res = await this.send(host, base, repository, url, { accept: 'application/json' });
      if (res.status === 404) throw new NotFoundError('oci', image, `${host}/${repository} was not found in the registry ${redact(base)}`);
      if (res.status !== 200) throw statusError('GET', url, res.status);
      all.push(...(parseJson<{ tags?: string[] | null }>(res.body, url).tags ?? []));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(res.headers.link ?? '');
      url = next ? new URL(next[1]!, url).toString() : undefined;
    }
    const unique = [...new Set(all)];
    return { datasource: 'oci', name: repository, registry: redact(base), releases: sortImageTags(unique).map((version) => ({ version })), allTags: unique };
  }

  /** The digest `tag` points to now, and whether it is a multi-arch index. */
  async digest(image: string, tag: string): Promise<ManifestDigest> {
    const { host, repository } = parseImageName(image);
    const base = registryBase(host, this.registries);
    const url = `${base}/v2/${repository}/manifests/${encodeURIComponent(tag)}`;
    const head = await this.send(host, base, repository, url, { method: 'HEAD', accept: MANIFEST_ACCEPT });
    if (head.status === 404) throw new NotFoundError('oci', `${image}:${tag}`, `${host}/${repository}:${tag} was not found in the registry ${redact(base)}`);
    const type = (r: HttpResponse): string | undefined => r.headers['content-type']?.split(';')[0]?.trim() || undefined;
    const headDigest = head.headers['docker-content-digest'];
    if (head.status === 200 && headDigest) {
      const mediaType = type(head);
      return { digest: headDigest, multiArch: mediaType !== undefined && INDEX_TYPES.has(mediaType), ...(mediaType ? { mediaType } : {}) };
    }
    const res = await this.send(host, base, repository, url, { accept: MANIFEST_ACCEPT });
    if (res.status === 404) throw new NotFoundError('oci', `${image}:${tag}`, `${host}/${repository}:${tag} was not found in the registry ${redact(base)}`);
    if (res.status !== 200) throw statusError('GET', url, res.status);
    const doc = parseJson<{ mediaType?: string; manifests?: unknown[] }>(res.body, url);
    const mediaType = type(res) ?? doc.mediaType;
    // Without the header, the digest is the sha256 of the manifest bytes exactly as served.
    const digest = res.headers['docker-content-digest'] ?? `sha256:${createHash('sha256').update(res.body).digest('hex')}`;
    return { digest, multiArch: (mediaType !== undefined && INDEX_TYPES.has(mediaType)) || Array.isArray(doc.manifests), ...(mediaType ? { mediaType } : {}) };
  }
}
