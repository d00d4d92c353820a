import type { Config } from '../config/schema.ts';
import { httpOptions } from '../config/sections/http.ts';
import { createDatasources, type Datasources, type PypiIndex } from '../datasources/index.ts';
import type { PackageReleases } from '../model/update.ts';
import type { Candidate } from './candidates.ts';
import type { ReleaseLookup } from './lookup.ts';

/**
 * The update engine's questions answered by the real datasources: PyPI (with the project's Poetry sources and
 * their priorities), npm (with .npmrc), OCI registries and GitHub. Only the hosts of configured URLs are reached.
 */
export function registryHosts(cfg: Config['updates']): string[] {
  const urls = [cfg.registries.pypi, cfg.registries.npm, cfg.registries.github, ...Object.values(cfg.registries.oci)];
  const hosts = new Set(cfg.registries.allowHosts);
  for (const u of urls) hosts.add(new URL(u).hostname);
  for (const h of Object.keys(cfg.registries.oci)) hosts.add(h);
  // Docker Hub hands out tokens from its own host.
  if (Object.values(cfg.registries.oci).some((u) => new URL(u).hostname === 'registry-1.docker.io')) hosts.add('auth.docker.io');
  return [...hosts].sort();
}

export interface LookupOptions {
  cacheDir?: string;
  offline?: boolean;
  env?: NodeJS.ProcessEnv;
  projectDir?: string;
  /** Extra hosts: the Poetry sources a project declares. */
  extraHosts?: string[];
  retries?: number;
  backoffMs?: number;
}

export function registryLookup(config: Config, opts: LookupOptions = {}): { lookup: ReleaseLookup; datasources: Datasources } {
  const cfg = config.updates;
  const ds = createDatasources({
    ...httpOptions(config.http),
    allowHosts: [...new Set([...registryHosts(cfg), ...(opts.extraHosts ?? [])])],
    ...(opts.cacheDir ? { cacheDir: opts.cacheDir } : {}),
    maxAgeSeconds: cfg.cache.maxAgeMinutes * 60,
    ...(opts.offline ? { offline: true } : {}),
    concurrency: cfg.concurrency,
    ...(opts.env ? { env: opts.env } : {}),
    ...(opts.projectDir ? { projectDir: opts.projectDir } : {}),
    ...(opts.retries !== undefined ? { retries: opts.retries } : {}),
    ...(opts.backoffMs !== undefined ? { backoffMs: opts.backoffMs } : {}),
    pypi: { indexes: [{ name: 'PyPI', url: cfg.registries.pypi, priority: 'primary', api: 'json' }] },
    npmRegistry: cfg.registries.npm,
    oci: cfg.registries.oci,
    githubApi: cfg.registries.github,
  });
  const lookup: ReleaseLookup = {
    async releases(c: Candidate): Promise<PackageReleases> {
      switch (c.ecosystem) {
        case 'PyPI': {
          const bad = c.sources?.find((s) => s.url && !URL.canParse(s.url));
          if (bad) throw new Error(`the Poetry source "${bad.name}" (${bad.span.file}:${bad.span.line}) has an invalid URL`);
          const indexes: PypiIndex[] | undefined = c.sources?.filter((s) => s.url).map((s) => ({ name: s.name, url: s.url!, ...(s.priority ? { priority: s.priority as PypiIndex['priority'] } : {}), api: 'simple' as const }));
          const pypi: PypiIndex = { name: 'PyPI', url: cfg.registries.pypi, priority: 'primary', api: 'json' };
          return ds.pypi(c.name, { ...(indexes?.length ? { indexes: [...indexes, ...(indexes.some((i) => i.priority === 'default' || i.priority === 'primary' || i.priority === undefined) ? [] : [pypi])] } : {}), ...(c.dependency?.sourceName ? { source: c.dependency.sourceName } : {}) });
        }
        case 'npm':
          return ds.npm(c.dependency?.name ?? c.name);
        case 'docker': {
          const r = await ds.ociTags(c.name);
          // Every tag, not only the version-like ones: the current tag's own kind decides what compares.
          return { ...r, releases: r.allTags.map((t) => ({ version: t })) };
        }
        case 'github-actions': {
          const [owner, repo] = c.name.split('/') as [string, string];
          const tags = await ds.githubTags(owner, repo);
          // Release dates and notes come from releases; an action without releases still has its tags.
          const rels = await ds.githubReleases(owner, repo).catch(() => undefined);
          const byTag = new Map((rels?.releases ?? []).map((r) => [r.version, r]));
          return { ...tags, releases: tags.releases.map((t) => ({ ...byTag.get(t.version), ...t, ...(byTag.get(t.version)?.releasedAt ? { releasedAt: byTag.get(t.version)!.releasedAt } : {}) })) };
        }
      }
    },
    async digest(c: Candidate, tag: string): Promise<string | undefined> {
      if (c.ecosystem === 'docker') return (await ds.ociDigest(c.name, tag)).digest;
      if (c.ecosystem === 'github-actions') {
        const [owner, repo] = c.name.split('/') as [string, string];
        return ds.githubTagCommit(owner, repo, tag);
      }
      return undefined;
    },
  };
  return { lookup, datasources: ds };
}
