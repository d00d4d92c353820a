import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Config } from '../config/schema.ts';
import { httpOptions } from '../config/sections/http.ts';
import { createDatasources, type Datasources, IndexSelectionError, normalizePypiName, npmRegistryFor, type PypiIndex } from '../datasources/index.ts';
import { lockedElsewhere, npmrcRegistries } from '../datasources/npm.ts';
import { applyRequirementsOptions, expandPipVars, isIndexOption, loadPipConfTexts, pipBaseSettings, type PipIndexSettings, pipIndexes } from '../datasources/python-indexes.ts';
import { loadAuthFiles } from '../http/auth.ts';
import { redact } from '../http/client.ts';
import type { Inventory } from '../model/inventory.ts';
import { compareVersions, isValidVersion } from '../versioning/pep440.ts';
import type { PackageReleases } from '../model/update.ts';
import type { Candidate } from './candidates.ts';
import type { ReleaseLookup } from './lookup.ts';

/**
 * The update engine's questions answered by the real datasources: PyPI (with the project's Poetry sources and
 * their priorities, or the indexes pip would use for a requirements file), npm (with .npmrc, the package's own
 * directory first), OCI registries and GitHub. Only configured and declared hosts are reached.
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
  /** The repository's inventory: the indexes it declares become allowed hosts (see declaredIndexHosts). */
  inventory?: Inventory;
  /** Extra hosts. */
  extraHosts?: string[];
  retries?: number;
  backoffMs?: number;
}

const hostOf = (u: string): string[] => (URL.canParse(u) && /^https?:$/.test(new URL(u).protocol) ? [new URL(u).hostname] : []);

