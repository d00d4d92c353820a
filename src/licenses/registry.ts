import path from 'node:path';
import type { DeclaredLicense, Datasources } from '../datasources/index.ts';
import { HttpError } from '../http/client.ts';
import type { LockedPackage } from '../model/dependency.ts';
import type { Inventory } from '../model/inventory.ts';
import { JsonFileCache } from '../util/json-file-cache.ts';
import { normalizeLicense } from './normalize.ts';

/**
 * Licences of locked packages whose lock records none (every lock but package-lock.json), from what the registry
 * declares for the locked release: PyPI's JSON API (PEP 639 License-Expression, else the License field, else the
 * licence classifiers) and npm's packument (`license`, legacy `licenses`). Answers are kept in a cache on disk
 * (raw, so a better normalisation applies to old answers); `check` reads the cache only, `sbom` and `check` with
 * `--registry-licenses` ask the registries (`--offline`: the cache and the HTTP cache only).
 */

/** One licence from what a registry declares: an SPDX expression when it reads as one, else short free text. */
export function licenseFromDeclared(d: DeclaredLicense): string | undefined {
  const spdx = (t: string | undefined): string | undefined => normalizeLicense(t);
  if (d.expression && spdx(d.expression)) return spdx(d.expression);
  const texts = d.text === undefined ? [] : Array.isArray(d.text) ? d.text : [d.text];
  const read = texts.map(spdx);
  // npm's legacy `licenses` list offered the licences as alternatives (dual licensing).
  if (texts.length && read.every(Boolean)) return texts.length === 1 ? read[0] : [...new Set(read)].sort().join(' OR ');
  const classified = [...new Set((d.classifiers ?? []).map(spdx).filter((x): x is string => !!x))];
  // Several licence classifiers do not say whether all apply or one: left unread rather than guessed.
  if (classified.length === 1 && (d.classifiers ?? []).length === 1) return classified[0];
  // Free text a person can review (a field holding a whole licence text is not a name).
  const short = texts.find((t) => t.length <= 100 && !t.includes('\n'));
  if (short && !/^(unknown|none|n\/a|unlicensed|see license( file)?)$/i.test(short)) return short;
  if (d.expression) return d.expression;
  if (d.classifiers?.length) return d.classifiers.map((c) => c.replace(/^License :: (OSI Approved :: )?/, '')).join('; ');
  return undefined;
}

interface Entry {
  /** What the registry declared ({} : nothing). */
  declared: DeclaredLicense;
}

/** Registry answers keyed by ecosystem, registry and release (the shared on-disk cache file). */
export class LicenseCache extends JsonFileCache<Entry> {
  constructor(dir: string) {
    super(path.join(dir, 'licenses-v1.json'), (v): v is Entry => !!v && typeof v === 'object' && !!(v as Entry).declared && typeof (v as Entry).declared === 'object');
  }
}

export interface RegistryLicenseOptions {
  cache: LicenseCache;
  /** Undefined: the cache only (what `check` does without --registry-licenses). */
  datasources?: Datasources;
  /** Registry base URLs, part of the cache key (an internal mirror may say something else). */
  pypiBase: string;
  npmRegistry: string;
}

export interface RegistryLicenseReport {
  /** Locked releases (ecosystem, name, version) that had no licence in their lock and could be asked. */
  candidates: number;
  /** Of those, how many got a licence (SPDX or free text). */
  found: number;
  /** The registry answered and declares none. */
  declaredNone: number;
  /** Not in the cache (cache-only run) or not answered (offline without a cached answer, network failure). */
  missing: { name: string; version: string; ecosystem: string; reason: string }[];
  /** The registry has no such release (a private package, a yanked-and-deleted one). */
  notFound: number;
  /** Not asked: the package comes from a private index or a VCS/path source, which the public registry does not describe. */
  notAsked: number;
}

const PYPI_HOSTS = new Set(['pypi.org', 'files.pythonhosted.org']);
const NPM_HOSTS = new Set(['registry.npmjs.org', 'registry.yarnpkg.com', 'registry.npmjs.com']);

