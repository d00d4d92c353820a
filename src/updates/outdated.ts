import semver from 'semver';
import type { UpdatesConfig } from '../config/sections/updates.ts';
import type { DependencyType, OutdatedEntry, PackageReleases, ProposalUpdateType, Release } from '../model/update.ts';
import { classifyUpdate, compareIn, isExactPin, satisfies } from '../versioning/constraint.ts';
import { parseVersion } from '../versioning/pep440.ts';
import { candidateTags, classifyTagUpdate } from '../versioning/tag.ts';
import type { Candidate } from './candidates.ts';
import { effectivePolicy } from './policy.ts';

/**
 * One candidate against what its registry knows: the newest version the policy allows now, the latest, the
 * update type, age and libyears. Pure, apart from the digest lookup an image or action may need.
 */
export type DigestOf = (c: Candidate, tag: string) => Promise<string | undefined>;

const DAY = 86_400_000;

function isPre(c: Candidate, v: string): boolean {
  if (c.ecosystem === 'PyPI') {
    const p = parseVersion(v);
    return !!p && (p.is_prerelease || p.is_devrelease);
  }
  if (c.ecosystem === 'npm') return (semver.prerelease(v, { loose: true })?.length ?? 0) > 0;
  return false;
}

const compare = (c: Candidate, a: string, b: string): number => compareIn(c.ecosystem, a, b);

function typeOf(c: Candidate, from: string, to: string): ProposalUpdateType | undefined {
  if (c.target !== 'dependency') return classifyTagUpdate(from, to);
  const t = classifyUpdate(c.ecosystem, from, to);
  return t === 'major' || t === 'minor' || t === 'patch' || t === 'prerelease' ? t : undefined;
}

function ignored(c: Candidate, ranges: string[], v: string): boolean {
  const syntax = c.ecosystem === 'npm' ? 'npm' : 'pep440';
  return ranges.some((r) => satisfies(syntax, r, v, { prereleases: true }) === true);
}

function ageDays(r: Release | undefined, now: Date): number | undefined {
  if (!r?.releasedAt) return undefined;
  const t = Date.parse(r.releasedAt);
  return Number.isNaN(t) ? undefined : Math.floor((now.getTime() - t) / DAY);
}

/** Stable (or all) non-yanked releases of one answer, computed once per answer: a fleet asks about one package many times. */
const usable = new WeakMap<PackageReleases, Map<string, Release[]>>();
function usableReleases(c: Candidate, rel: PackageReleases, allowPre: boolean): Release[] {
  let byMode = usable.get(rel);
  if (!byMode) usable.set(rel, (byMode = new Map()));
  const k = `${c.ecosystem}:${allowPre}`;
  let list = byMode.get(k);
  if (!list) byMode.set(k, (list = rel.releases.filter((r) => !r.yanked && (allowPre || !isPre(c, r.version)))));
  return list;
}

/** Newer releases of the same kind as the current one, ascending. */
function newerReleases(c: Candidate, rel: PackageReleases, current: string | undefined, allowPre: boolean): Release[] {
  if (c.target === 'dependency') {
    const stable = usableReleases(c, rel, allowPre);
    if (!current) return stable;
    // Releases are sorted by the ecosystem's order (datasource contract): binary search for the first newer one.
    let lo = 0;
    let hi = stable.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (compare(c, stable[mid]!.version, current) > 0) hi = mid;
      else lo = mid + 1;
    }
    return stable.slice(lo);
  }
  if (!current) return [];
  const byTag = new Map(rel.releases.map((r) => [r.version, r]));
  const tags = candidateTags(current, [...byTag.keys()]);
  const at = tags.indexOf(current);
  return (at === -1 ? tags.filter((t) => classifyTagUpdate(current, t)) : tags.slice(at + 1)).map((t) => byTag.get(t)!);
}

/**
 * A range with no lock entry resolves, on a fresh install, to the newest release it admits: that is the version
 * an update moves from, so `^4.28.3` → 6.0.0 is a major, never a `pin` that skips the approval a major needs.
 */
function resolvedFloor(c: Candidate, rel: PackageReleases): string | undefined {
  const d = c.dependency;
  if (c.target !== 'dependency' || c.current || !d || d.constraint.trim() === '' || (d.constraintSyntax !== 'npm' && d.constraintSyntax !== 'pep440' && d.constraintSyntax !== 'poetry')) return undefined;
  const list = usableReleases(c, rel, true);
  for (let i = list.length - 1; i >= 0; i--) if (satisfies(d.constraintSyntax, d.constraint, list[i]!.version) === true) return list[i]!.version;
  return undefined;
}

/**
 * A library's peer dependency and an `engines` range state compatibility: widened when a new major appears, never
 * pinned (an exact `engines.node` would refuse every other patch release of the runtime).
 */
export const isPeer = (c: Candidate): boolean => c.dependency?.group === 'peer' || c.dependency?.group === 'engines';

