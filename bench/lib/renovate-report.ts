/**
 * Renovate's `--report-type=file` report (Renovate 44), read into flat rows. Only the fields the comparison
 * with `depwarden outdated` needs; everything else in the report (branches, libYears) is ignored.
 */

export interface RenovateUpdate {
  /** major | minor | patch | pin | digest | lockFileMaintenance ... */
  updateType: string;
  newVersion?: string;
  newValue?: string;
  /** "non-major" / "major": Renovate's branch bucket. */
  bucket?: string;
  /** A lock-only change inside the declared range (rangeStrategy update-lockfile). */
  isLockfileUpdate?: boolean;
  releaseTimestamp?: string;
  /** The branch (= pull request) Renovate would open for this update, after its grouping rules. */
  branchName?: string;
  groupName?: string;
}

export interface RenovateRow {
  manager: string;
  packageFile: string;
  depName: string;
  depType?: string;
  datasource?: string;
  /** The constraint as written in the manifest. */
  currentValue?: string;
  /** The version Renovate takes as current: the locked one when a lock file holds it. */
  currentVersion?: string;
  lockedVersion?: string;
  /** Why Renovate did not look the dependency up (disabled, file-dependency, invalid-value...). */
  skipReason?: string;
  /** Lookup warnings (registry errors) as text. */
  warnings: string[];
  updates: RenovateUpdate[];
}

export interface RenovateReport {
  rows: RenovateRow[];
  /** Problems (level >= warn) of the run and of the repository, as "LEVEL message". */
  problems: string[];
}

interface RawDep {
  depName?: string;
  packageName?: string;
  depType?: string;
  datasource?: string;
  currentValue?: string;
  currentVersion?: string;
  lockedVersion?: string;
  skipReason?: string;
  warnings?: { message?: string }[];
  updates?: RenovateUpdate[];
}
interface RawProblem {
  level?: number;
  msg?: string;
  err?: { message?: string };
}
interface RawRepo {
  problems?: RawProblem[];
  packageFiles?: Record<string, { packageFile: string; deps?: RawDep[] }[]>;
}
interface RawReport {
  problems?: RawProblem[];
  repositories?: Record<string, RawRepo>;
}

const LEVEL: Record<number, string> = { 40: 'WARN', 50: 'ERROR', 60: 'FATAL' };

// Renovate falls back to RegExp when the optional native `re2` module is absent (it needs a compiler or a
// GitHub download at install time, neither available here). Harmless for lookups, so not a problem to report.
const NOISE = /RE2 not usable/;

export function parseRenovateReport(text: string): RenovateReport {
  const raw = JSON.parse(text) as RawReport;
  const rows: RenovateRow[] = [];
  const problems: string[] = [];
  const addProblems = (ps: RawProblem[] | undefined): void => {
    for (const p of ps ?? []) {
      const msg = `${p.msg ?? ''}${p.err?.message ? `: ${p.err.message.split('\n')[0]}` : ''}`;
      if (!NOISE.test(msg)) problems.push(`${LEVEL[p.level ?? 0] ?? p.level} ${msg}`);
    }
  };
  addProblems(raw.problems);
  for (const repo of Object.values(raw.repositories ?? {})) {
    addProblems(repo.problems);
    for (const [manager, files] of Object.entries(repo.packageFiles ?? {})) {
      for (const f of files) {
        for (const d of f.deps ?? []) {
          const depName = d.depName ?? d.packageName;
          if (!depName) continue;
          rows.push({
            manager,
            packageFile: f.packageFile,
            depName,
            ...(d.depType ? { depType: d.depType } : {}),
            ...(d.datasource ? { datasource: d.datasource } : {}),
            ...(d.currentValue !== undefined ? { currentValue: d.currentValue } : {}),
            ...(d.currentVersion ? { currentVersion: d.currentVersion } : {}),
            ...(d.lockedVersion ? { lockedVersion: d.lockedVersion } : {}),
            ...(d.skipReason ? { skipReason: d.skipReason } : {}),
            warnings: (d.warnings ?? []).map((w) => w.message ?? JSON.stringify(w)),
            updates: (d.updates ?? []).map((u) => ({
              updateType: u.updateType,
              ...(u.newVersion ? { newVersion: u.newVersion } : {}),
              ...(u.newValue !== undefined ? { newValue: u.newValue } : {}),
              ...(u.bucket ? { bucket: u.bucket } : {}),
              ...(u.isLockfileUpdate ? { isLockfileUpdate: true } : {}),
              ...(u.releaseTimestamp ? { releaseTimestamp: u.releaseTimestamp } : {}),
              ...(u.branchName ? { branchName: u.branchName } : {}),
              ...(u.groupName ? { groupName: u.groupName } : {}),
            })),
          });
        }
      }
    }
  }
  return { rows, problems };
}

/**
 * Renovate's npm manager also extracts the runtimes a package.json names (engines node/npm, packageManager,
 * volta). They are not package dependencies (and `engines.npm` even uses the npm datasource), so counts and
 * the comparison leave them out.
 */
const RUNTIME_DEP_TYPES = new Set(['engines', 'packageManager', 'volta']);

export function isPackageRow(r: RenovateRow): boolean {
  return r.manager === 'npm' && !RUNTIME_DEP_TYPES.has(r.depType ?? '') && (r.datasource ?? 'npm') === 'npm';
}