/** Whether the registry asked describes this package (it came from there, as far as the lock says). */
function askable(p: LockedPackage, pypiBase: string, npmRegistry: string): boolean {
  if (p.link || p.workspace) return false;
  const s = p.source;
  if (s && s.type !== 'registry' && s.type !== 'legacy') return false;
  const hostOf = (u: string | undefined): string | undefined => (u && URL.canParse(u) ? new URL(u).hostname.toLowerCase() : undefined);
  if (p.ecosystem === 'PyPI') {
    const h = hostOf(s && 'url' in s ? s.url : undefined);
    return h === undefined || PYPI_HOSTS.has(h) || h === hostOf(pypiBase);
  }
  if (p.ecosystem === 'npm') {
    const h = hostOf(p.resolved) ?? hostOf(s && 'url' in s ? s.url : undefined);
    // Tarballs that are no registry's (a GitHub codeload URL, a file:) are not described by a packument.
    if (p.resolved && !/^https?:/i.test(p.resolved)) return false;
    return h === undefined || NPM_HOSTS.has(h) || h === hostOf(npmRegistry);
  }
  return false;
}

const errorText = (e: unknown): string => (e instanceof HttpError || e instanceof Error ? e.message.split('\n')[0]! : String(e));

/**
 * Fills `license` of the inventory's locked PyPI and npm packages that have none from their lock, with what the
 * registry declares for that release (cached answers first). Changes the packages in place (the SBOM and the
 * licence policy read the same objects) and says what it could not learn.
 */
export async function addRegistryLicenses(inv: Inventory, opts: RegistryLicenseOptions): Promise<RegistryLicenseReport> {
  const report: RegistryLicenseReport = { candidates: 0, found: 0, declaredNone: 0, missing: [], notFound: 0, notAsked: 0 };
  const byRelease = new Map<string, LockedPackage[]>();
  const seen = new Set<LockedPackage>();
  for (const s of inv.services)
    for (const p of s.locked) {
      if (seen.has(p) || p.license || (p.ecosystem !== 'PyPI' && p.ecosystem !== 'npm')) continue;
      seen.add(p);
      if (!askable(p, opts.pypiBase, opts.npmRegistry)) {
        report.notAsked++;
        continue;
      }
      const base = p.ecosystem === 'PyPI' ? opts.pypiBase : opts.npmRegistry;
      const key = `${p.ecosystem}|${base}|${p.ecosystem === 'npm' ? p.name : p.normalizedName}@${p.version}`;
      byRelease.set(key, [...(byRelease.get(key) ?? []), p]);
    }
  const keys = [...byRelease.keys()].sort();
  report.candidates = keys.length;
  const answers = await Promise.all(
    keys.map(async (key): Promise<[string, DeclaredLicense | 'not-found' | { error: string }]> => {
      const cached = opts.cache.get(key);
      if (cached) return [key, cached.declared];
      const p = byRelease.get(key)![0]!;
      if (!opts.datasources) return [key, { error: 'not in the licence cache' }];
      try {
        const d = await opts.datasources.declaredLicense(p.ecosystem as 'PyPI' | 'npm', p.ecosystem === 'npm' ? p.name : p.normalizedName, p.version);
        if (!d) return [key, 'not-found'];
        opts.cache.set(key, { declared: d });
        return [key, d];
      } catch (e) {
        return [key, { error: errorText(e) }];
      }
    }),
  );
  for (const [key, a] of answers) {
    const p = byRelease.get(key)![0]!;
    if (a === 'not-found') report.notFound++;
    else if ('error' in a && typeof a.error === 'string') report.missing.push({ ecosystem: p.ecosystem, name: p.name, version: p.version, reason: a.error });
    else {
      const license = licenseFromDeclared(a as DeclaredLicense);
      if (!license) {
        report.declaredNone++;
        continue;
      }
      report.found++;
      for (const q of byRelease.get(key)!) q.license = license;
    }
  }
  opts.cache.save();
  return report;
}

/** One line for the user about what the registries did not say (nothing when everything was learnt). */
export function registryLicenseNote(r: RegistryLicenseReport, asked: boolean): string | undefined {
  if (!r.missing.length) return undefined;
  const names = r.missing.slice(0, 5).map((m) => `${m.name} ${m.version}`).join(', ');
  const more = r.missing.length > 5 ? ` and ${r.missing.length - 5} more` : '';
  return asked
    ? `licence unknown for ${r.missing.length} locked release${r.missing.length === 1 ? '' : 's'} the registry could not be asked about (${names}${more}; first failure: ${r.missing[0]!.reason})`
    : `licence not known for ${r.missing.length} locked release${r.missing.length === 1 ? '' : 's'} whose lock records none (${names}${more}): run with --registry-licenses to ask PyPI / npm`;
}
