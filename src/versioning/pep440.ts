import * as pep440 from '@renovatebot/pep440';

/**
 * PEP 440 versions and specifiers. @renovatebot/pep440 is a port of `packaging`'s rules (epochs, pre/post/dev,
 * local versions, `~=`, `===`, wildcards); this module is the one place the rest of depwarden reaches it,
 * so any correction of the library lives here.
 */
export type Pep440Version = NonNullable<ReturnType<typeof pep440.explain>>;

export function parseVersion(s: string): Pep440Version | null {
  return pep440.explain(s.trim()) ?? null;
}

export function isValidVersion(s: string): boolean {
  return pep440.valid(s.trim()) !== null;
}

/** Total order of PEP 440; invalid versions sort before valid ones and among themselves by text. */
export function compareVersions(a: string, b: string): number {
  const va = isValidVersion(a);
  const vb = isValidVersion(b);
  if (va && vb) return pep440.compare(a.trim(), b.trim());
  if (va !== vb) return va ? 1 : -1;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Does `version` match `specifier` (",": AND)? `prereleases` defaults to true here: depwarden asks whether a
 * version already chosen (locked, installed) is allowed, not which version an installer would pick.
 */
export function satisfiesSpecifier(version: string, specifier: string, opts: { prereleases?: boolean } = {}): boolean {
  const spec = specifier.trim();
  if (spec === '' || spec === '*') return true;
  return pep440.satisfies(version.trim(), spec, { prereleases: opts.prereleases ?? true });
}

export function isValidSpecifier(specifier: string): boolean {
  const spec = specifier.trim();
  return spec === '' || pep440.validRange(spec);
}
