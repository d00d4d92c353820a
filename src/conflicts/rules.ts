import type { RuleInfo } from '../model/rule.ts';

/** Conflict rules (issue 3). */
export const CONFLICT_RULES: RuleInfo[] = [
  {
    id: 'DW101',
    title: 'Lock edge not satisfied by the locked version',
    defaultSeverity: 'high',
    description: 'A package in a lock requires another with a constraint that no locked version of it meets: the lock cannot install consistently.',
    hint: 'Relock; if the relock fails, the constraint set has no solution — see the explanation.',
  },
  {
    id: 'DW102',
    title: 'Required dependency missing from the lock',
    defaultSeverity: 'high',
    description: 'A locked package requires a dependency (not optional, not a peer) that the lock does not provide: for package-lock, no node_modules folder on its resolution path; for uv.lock, pnpm-lock.yaml and yarn.lock, the entry the edge names is missing.',
    hint: 'Relock with the tool that wrote the lock (`npm install --package-lock-only`, `uv lock`, `pnpm install --lockfile-only`, `yarn install`) and commit it.',
  },
  {
    id: 'DW103',
    title: 'Duplicate package in a lock',
    defaultSeverity: 'medium',
    description: 'A poetry.lock holds two versions of one package whose markers both apply in the same target environment, so which one installs is ambiguous.',
    hint: 'Relock; check that the alternatives in the dependency declarations have disjoint markers.',
  },
  {
    id: 'DW112',
    title: 'Shared library requirement not met by a consumer',
    defaultSeverity: 'high',
    description: 'A service depends on another service folder by path (a shared internal library) whose own declared requirement the consumer\'s lock does not meet.',
    hint: "Relock the consumer after aligning the package, or widen the library's constraint.",
  },
  {
    id: 'DW110',
    title: 'Package version drift across services',
    defaultSeverity: 'low',
    description: 'The same package is locked at different versions in different services (a major split is called out); `conflicts.drift` makes it allowed, a warning or a failure.',
    hint: 'Align the services on one version, or allow the split for this package in depwarden.yaml (conflicts.driftPackages).',
  },
  {
    id: 'DW111',
    title: 'Image tag drift across services',
    defaultSeverity: 'low',
    description: 'The same image repository is used at different tags (or digests) across Dockerfiles and compose files.',
    hint: 'Use one tag and digest everywhere, or allow it in depwarden.yaml (conflicts.driftPackages with the image repository).',
  },
];
