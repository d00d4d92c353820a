import { createRequire } from 'node:module';
import type { ConstraintSyntax } from '../versioning/constraint.ts';

const require = createRequire(import.meta.url);
type Pep440Module = typeof import('../versioning/pep440.ts');
type PoetryModule = typeof import('../versioning/poetry-constraint.ts');
/** node-semver's functions/valid.js: the `valid` its package root exports (`semver.valid`). */
type SemverValid = (version: string) => string | null;
let validSemver: SemverValid | undefined;
let pep: { pep440: Pep440Module; poetry: PoetryModule } | undefined;

/**
 * The version rules (semver, PEP 440), loaded on first use: most SBOMs never need them (one locked version per
 * name, every manifest locked). Node 24 requires ES modules synchronously and shares the instance with `import`.
 * src/versioning/constraint.ts loads all of node-semver (~10 ms of the ~14 ms it costs), so the questions an SBOM
 * asks are answered from pep440.ts, poetry-constraint.ts and semver's `valid` alone, as constraint.ts answers
 * them (its `satisfies` and `isExactPin`, restated below; test/sbom/versioning.test.ts proves the answers equal
 * on every constraint and version of the corpus).
 */
function pepModules(): { pep440: Pep440Module; poetry: PoetryModule } {
  pep ??= { pep440: require('../versioning/pep440.ts') as Pep440Module, poetry: require('../versioning/poetry-constraint.ts') as PoetryModule };
  return pep;
}

const memo = new Map<string, boolean | undefined>();

/** constraint.ts `satisfies('poetry', constraint, version)`. */
export function poetrySatisfies(c: string, version: string): boolean | undefined {
  // Memoised as constraint.ts's: ten locks of one repository ask the same (constraint, version) questions.
  const key = `${c}\0${version}`;
  if (memo.has(key)) return memo.get(key);
  const r = poetrySatisfiesUncached(c, version);
  if (memo.size < 500_000) memo.set(key, r);
  return r;
}

function poetrySatisfiesUncached(c: string, version: string): boolean | undefined {
  const { pep440, poetry } = pepModules();
  if (!pep440.isValidVersion(version)) return undefined;
  const alts = poetry.poetryToPep440(c);
  if (!alts) return undefined;
  try {
    return alts.some((a) => pep440.satisfiesSpecifier(version, a, {}));
  } catch {
    return undefined;
  }
}

/** constraint.ts `isExactPin`: one exact version (`==1.2.3`, Poetry `1.2.3`, npm `1.2.3`). */
export function isExactPin(syntax: ConstraintSyntax, c0: string): boolean {
  if (syntax === 'none') return false;
  const c = c0.trim();
  if (syntax === 'npm') {
    // npm.ts isExactNpm: node-semver's `valid` (the function the package root exports), without the other ~40
    // modules of the package root.
    validSemver ??= require('semver/functions/valid') as SemverValid;
    const r = c.trim().replace(/^npm:(@?[^@]+)@/, '');
    return validSemver(r.replace(/^=/, '')) !== null && !/^[~^<>*xX]/.test(r);
  }
  const { pep440 } = pepModules();
  if (syntax === 'pep440') return /^===\s*\S+$/.test(c) || (/^==\s*[^,*;\s]+$/.test(c) && pep440.isValidVersion(c.replace(/^==\s*/, '')));
  return (/^(==|=)?\s*[^,*|^~<>!=\s]+$/.test(c) && pep440.isValidVersion(c.replace(/^==?\s*/, ''))) || /^===\s*\S+$/.test(c);
}
