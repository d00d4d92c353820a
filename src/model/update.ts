import type { Ecosystem } from './dependency.ts';
import type { SourceSpan } from './source.ts';

/**
 * Records shared by datasources/ (what a registry knows), updates/ (what the policy wants) and edit/ + relock/
 * (what changes on disk). They meet only here.
 */

/** A file a registry publishes for a release (PyPI wheels/sdists; npm has one tarball). */
export interface ReleaseFile {
  filename: string;
  url: string;
  /** "sha256:<hex>", sorted. */
  hashes: string[];
  requiresPython?: string;
  yanked?: boolean;
}

/** One published version (or tag, for images and actions). */
export interface Release {
  version: string;
  /** ISO 8601, when the registry says. */
  releasedAt?: string;
  yanked?: boolean;
  yankedReason?: string;
  /** npm `deprecated` message. */
  deprecated?: string;
  files?: ReleaseFile[];
  /** OCI: manifest (or multi-arch index) digest "sha256:..."; GitHub: the commit SHA the tag points to. */
  digest?: string;
  /** Release notes (GitHub releases), markdown. */
  notes?: string;
  notesUrl?: string;
  /** npm: the release's `peerDependencies` (name -> range), for planning updates that relock together. */
  peerDependencies?: Record<string, string>;
  /** npm: the release's `dependencies` (name -> range), for the smallest direct-dependency bump that admits a transitive fix. */
  dependencies?: Record<string, string>;
}

/** Everything a datasource returns for one package, image or action. */
export interface PackageReleases {
  datasource: 'pypi' | 'npm' | 'oci' | 'github';
  /** Package name, image repository ("library/python"), or "owner/repo" for actions. */
  name: string;
  /** The registry/index base URL the answer came from (credentials removed). */
  registry: string;
  /** Sorted ascending by the ecosystem's version order; unparseable versions left out. */
  releases: Release[];
  /** The registry's notion of latest (npm dist-tag `latest`), when it has one. */
  latestTag?: string;
  homepage?: string;
  sourceUrl?: string;
}

/** What kind of thing an update touches. */
export type UpdateTarget = 'dependency' | 'image' | 'action';

/** The protocol's update types; `digest` is a new digest for the same tag, `pin` replaces a range/tag with an exact pin. */
export type ProposalUpdateType = 'major' | 'minor' | 'patch' | 'prerelease' | 'digest' | 'pin';

/** One row of `depwarden outdated`: one declaration of one package in one file of one service. */
export interface OutdatedEntry {
  service: string;
  file: string;
  target: UpdateTarget;
  ecosystem: Ecosystem;
  name: string;
  /** Locked version (or the exact pin; the tag for images; the tag named by an action's `# vX` comment). */
  current?: string;
  /** Constraint / tag / ref as written in the manifest. */
  declared: string;
  /** Newest version the policy allows now (cooldown, ignore rules, allowed update types). */
  allowed?: string;
  /** Newest stable version in the registry. */
  latest?: string;
  updateType?: ProposalUpdateType;
  /** Digest (images) or commit SHA (actions) the update pins, when it pins one. */
  digest?: string;
  /** Days since `allowed` (or `latest`) was published. */
  releaseAgeDays?: number;
  currentYanked?: boolean;
  currentDeprecated?: string;
  /** Years between the release of `current` and of `latest` (libyear). */
  libyears?: number;
  /** Why `allowed` is not `latest` (cooldown, ignore rule, major needs approval...). */
  note?: string;
  /**
   * What kind of dependency it is: `main` (installed with the service; images too), `dev` (devDependencies, dev
   * and test groups; CI actions), `optional`, `peer` (peer ranges and npm engines: compatibility, not installs).
   */
  dependencyType?: DependencyType;
  span: SourceSpan;
}

export type DependencyType = 'main' | 'dev' | 'optional' | 'peer';

/**
 * A minimal text edit: replace `[start, end)` of `file` with `replacement`, only if the text there is still
 * `expected` (so an edit computed from a stale read is refused, not applied in the wrong place).
 */
export interface TextEdit {
  file: string;
  start: number;
  end: number;
  expected: string;
  replacement: string;
}
