import pLimit from 'p-limit';
import { IndexSelectionError } from '../datasources/errors.ts';
import type { UpdatesConfig } from '../config/sections/updates.ts';
import { UnreachableError } from '../http/breaker.ts';
import { HttpError } from '../http/client.ts';
import type { OutdatedEntry, PackageReleases } from '../model/update.ts';
import type { Candidate } from './candidates.ts';
import { evaluateCandidate } from './outdated.ts';

/**
 * What planning needs from the registries, whatever they are: the releases of a candidate and the digest of a
 * tag. `src/updates/registry-lookup.ts` answers it from the datasources; tests may answer from memory.
 */
export interface ReleaseLookup {
  releases(c: Candidate): Promise<PackageReleases>;
  digest(c: Candidate, tag: string): Promise<string | undefined>;
  /** Checks one candidate against a (shared) answer; throws (IndexSelectionError) when the answer must not be used for it. */
  vet?(c: Candidate, rel: PackageReleases): void;
  /** Where `releases(c)` looks (indexes, registry, locked source): candidates with equal keys and names share one lookup. */
  routeKey?(c: Candidate): string;
}

export interface LookupFailure {
  service: string;
  file: string;
  name: string;
  message: string;
  /** Set when the lookup answered but its answer must not be used (DW405/DW406, IndexSelectionError); else DW404. */
  ruleId?: 'DW405' | 'DW406';
  severity?: 'critical' | 'high';
}

/** A registry host that could not be reached this run: reported once, with the lookups it left undone. */
export interface UnreachableHost {
  host: string;
  /** The first failure (URL redacted), after its retries. */
  cause: string;
  /** Candidates (service, file, dependency) whose lookup failed because of it. */
  lookups: number;
}

export interface OutdatedReport {
  entries: OutdatedEntry[];
  /** Lookups that failed after their retries: reported, never read as "up to date". */
  failures: LookupFailure[];
  /** Hosts the circuit breaker closed (DNS, refused, TLS, deadlines): their lookups are counted here, not in failures. */
  unreachable: UnreachableHost[];
  /** Releases by candidate key, for planning and PR bodies. */
  releases: Map<string, PackageReleases>;
}

export async function computeOutdated(candidates: Candidate[], lookup: ReleaseLookup, cfg: UpdatesConfig, now: Date): Promise<OutdatedReport> {
  const limit = pLimit(cfg.concurrency);
  // One registry question per package, however many services declare it.
  const byName = new Map<string, Promise<PackageReleases>>();
  const ask = (c: Candidate): Promise<PackageReleases> => {
    // Everything that decides where a package is looked up is part of the key: the same name behind other
    // indexes (another requirements file's --index-url, another lock's source, another .npmrc) is another package.
    const where = lookup.routeKey?.(c) ?? JSON.stringify([c.sources?.map((s) => [s.name, s.url, s.priority]), c.pipOptions, c.locked && (c.locked.url ?? 'PyPI')]);
    const k = `${c.ecosystem}\0${c.name}\0${where}\0${c.dependency?.sourceName ?? ''}`;
    let p = byName.get(k);
    if (!p) {
      p = limit(() => lookup.releases(c));
      byName.set(k, p);
    }
    return p;
  };
  const digests = new Map<string, Promise<string | undefined>>();
  const digestOf = (c: Candidate, tag: string): Promise<string | undefined> => {
    const k = `${c.name}\0${tag}`;
    let p = digests.get(k);
    if (!p) {
      p = limit(() => lookup.digest(c, tag));
      digests.set(k, p);
    }
    return p;
  };
  const entries: OutdatedEntry[] = [];
  const failures: LookupFailure[] = [];
  const down = new Map<string, UnreachableHost>();
  const releases = new Map<string, PackageReleases>();
  await Promise.all(
    candidates.map(async (c) => {
      try {
        const rel = await ask(c);
        lookup.vet?.(c, rel);
        releases.set(c.key, rel);
        const cand = withActionVersion(c, rel);
        entries.push(await evaluateCandidate(cand, rel, cfg, now, digestOf));
      } catch (e) {
        const host = hostFailure(e);
        if (host) {
          const h = down.get(host.host) ?? { ...host, lookups: 0 };
          h.lookups++;
          down.set(host.host, h);
        } else {
          const sel = e instanceof IndexSelectionError ? { ruleId: e.ruleId, severity: e.severity } : {};
          failures.push({ service: c.service, file: c.file, name: c.displayName, message: (e as Error).message, ...sel });
        }
      }
    }),
  );
  entries.sort((a, b) => cmp(a.service, b.service) || cmp(a.file, b.file) || cmp(a.name, b.name) || a.span.line - b.span.line);
  failures.sort((a, b) => cmp(a.service, b.service) || cmp(a.file, b.file) || cmp(a.name, b.name));
  const unreachable = [...down.values()].sort((a, b) => cmp(a.host, b.host));
  return { entries, failures, unreachable, releases };
}

/** A host-level failure (the one that opened the circuit, or a call it refused) names the host and the first cause. */
function hostFailure(e: unknown): { host: string; cause: string } | undefined {
  if (e instanceof UnreachableError) return { host: e.host!, cause: e.first.message };
  if (e instanceof HttpError && e.hostLevel && e.host) return { host: e.host, cause: e.message };
  return undefined;
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** An action pinned by a bare SHA: its version is the most precise tag pointing at that commit. */
function withActionVersion(c: Candidate, rel: PackageReleases): Candidate {
  if (c.target !== 'action' || c.current || c.action?.refKind !== 'sha') return c;
  const tags = rel.releases.filter((r) => r.digest === c.action!.ref).map((r) => r.version);
  const best = tags.sort((a, b) => b.split('.').length - a.split('.').length || (a < b ? 1 : -1))[0];
  return best ? { ...c, current: best } : c;
}
