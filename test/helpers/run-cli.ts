import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../../src/cli/main.ts';

/** An empty DEPWARDEN_HOME, so a developer's own advisory database never leaks into a test. */
const EMPTY_HOME = mkdtempSync(path.join(tmpdir(), 'dw-home-'));

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the CLI in-process with captured output (no TTY, so no colour). */
export async function runCli(args: string[], opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const code = await main(['node', 'depwarden', ...args], {
    cwd: opts.cwd ?? process.cwd(),
    env: { DEPWARDEN_HOME: EMPTY_HOME, ...opts.env },
    stdout: (s) => void (stdout += s),
    stderr: (s) => void (stderr += s),
    isTTY: false,
  });
  return { code, stdout, stderr };
}
