import { createRequire } from 'node:module';
import type { ConstraintSyntax } from '../versioning/constraint.ts';

type ConstraintModule = typeof import('../versioning/constraint.ts');
let rules: ConstraintModule | undefined;

/**
 * The version rules, required on first use: most SBOMs never ask (one locked version per name, every manifest
 * locked). Node 24 requires ES modules synchronously and shares the instance with `import`; node-semver itself
 * loads only when an npm range is asked about (src/versioning/npm.ts).
 */
function versionRules(): ConstraintModule {
  rules ??= createRequire(import.meta.url)('../versioning/constraint.ts') as ConstraintModule;
  return rules;
}

/** Does a locked version meet a Poetry constraint (undefined: unreadable)? */
export function poetrySatisfies(constraint: string, version: string): boolean | undefined {
  return versionRules().satisfies('poetry', constraint, version);
}

/** One exact version (`==1.2.3`, Poetry `1.2.3`, npm `1.2.3`)? */
export function isExactPin(syntax: ConstraintSyntax, constraint: string): boolean {
  return versionRules().isExactPin(syntax, constraint);
}
