import { createRequire } from 'node:module';

type ConstraintModule = typeof import('../versioning/constraint.ts');
let loaded: ConstraintModule | undefined;

/**
 * The version rules (semver, PEP 440), loaded on first use: most SBOMs never need them (one locked version per
 * name, every manifest locked), and loading them is ~7 ms of a ~130 ms run on a small repository. Node 24
 * requires ES modules synchronously and shares the instance with `import`.
 */
export function versionRules(): ConstraintModule {
  loaded ??= createRequire(import.meta.url)('../versioning/constraint.ts') as ConstraintModule;
  return loaded;
}
