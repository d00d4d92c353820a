import { spawnSync } from 'node:child_process';

/**
 * A system tool a test needs (Poetry, ssh-keygen, prometheus, docker...). Outside CI a missing tool skips the test
 * with a message naming the tool and how to install it; under CI=true it fails the file, so CI never hides a skip
 * (.ci/run installs every tool). Use as `describe(name, { skip: needTool('poetry', 'apt-get install python3-poetry') }, ...)`.
 */
export function needTool(tool: string, install: string, args: string[] = ['--version'], opts: { mustSucceed?: boolean } = {}): string | false {
  const r = spawnSync(tool, args, { stdio: 'ignore', timeout: 30_000 });
  // Any exit status proves the tool runs, unless the probe itself must succeed (python3 -c 'import packaging').
  if (!r.error && r.status !== null && (!opts.mustSucceed || r.status === 0)) return false;
  const why = `${tool} is not installed (${install})`;
  if (process.env.CI === 'true') throw new Error(`${why}: under CI every tool the tests need must be installed by .ci/run`);
  return why;
}
