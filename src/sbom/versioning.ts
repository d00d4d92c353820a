import { createRequire } from 'node:module';
import type { ConstraintSyntax } from '../versioning/constraint.ts';

const require = createRequire(import.meta.url);
type ConstraintModule = typeof import('../versioning/constraint.ts');
type Pep440Module = typeof import('../versioning/pep440.ts');
type PoetryModule = typeof import('../versioning/poetry-constraint.ts');
let constraint: ConstraintModule | undefined;
let pep: { pep440: Pep440Module; poetry: PoetryModule } | undefined;

/**
 * The version rules (semver, PEP 440), loaded on first use: most SBOMs never need them (one locked version per
 * name, every manifest locked). Node 24 requires ES modules synchronously and shares the instance with `import`.
 * src/versioning/constraint.ts loads node-semver too (~10 ms of the ~14 ms it costs), which only npm's rules use,
 * so the PEP 440 / Poetry questions an SBOM asks are answered from pep440.ts and poetry-constraint.ts alone, as
 * constraint.ts answers them (its `satisfies` and `isExactPin`, restated below for these syntaxes;
 * test/sbom/versioning.test.ts proves the answers equal on every constraint and version of the corpus).
 */
function constraintModule(): ConstraintModule {
  constraint ??= require('../versioning/constraint.ts') as ConstraintModule;
  return constraint;
}
function pepModules(): { pep440: Pep440Module; poetry: PoetryModule } {
  pep ??= { pep440: require('../versioning/pep440.ts') as Pep440Module, poetry: require('../versioning/poetry-constraint.ts') as PoetryModule };
  return pep;
}

/** constraint.ts `satisfies('poetry', constraint, version)`. */
const memo = new Map<string, boolean | undefined>();
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
  if (syntax === 'npm') return constraintModule().isExactPin(syntax, c0);
  if (syntax === 'none') return false;
  const c = c0.trim();
  const { pep440 } = pepModules();
  if (syntax === 'pep440') return /^===\s*\S+$/.test(c) || (/^==\s*[^,*;\s]+$/.test(c) && pep440.isValidVersion(c.replace(/^==\s*/, '')));
  return (/^(==|=)?\s*[^,*|^~<>!=\s]+$/.test(c) && pep440.isValidVersion(c.replace(/^==?\s*/, ''))) || /^===\s*\S+$/.test(c);
}
