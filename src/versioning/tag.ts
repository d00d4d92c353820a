/**
 * Versions hidden in image and action tags: "3.12.1-slim-bookworm", "20-alpine", "3.13.0rc1", "v4.2.2". A tag is a
 * number list, an optional prerelease and a suffix; tags compare only with tags of the same prefix, suffix and
 * number of components (the rule of Renovate's docker versioning), so "3.12-slim" never "updates" to "3.13.0",
 * "3-alpine" or "latest".
 */

export interface ImageTag {
  tag: string;
  /** "v" or "". */
  prefix: string;
  numbers: number[];
  /** Letters right after the numbers ("rc1" in 3.13.0rc1): a prerelease. */
  prerelease: string;
  /** Everything after the first "-" ("slim-bookworm"), "" when none: the compatibility of the image. */
  suffix: string;
}

const TAG = /^(v?)(\d+(?:\.\d+)*)([a-z]+\d*)?(?:-([A-Za-z0-9][A-Za-z0-9._-]*))?$/;

export function parseImageTag(tag: string): ImageTag | undefined {
  const m = TAG.exec(tag);
  if (!m) return undefined;
  const numbers = m[2]!.split('.').map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n))) return undefined;
  return { tag, prefix: m[1]!, numbers, prerelease: m[3] ?? '', suffix: m[4] ?? '' };
}

/** Version order within one suffix: numbers (missing ones count as 0, then fewer first), a prerelease before its release. */
export function compareImageTags(a: ImageTag, b: ImageTag): number {
  for (let i = 0; i < Math.max(a.numbers.length, b.numbers.length); i++) {
    const d = (a.numbers[i] ?? 0) - (b.numbers[i] ?? 0);
    if (d) return d;
  }
  if (a.prerelease !== b.prerelease) {
    if (!a.prerelease) return 1;
    if (!b.prerelease) return -1;
    const pa = /^([a-z]+)(\d*)$/.exec(a.prerelease)!;
    const pb = /^([a-z]+)(\d*)$/.exec(b.prerelease)!;
    if (pa[1] !== pb[1]) return pa[1]! < pb[1]! ? -1 : 1;
    return Number(pa[2] || 0) - Number(pb[2] || 0);
  }
  return a.numbers.length - b.numbers.length || (a.tag < b.tag ? -1 : a.tag > b.tag ? 1 : 0);
}

/** Version-like tags grouped by suffix ("" first, then by name) and ascending within a suffix; others left out. */
export function sortImageTags(tags: string[]): string[] {
  return tags
    .map(parseImageTag)
    .filter((t): t is ImageTag => t !== undefined)
    .sort((a, b) => (a.suffix === b.suffix ? compareImageTags(a, b) : a.suffix < b.suffix ? -1 : 1))
    .map((t) => t.tag);
}

/**
 * The tags an image on `current` may move to, ascending (Renovate's docker versioning): same "v" prefix, same
 * suffix, same number of version components; prereleases only when `current` is one. `current` itself is included
 * when listed; the caller picks those above it. Empty when `current` is not version-like ("latest").
 */
export function candidateTags(current: string, tags: string[]): string[] {
  const cur = parseImageTag(current);
  if (!cur) return [];
  return tags
    .map(parseImageTag)
    .filter((t): t is ImageTag => !!t && t.prefix === cur.prefix && t.suffix === cur.suffix && t.numbers.length === cur.numbers.length && (!t.prerelease || !!cur.prerelease))
    .sort(compareImageTags)
    .map((t) => t.tag);
}

/** major / minor / patch by the first component that changed; prerelease when only that moved; undefined when not newer. */
export function classifyTagUpdate(from: string, to: string): 'major' | 'minor' | 'patch' | 'prerelease' | undefined {
  const a = parseImageTag(from);
  const b = parseImageTag(to);
  if (!a || !b || a.suffix !== b.suffix || a.prefix !== b.prefix || compareImageTags(a, b) >= 0) return undefined;
  const i = a.numbers.findIndex((n, k) => n !== (b.numbers[k] ?? 0));
  return i === 0 ? 'major' : i === 1 ? 'minor' : i >= 2 ? 'patch' : 'prerelease';
}
