import { execFileSync } from 'node:child_process';

/**
 * The SBOM's timestamp: SOURCE_DATE_EPOCH when set; else the last git commit that touched one of the files it
 * is built from (its locks, manifests, Dockerfiles, ...: what the SBOM describes did not change after it); else
 * the Unix epoch. Never the clock: two runs on the same input must give the same bytes.
 */
export function sbomTimestamp(env: NodeJS.ProcessEnv, root: string, files: string[]): Date {
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  if (env.SOURCE_DATE_EPOCH && Number.isFinite(epoch)) return new Date(epoch * 1000);
  if (files.length) {
    // Thousands of paths would overflow the command line: then the last commit under the root stands in.
    const pathspecs = files.reduce((n, f) => n + f.length + 1, 0) > 64_000 ? ['.'] : files;
    try {
      const out = execFileSync('git', ['-C', root, 'log', '-1', '--format=%ct', '--', ...pathspecs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
      if (/^\d+$/.test(out)) return new Date(Number(out) * 1000);
    } catch {
      /* not a git repository: fall through */
    }
  }
  return new Date(0);
}
