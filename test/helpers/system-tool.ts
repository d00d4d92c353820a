import { spawnSync } from 'node:child_process';

/**
 * A system tool a test needs. Present: undefined. Missing: under CI=true the test must fail (.ci/run installs
 * it), so this throws; elsewhere it returns the skip message with the install command.
 */
export function missingTool(command: string, install: string): string | undefined {
  const found = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' }).status === 0;
  if (found) return undefined;
  if (process.env.CI === 'true') throw new Error(`${command} is required under CI (install: ${install})`);
  return `${command} is not installed (${install})`;
}
