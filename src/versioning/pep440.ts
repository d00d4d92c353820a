import * as pep440 from '@renovatebot/pep440';

/**
 * PEP 440 versions and specifiers. @renovatebot/pep440 is a port of `packaging`'s rules (epochs, pre/post/dev,
 * local versions, `~=`, `===`, wildcards); this module is the one place the rest of depwarden reaches it,
 * so any correction of the library lives here.
 */
export type Pep440Version = NonNullable<ReturnType<typeof pep440.explain>>;

/** The parsed version, memoised (a fleet check asks about the same few thousand versions again and again): the
 * object is shared, so callers read it and never change it. */
export function parseVersion(s: string): Pep440Version | null {
  let v = parseCache.get(s);
  if (v === undefined) {
    v = pep440.explain(s.trim()) ?? null;
    if (parseCache.size < CACHE_LIMIT) parseCache.set(s, v);
  }
  return v;
}

const parseCache = new Map<string, Pep440Version | null>();
const validCache = new Map<string, boolean>();
const compareCache = new Map<string, number>();
const CACHE_LIMIT = 200_000;

export function isValidVersion(s: string): boolean {
  let v = validCache.get(s);
  if (v === undefined) {
    v = pep440.valid(s.trim()) !== null;
    if (validCache.size < CACHE_LIMIT) validCache.set(s, v);
  }
  return v;
}

/** Total order of PEP 440; invalid versions sort before valid ones and among themselves by text. Memoised:
 * an audit compares the same advisory events with the same locked versions across a whole fleet. */
export function compareVersions(a: string, b: string): number {
  const key = `${a}\0${b}`;
  const hit = compareCache.get(key);
  if (hit !== undefined) return hit;
  const va = isValidVersion(a);
  const vb = isValidVersion(b);
  const r = va && vb ? pep440.compare(a.trim(), b.trim()) : va !== vb ? (va ? 1 : -1) : a < b ? -1 : a > b ? 1 : 0;
  if (compareCache.size < CACHE_LIMIT) compareCache.set(key, r);
  return r;
}

/**
 * Does `version` match `specifier` (",": AND)? `prereleases` defaults to true here: depwarden asks whether a
 * version already chosen (locked, installed) is allowed, not which version an installer would pick.
 */
export function satisfiesSpecifier(version: string, specifier: string, opts: { prereleases?: boolean } = {}): boolean {
  const spec = specifier.trim();
  if (spec === '' || spec === '*') return true;
  const v = version.trim();
  const prereleases = opts.prereleases ?? true;
  return spec.split(',').every((clause) => {
    const c = clause.trim();
    // @renovatebot/pep440 applies the ">V excludes post/local releases of V" rule without looking at the epoch
    // (it says 2!2.post0 is not >2; packaging says it is). Across epochs only the order decides.
    const m = /^(<=|>=|<|>)\s*(.+)$/.exec(c);
    if (m && isValidVersion(v) && isValidVersion(m[2]!)) {
      const ev = parseVersion(v)!.epoch;
      const es = parseVersion(m[2]!)!.epoch;
      if (ev !== es) {
        if (!prereleases && (parseVersion(v)!.is_prerelease || parseVersion(v)!.is_devrelease)) return false;
        const cmp = compareVersions(v, m[2]!);
        return m[1] === '<' ? cmp < 0 : m[1] === '<=' ? cmp <= 0 : m[1] === '>' ? cmp > 0 : cmp >= 0;
      }
    }
    return pep440.satisfies(v, c, { prereleases });
  });
}

export function isValidSpecifier(specifier: string): boolean {
  const spec = specifier.trim();
  return spec === '' || pep440.validRange(spec);
}
