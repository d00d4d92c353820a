import type { Dependency, LockedPackage } from './dependency.ts';
import type { Finding } from './finding.ts';
import type { ActionRef, ComposeService, FormatKind, ImageRef, ParsedData } from './files.ts';

/** One manifest with the lock that pins it (if any). */
export interface ManifestUnit {
  ecosystem: 'PyPI' | 'npm';
  /** pyproject.toml, package.json, or a requirements *.in / *.txt used as the manifest. */
  manifest: string;
  /** poetry.lock, package-lock.json, or a compiled requirements file; absent when there is none. */
  lock?: string;
}

/**
 * A service: a directory with a Dockerfile and/or manifests, or a service named in a compose file.
 * `root` is relative to the repository root ("." for the root itself).
 */
export interface Service {
  name: string;
  root: string;
  /** How we know about it: "discovered", "compose", "config". */
  origin: 'discovered' | 'compose' | 'config';
  /** Every file belonging to the service (repository-relative paths, sorted). */
  files: string[];
  units: ManifestUnit[];
  dockerfiles: string[];
  /** Compose entries describing this service. */
  compose: { file: string; service: ComposeService }[];
  /** Direct dependencies, from all manifests (sorted by file, then name). */
  dependencies: Dependency[];
  /** Locked packages, from all locks (sorted by file, then name, then version). */
  locked: LockedPackage[];
  /** Images this service is built from or runs. */
  images: ImageRef[];
}

export interface Inventory {
  /** Absolute path of the repository root. */
  root: string;
  services: Service[];
  /** Every parsed file by repository-relative path (includes files outside any service: workflows, root compose). */
  files: Map<string, ParsedData>;
  /** Every regular file of the repository that was not ignored (for lock files of tools we do not parse). */
  allFiles: Set<string>;
  /** Kind of every file discovered, even those that failed to parse. */
  kinds: Map<string, FormatKind>;
  /** CI actions used across all workflows. */
  actions: ActionRef[];
  /** Parse findings (DW000) and discovery findings. */
  findings: Finding[];
}
