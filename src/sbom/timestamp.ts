import { execFileSync } from 'node:child_process';

/**
 * The SBOM's timestamp: SOURCE_DATE_EPOCH when set; else the last git commit that touched one of the lock files
 * (what the SBOM describes did not change after it); else the Unix epoch. Never the clock: two runs on the
 * same input must give the same bytes.
 */
export function sbomTimestamp(env: NodeJS.ProcessEnv, root: string, lockFiles: string[]): Date {
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  if (env.SOURCE_DATE_EPOCH && Number.isFinite(epoch)) return new Date(epoch * 1000);
  if (lockFiles.length) {
    try {
      const out = execFileSync('git', ['-C', root, 'log', '-1', '--format=%ct', '--', ...lockFiles], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (/^\d+$/.test(out)) return new Date(Number(out) * 1000);
    } catch {
      /* not a git repository: fall through */
    }
  }
  return new Date(0);
}