export async function evaluateCandidate(c: Candidate, rel: PackageReleases, cfg: UpdatesConfig, now: Date, digestOf: DigestOf): Promise<OutdatedEntry> {
  const base = effectivePolicy(cfg, c);
  const current = c.current;
  const floor = resolvedFloor(c, rel);
  const allowPre = cfg.prereleases || (current !== undefined && isPre(c, current));
  const newer = newerReleases(c, rel, current, allowPre);
  // npm's dist-tag `latest` bounds "latest" when it is one of the newer releases.
  const latestRel = (c.target === 'dependency' && rel.latestTag ? newer.find((r) => r.version === rel.latestTag) : undefined) ?? newer[newer.length - 1];
  const currentRel = current ? rel.releases.find((r) => r.version === current) : undefined;
  const notes: string[] = [];
  let allowed: Release | undefined;
  let allowedType: ProposalUpdateType | undefined;
  for (const r of [...newer].reverse()) {
    if (latestRel && compare(c, r.version, latestRel.version) > 0 && c.target === 'dependency') continue; // above dist-tag latest
    const from = current ?? floor;
    const type = from ? (compare(c, r.version, from) <= 0 ? 'pin' : typeOf(c, from, r.version)) : 'pin';
    // A peer range that already admits a version needs no change for it.
    if (isPeer(c) && (type === 'pin' || satisfies(c.dependency!.constraintSyntax, c.dependency!.constraint, r.version) === true)) continue;
    const pol = effectivePolicy(cfg, c, type);
    if (!pol.enabled) {
      notes.push(`${r.version}: ${type ?? ''} updates disabled${pol.reason ? ` (${pol.reason})` : ''}`);
      continue;
    }
    if (ignored(c, pol.ignoreVersions, r.version)) {
      notes.push(`${r.version}: ignored${pol.reason ? ` (${pol.reason})` : ''}`);
      continue;
    }
    if (r.deprecated) {
      notes.push(`${r.version}: deprecated`);
      continue;
    }
    const age = ageDays(r, now);
    if (age !== undefined && age < pol.minimumReleaseAgeDays) {
      notes.push(`${r.version}: ${age} days old, cooldown ${pol.minimumReleaseAgeDays}`);
      continue;
    }
    allowed = r;
    allowedType = type;
    break;
  }
  const entry: OutdatedEntry = {
    service: c.service,
    file: c.file,
    target: c.target,
    ecosystem: c.ecosystem,
    name: c.displayName,
    declared: c.declared,
    ...(current ? { current } : {}),
    ...(latestRel ? { latest: latestRel.version } : current ? { latest: current } : {}),
    dependencyType: dependencyTypeOf(c),
    span: c.dependency?.span ?? c.image?.span ?? c.action!.span,
  };
  if (!base.enabled && !allowed) notes.unshift(`updates disabled${base.reason ? ` (${base.reason})` : ''}`);
  if (allowed) {
    entry.allowed = allowed.version;
    if (allowedType) entry.updateType = allowedType;
    const age = ageDays(allowed, now);
    if (age !== undefined) entry.releaseAgeDays = age;
  }
  await pinning(c, entry, allowed, rel, digestOf);
  if (currentRel?.yanked) entry.currentYanked = true;
  if (currentRel?.deprecated) entry.currentDeprecated = currentRel.deprecated;
  const t0 = currentRel?.releasedAt ? Date.parse(currentRel.releasedAt) : NaN;
  const t1 = latestRel?.releasedAt ? Date.parse(latestRel.releasedAt) : NaN;
  if (!Number.isNaN(t0)) entry.libyears = Number.isNaN(t1) ? 0 : Math.max(0, Math.round(((t1 - t0) / (365.25 * DAY)) * 100) / 100);
  if (entry.allowed !== entry.latest && notes.length) entry.note = notes.slice(0, 3).join('; ');
  else if (!base.enabled) entry.note = notes[0];
  return entry;
}

/** Digests and SHAs: a new tag is pinned by its digest; an unpinned declaration gets a pin; a moved digest is a `digest` update. */
async function pinning(c: Candidate, e: OutdatedEntry, allowed: Release | undefined, rel: PackageReleases, digestOf: DigestOf): Promise<void> {
  if (c.target === 'dependency') {
    const d = c.dependency!;
    if (!e.allowed && e.current && !isExactPin(d.constraintSyntax, d.constraint) && d.constraint !== '' && d.group !== 'peer') {
      e.allowed = e.current;
      e.updateType = 'pin';
    }
    return;
  }
  const tag = allowed?.version ?? c.current;
  if (!tag) return;
  const pinned = c.target === 'image' ? c.image!.digest : c.action!.refKind === 'sha' ? c.action!.ref : undefined;
  const digest = (c.target === 'action' ? rel.releases.find((r) => r.version === tag)?.digest : undefined) ?? (await digestOf(c, tag));
  if (!digest) return;
  if (allowed) {
    e.digest = digest;
    return;
  }
  if (!pinned) {
    e.allowed = tag;
    e.updateType = 'pin';
    e.digest = digest;
  } else if (pinned !== digest) {
    e.allowed = tag;
    e.updateType = 'digest';
    e.digest = digest;
  }
}

/** Is there anything to do for this entry? */
export function isOutdated(e: OutdatedEntry): boolean {
  return e.updateType !== undefined && e.allowed !== undefined;
}

function dependencyTypeOf(c: Candidate): DependencyType {
  const d = c.dependency;
  if (!d) return c.action ? 'dev' : 'main'; // an action runs in CI; an image is what the service runs
  if (d.group === 'peer' || d.group === 'engines') return 'peer';
  if (d.dev || c.dev) return 'dev';
  return d.optional ? 'optional' : 'main';
}
