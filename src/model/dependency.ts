import type { SourceSpan } from './source.ts';

/** The package ecosystems depwarden understands. Names follow OSV's ecosystem names where one exists. */
export type Ecosystem = 'PyPI' | 'npm' | 'docker' | 'github-actions';

/** Where a declared or locked package comes from when it is not the ecosystem's default registry. */
export type PackageSource =
  | { type: 'registry'; url?: string; name?: string }
  | { type: 'git'; url: string; reference?: string; resolvedReference?: string; subdirectory?: string }
  | { type: 'url'; url: string }
  | { type: 'file'; path: string }
  | { type: 'directory'; path: string; develop?: boolean }
  | { type: 'legacy'; url: string; name: string };

/**
 * A dependency as a manifest declares it (pyproject, requirements, package.json).
 * `constraint` is kept verbatim in the manifest's own syntax; `constraintSyntax` says how to read it.
 */
export interface Dependency {
  ecosystem: Ecosystem;
  /** Name as written. */
  name: string;
  /** Normalised name (PEP 503 for PyPI, as-is for npm). */
  normalizedName: string;
  /** The constraint text, e.g. "^1.2", ">=2,<3", "==1.0.0", "1.2.3". Empty string when none was given. */
  constraint: string;
  constraintSyntax: 'pep440' | 'poetry' | 'npm' | 'none';
  /** Which table/section declared it: "main", a Poetry group name, "dev", an extra, "optional", "peer"... */
  group: string;
  /** True for dev-only groups (Poetry dev/test groups, npm devDependencies). */
  dev: boolean;
  optional: boolean;
  extras?: string[];
  /** PEP 508 environment marker, verbatim. */
  markers?: string;
  source?: PackageSource;
  /** Name of a Poetry source / index this dependency is pinned to. */
  sourceName?: string;
  /** Hashes given inline (requirements --hash), as "algo:hex". */
  hashes?: string[];
  editable?: boolean;
  /** pip-compile / uv's `# via` annotation in a compiled requirements file: the packages (or `-r file`) requiring it. */
  via?: string[];
  /** The whole declaration, and (when it exists) the constraint text alone for later edits. */
  span: SourceSpan;
  constraintSpan?: SourceSpan;
}

/** An edge in a lock file: `from` requires `name` with `constraint`. */
export interface LockedEdge {
  name: string;
  normalizedName: string;
  constraint: string;
  markers?: string;
  optional?: boolean;
  extras?: string[];
  /** npm: "prod" | "dev" | "peer" | "optional" | "peerOptional"; PyPI: always "prod". */
  kind?: 'prod' | 'dev' | 'peer' | 'optional' | 'peerOptional';
  /** The locked package this edge resolves to ("normalizedName@version"), for locks that record it exactly (pnpm, Yarn, uv). */
  target?: string;
}

/** One package pinned in a lock file. */
export interface LockedPackage {
  ecosystem: Ecosystem;
  name: string;
  normalizedName: string;
  version: string;
  /** "algo:hex" (sha256:..., sha512:...), de-duplicated and sorted. */
  hashes: string[];
  /** Poetry groups (2.x) or category (1.1: main/dev); npm: "prod" / "dev" / "optional" / "devOptional" / "peer". */
  groups: string[];
  dev: boolean;
  optional: boolean;
  markers?: string;
  /** poetry.lock 2.1 may give markers per group ({main = "...", dev = "..."}); `markers` is then their union. */
  markersByGroup?: Record<string, string>;
  source?: PackageSource;
  /** poetry.lock: the package's `python-versions` constraint (absent when "*"). */
  pythonVersions?: string;
  /** poetry.lock: `[package.extras]`, feature -> requirement strings ("name (>=1)", "name[x] ; marker"). */
  extras?: Record<string, string[]>;
  dependencies: LockedEdge[];
  /** npm only: the install path ("node_modules/a/node_modules/b"), link/bundled/workspace flags. */
  path?: string;
  link?: boolean;
  bundled?: boolean;
  workspace?: boolean;
  resolved?: string;
  integrity?: string;
  license?: string;
  span: SourceSpan;
}