function readIf(file: string): string | undefined {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

const pep440Equal = (a: string, b: string): boolean => isValidVersion(a) && isValidVersion(b) && compareVersions(a, b) === 0;

const npmProjectDir = (file: string): string => path.posix.dirname(file);

/** The user's .npmrc (the project's are read per package directory). */
function userNpmrc(env: NodeJS.ProcessEnv): string[] {
  return loadAuthFiles(env, undefined).npmrcTexts;
}

/**
 * Hosts the project and its environment declare as package indexes, which lookups may reach like the configured
 * registries: Poetry sources, requirements `--index-url`/`--extra-index-url`/`--find-links`, pip.conf and PIP_*
 * variables, and `registry=`/`@scope:registry=` of the .npmrc files next to package.json files and the user's.
 * A URL that does not parse adds no host (its lookups fail and are reported per dependency).
 */
export function declaredIndexHosts(inv: Inventory, base: PipIndexSettings, env: NodeJS.ProcessEnv): string[] {
  const hosts = new Set<string>();
  const add = (u: string | undefined): void => void (u && hostOf(u).forEach((h) => hosts.add(h)));
  const pythonSeen = [...inv.files.values()].some((f) => f.kind === 'requirements');
  if (pythonSeen) [base.indexUrl, ...base.extraIndexUrls, ...base.findLinks].forEach(add);
  for (const [file, f] of inv.files) {
    if (f.kind === 'pyproject') f.sources.forEach((s) => add(s.url));
    if (f.kind === 'requirements') f.options.filter((o) => isIndexOption(o.name)).forEach((o) => add(o.value && expandPipVars(o.value, env)));
    if (f.kind === 'package-json' || f.kind === 'package-lock') {
      const text = readIf(path.join(inv.root, npmProjectDir(file), '.npmrc'));
      if (text) npmrcRegistries(text, env).forEach(add);
    }
  }
  for (const t of userNpmrc(env)) npmrcRegistries(t, env).forEach(add);
  return [...hosts].sort();
}

/**
 * A hashed requirements file is a lock of file hashes. If the index that answers publishes the pinned version with
 * sha256 hashes of which none is pinned, the file was locked from another index: the same name here is another
 * package (DW405). A version the index does not publish, or publishes without hashes, proves nothing.
 */
export function checkPinnedHashes(c: Candidate, r: PackageReleases): void {
  if (!c.pinnedHashes || !c.current) return;
  const rel = r.releases.find((x) => x.version === c.current) ?? r.releases.find((x) => pep440Equal(x.version, c.current!));
  const served = new Set((rel?.files ?? []).flatMap((f) => f.hashes.filter((h) => h.startsWith('sha256:'))));
  if (served.size === 0 || c.pinnedHashes.hashes.some((h) => served.has(h))) return;
  throw new IndexSelectionError(
    'DW405',
    c.name,
    `${c.displayName} ${c.current} on ${r.registry} has none of the ${c.pinnedHashes.hashes.length} file hash(es) ${c.pinnedHashes.file} pins: the file was locked from another index, and the package of that name here is another one (possible dependency confusion); no update proposed`,
  );
}

export function registryLookup(config: Config, opts: LookupOptions = {}): { lookup: ReleaseLookup; datasources: Datasources } {
  const cfg = config.updates;
  const env = opts.env ?? process.env;
  const pipBase = pipBaseSettings(loadPipConfTexts(env, opts.projectDir ?? opts.inventory?.root), env);
  const declared = opts.inventory ? declaredIndexHosts(opts.inventory, pipBase, env) : [];
  const ds = createDatasources({
    ...httpOptions(config.http),
    allowHosts: [...new Set([...registryHosts(cfg), ...declared, ...(opts.extraHosts ?? [])])],
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
  const root = opts.inventory?.root ?? opts.projectDir;
  // `?? []`: without a depwarden.yaml the defaults come from the generated schema/depwarden.defaults.json, which
  // may predate the option.
  const multiIndex = new Set((cfg.registries.multiIndex ?? []).map(normalizePypiName));
  const npmrcFor = (c: Candidate): string[] | undefined => {
    if (!root) return undefined;
    // npm reads the .npmrc of the project it runs in (where the lock is, a workspace's root; else the
    // package.json's directory), then the user's. Not a parent's: npm would not read it there either.
    const own = readIf(path.join(root, npmProjectDir(c.unit?.lock ?? c.file), '.npmrc'));
    return [...(own !== undefined ? [own] : []), ...userNpmrc(env)];
  };
  const lookup: ReleaseLookup = {
    vet: checkPinnedHashes,
    routeKey(c: Candidate): string {
      const locked = c.locked && (c.locked.url ?? 'PyPI');
      if (c.ecosystem === 'npm') {
        const texts = npmrcFor(c);
        return JSON.stringify([npmRegistryFor(c.dependency?.name ?? c.name, texts ?? [], env, cfg.registries.npm).registry, texts === undefined, c.locked?.url && URL.canParse(c.locked.url) && new URL(c.locked.url).host]);
      }
      if (c.ecosystem === 'PyPI' && c.pipOptions) return JSON.stringify(pipIndexes(applyRequirementsOptions(pipBase, c.pipOptions, env), cfg.registries.pypi));
      return JSON.stringify([c.sources?.map((s) => [s.name, s.url, s.priority]), locked]);
    },
    async releases(c: Candidate): Promise<PackageReleases> {
      switch (c.ecosystem) {
        case 'PyPI': {
          if (c.pipOptions) {
            const indexes = pipIndexes(applyRequirementsOptions(pipBase, c.pipOptions, env), cfg.registries.pypi);
            const bad = indexes.find((i) => !URL.canParse(i.url));
            if (bad) throw new Error(`the ${bad.name} "${redact(bad.url)}" that applies to ${c.file} is not a URL`);
            if (indexes.length === 0) throw new Error(`${c.file}: --no-index and no http(s) --find-links page: there is no index to look ${c.displayName} up in`);
            return ds.pypi(c.name, { indexes, ...(multiIndex.has(c.name) ? { multiIndex: true } : {}) });
          }
          const bad = c.sources?.find((s) => s.url && !URL.canParse(s.url));
          if (bad) throw new Error(`the Poetry source "${bad.name}" (${bad.span.file}:${bad.span.line}) has an invalid URL`);
          const indexes: PypiIndex[] | undefined = c.sources?.filter((s) => s.url).map((s) => ({ name: s.name, url: s.url!, ...(s.priority ? { priority: s.priority as PypiIndex['priority'] } : {}), api: 'simple' as const }));
          const pypi: PypiIndex = { name: 'PyPI', url: cfg.registries.pypi, priority: 'primary', api: 'json' };
          return ds.pypi(c.name, {
            ...(indexes?.length ? { indexes: [...indexes, ...(indexes.some((i) => i.priority === 'default' || i.priority === 'primary' || i.priority === undefined) ? [] : [pypi])] } : {}),
            ...(c.dependency?.sourceName ? { source: c.dependency.sourceName } : {}),
            ...(c.locked ? { locked: c.locked } : {}),
            ...(multiIndex.has(c.name) ? { multiIndex: true } : {}),
          });
        }
        case 'npm': {
          const npmrcTexts = npmrcFor(c);
          const r = await ds.npm(c.dependency?.name ?? c.name, npmrcTexts ? { npmrcTexts } : {});
          if (c.locked?.url && lockedElsewhere(c.locked.url, r.registry))
            throw new IndexSelectionError(
              'DW405',
              c.name,
              `${c.displayName} is found on ${r.registry}, but ${c.locked.file} resolved it from ${redact(new URL(c.locked.url).origin)}/, which no .npmrc routes it to: possible dependency confusion, no update proposed`,
            );
          return r;
        }
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
