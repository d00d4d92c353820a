import { execFileSync } from 'node:child_process';

/**
 * The SBOM's timestamp: SOURCE_DATE_EPOCH when set; else, when every file it is built from (locks, manifests,
 * Dockerfiles, ...) is committed unchanged, the last commit that touched one of them (what the SBOM describes did
 * not change after it: two runs give the same bytes); else the current time. An uncommitted tree has no commit
 * that dates it, and 1970 would be a false date.
 */
export function sbomTimestamp(env: NodeJS.ProcessEnv, root: string, files: string[], now: () => Date = () => new Date()): Date {
  const epoch = Number(env.SOURCE_DATE_EPOCH);
  if (env.SOURCE_DATE_EPOCH && /^\d+$/.test(env.SOURCE_DATE_EPOCH.trim()) && Number.isFinite(epoch)) return new Date(epoch * 1000);
  if (files.length) {
    // Thousands of paths would overflow the command line: then the last commit under the root stands in.
    const pathspecs = files.reduce((n, f) => n + f.length + 1, 0) > 64_000 ? ['.'] : files;
    const git = (args: string[]): string => execFileSync('git', ['-C', root, ...args, '--', ...pathspecs], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 26 }).trim();
    try {
      // Modified, staged or untracked: the files are not what any commit holds.
      if (git(['status', '--porcelain', '--untracked-files=all']) === '') {
        const out = git(['log', '-1', '--format=%ct']);
        if (/^\d+$/.test(out)) return new Date(Number(out) * 1000);
      }
    } catch {
      /* not a git repository: fall through */
    }
  }
  return now();
}
