import { createRequire } from 'node:module';
import type SemverLib from 'semver';

let lib: typeof SemverLib | undefined;
/**
 * node-semver, required on first use: it is ~10 ms of module loading that a PyPI-only run (a Poetry repository's
 * scan or SBOM) never needs.
 */
export function semverLib(): typeof SemverLib {
  lib ??= createRequire(import.meta.url)('semver') as typeof SemverLib;
  return lib;
}

/**
 * npm ranges through node-semver, the implementation npm itself uses. Prereleases only match ranges that
 * mention a prerelease of the same [major, minor, patch] — npm's rule — unless `includePrerelease`.
 */
export function npmSatisfies(version: string, range: string, opts: { includePrerelease?: boolean } = {}): boolean | undefined {
  const semver = semverLib();
  const v = semver.valid(version, { loose: true });
  if (!v) return undefined;
  const r = range.trim() === '' || range.trim() === 'latest' ? '*' : range.replace(/^npm:[^@]+@/, '');
  if (semver.validRange(r, { loose: true }) === null) return undefined;
  return semver.satisfies(v, r, { loose: true, includePrerelease: opts.includePrerelease ?? false });
}

let validOnly: typeof SemverLib.valid | undefined;
export function isExactNpm(range: string): boolean {
  const r = range.trim().replace(/^npm:(@?[^@]+)@/, '');
  // The package's `valid` alone: an SBOM asks only this, and the package root is ~40 modules more.
  validOnly ??= lib?.valid ?? (createRequire(import.meta.url)('semver/functions/valid') as typeof SemverLib.valid);
  return validOnly(r.replace(/^=/, '')) !== null && !/^[~^<>*xX]/.test(r);
}
