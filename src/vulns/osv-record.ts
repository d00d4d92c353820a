import { normalizePypiName } from '../util/names.ts';

/**
 * An OSV record reduced to what matching, severity and reports need (https://ossf.github.io/osv-schema/).
 * Only the affected entries of ecosystems depwarden scans are kept; the rest of the record is dropped.
 */
export interface OsvEvent {
  introduced?: string;
  fixed?: string;
  last_affected?: string;
  limit?: string;
}

export interface OsvRange {
  type: 'ECOSYSTEM' | 'SEMVER' | 'GIT';
  events: OsvEvent[];
}

export interface OsvAffected {
  /** OSV ecosystem name ("PyPI", "npm"), suffix-free ("PyPI:3.11" → "PyPI"). */
  ecosystem: string;
  /** Normalised (PEP 503 for PyPI). */
  name: string;
  ranges: OsvRange[];
  versions: string[];
  /** GitHub's database_specific.last_known_affected_version_range, e.g. "<= 1.2.3". */
  lastKnownAffectedRange?: string;
  severity?: OsvSeverity[];
}

export interface OsvSeverity {
  type: string;
  score: string;
}

export interface Advisory {
  id: string;
  aliases: string[];
  modified: string;
  published?: string;
  withdrawn?: string;
  summary?: string;
  /** No summary: a title from `details` (its first sentence that is not the project's own description). */
  title?: string;
  severity: OsvSeverity[];
  /** database_specific.severity ("HIGH", "moderate"...), used when there is no CVSS vector. */
  databaseSeverity?: string;
  affected: OsvAffected[];
  references: string[];
}

export const SCANNED_ECOSYSTEMS = new Set(['PyPI', 'npm']);

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const strs = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);

export function normalizeAdvisoryName(ecosystem: string, name: string): string {
  return ecosystem === 'PyPI' ? normalizePypiName(name) : name;
}

/**
 * Validates and reduces one parsed OSV document. Throws an Error naming what is wrong: the caller (import,
 * sync) reports the record and goes on with the others.
 */
export function toAdvisory(doc: unknown): Advisory {
  if (!isObj(doc)) throw new Error('an OSV record must be an object');
  const id = str(doc.id);
  if (!id || !/^[A-Za-z0-9][\w.:-]{1,100}$/.test(id)) throw new Error(`invalid or missing id ${JSON.stringify(doc.id)?.slice(0, 60)}`);
  const modified = str(doc.modified);
  if (!modified) throw new Error(`${id}: missing modified`);
  const affected: OsvAffected[] = [];
  for (const a of Array.isArray(doc.affected) ? doc.affected : []) {
    if (!isObj(a) || !isObj(a.package)) continue;
    const ecosystem = (str(a.package.ecosystem) ?? '').split(':')[0]!;
    const name = str(a.package.name);
    if (!name || !SCANNED_ECOSYSTEMS.has(ecosystem)) continue;
    const ranges: OsvRange[] = [];
    for (const r of Array.isArray(a.ranges) ? a.ranges : []) {
      if (!isObj(r) || (r.type !== 'ECOSYSTEM' && r.type !== 'SEMVER' && r.type !== 'GIT')) continue;
      const events: OsvEvent[] = [];
      for (const e of Array.isArray(r.events) ? r.events : []) {
        if (!isObj(e)) continue;
        const ev: OsvEvent = {};
        for (const k of ['introduced', 'fixed', 'last_affected', 'limit'] as const) if (typeof e[k] === 'string') ev[k] = e[k];
        if (Object.keys(ev).length === 1) events.push(ev);
      }
      ranges.push({ type: r.type, events });
    }
    const ds = isObj(a.database_specific) ? a.database_specific : {};
    const lkar = str(isObj(ds.last_known_affected_version_range) ? undefined : ds.last_known_affected_version_range);
    const sev = severities(a.severity);
    affected.push({
      ecosystem,
      name: normalizeAdvisoryName(ecosystem, name),
      ranges,
      versions: strs(a.versions),
      ...(lkar ? { lastKnownAffectedRange: lkar } : {}),
      ...(sev.length ? { severity: sev } : {}),
    });
  }
  const ds = isObj(doc.database_specific) ? doc.database_specific : {};
  return {
    id,
    aliases: strs(doc.aliases).sort(),
    modified,
    ...(str(doc.published) ? { published: str(doc.published)! } : {}),
    ...(str(doc.withdrawn) ? { withdrawn: str(doc.withdrawn)! } : {}),
    ...(str(doc.summary) ? { summary: str(doc.summary)!.slice(0, 500) } : titleOf(str(doc.details)) ? { title: titleOf(str(doc.details))! } : {}),
    severity: severities(doc.severity),
    ...(str(ds.severity) ? { databaseSeverity: str(ds.severity)! } : {}),
    affected,
    references: (Array.isArray(doc.references) ? doc.references : []).flatMap((r) => (isObj(r) && typeof r.url === 'string' ? [r.url] : [])).slice(0, 20),
  };
}

function severities(v: unknown): OsvSeverity[] {
  return (Array.isArray(v) ? v : []).flatMap((s) => (isObj(s) && typeof s.type === 'string' && typeof s.score === 'string' ? [{ type: s.type, score: s.score }] : []));
}

const TITLE_MAX = 160;

/**
 * A one-line title from an advisory's `details`, for advisories without `summary` (PYSEC records have none).
 * PYSEC details usually open with the project's own description ("aiohttp is an asynchronous HTTP client…"),
 * which says nothing about the flaw: such leading sentences are skipped.
 */
export function titleOf(details: string | undefined): string | undefined {
  if (!details) return undefined;
  const sentences = details.replace(/\s+/g, ' ').trim().split(/(?<=[.!?])\s+(?=[A-Z])/);
  const pick = sentences.find((x) => !/^[\w.@/-]+ (is|are) (an?|the) /i.test(x)) ?? sentences[0];
  if (!pick) return undefined;
  return pick.length > TITLE_MAX ? `${pick.slice(0, TITLE_MAX - 1).replace(/\s+\S*$/, '')}…` : pick;
}
