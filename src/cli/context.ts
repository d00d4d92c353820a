import { writeSync } from 'node:fs';
import { isMainThread, workerData } from 'node:worker_threads';
/** What a command may touch of the outside world; injected so tests run commands in-process. */
export interface CliContext {
  cwd: string;
  env: NodeJS.ProcessEnv;
  stdout: (s: string) => void;
  stderr: (s: string) => void;
  /** True when stdout is an interactive terminal (colour, progress bars). */
  isTTY: boolean;
}

/** Documented exit codes (README, docs/cli.md). */
export const EXIT = {
  ok: 0,
  /** Findings at or above --fail-on. */
  findings: 1,
  /** Bad usage, bad config, missing input. */
  usage: 2,
  /** Something depwarden did not expect: a bug. */
  internal: 3,
  /** The command exists in the design but is not built yet. */
  notBuilt: 4,
  /** A network service could not be reached or refused the request (registry, GitHub, OSV mirror). */
  network: 5,
  /** git failed: not a repository, no commit, a remote that cannot be reached, a push refused. */
  git: 6,
  /** The state store failed: DATABASE_URL unreachable, a missing database, the embedded store unusable, a full disk. */
  store: 7,
  /** The operating system refused access to a file or directory (EACCES, EPERM, read-only file system). */
  permission: 8,
} as const;

/** An error whose message is meant for the user as is (no stack trace). */
export class UserError extends Error {
  readonly exitCode: number;
  constructor(message: string, exitCode: number = EXIT.usage) {
    super(message);
    this.exitCode = exitCode;
  }
}

/**
 * In the launcher's audit worker, process.stdout posts every chunk to the main thread, which holds a second copy
 * of a 10 MB report (~40 MB more peak): the worker writes to the process's fd 1 itself, waiting out a full pipe.
 */
function writeFd(fd: number, s: string): void {
  const buf = Buffer.from(s, 'utf8');
  let off = 0;
  while (off < buf.length) {
    try {
      off += writeSync(fd, buf, off);
    } catch (e) {
      // The reader went away (`| head`): the rest of the report has nobody to go to.
      if ((e as NodeJS.ErrnoException).code === 'EPIPE') return;
      if ((e as NodeJS.ErrnoException).code !== 'EAGAIN') throw e;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 5);
    }
  }
}

/**
 * Set when the reader of stdout has gone (`depwarden sbom | head`): the rest of the output is dropped and the
 * command finishes its work, instead of Node's unhandled-EPIPE stack trace.
 */
let stdoutClosed = false;
function watchStdout(): void {
  if (!isMainThread || process.stdout.listeners('error').includes(onStdoutError)) return;
  process.stdout.on('error', onStdoutError);
}
function onStdoutError(e: NodeJS.ErrnoException): void {
  if (e.code === 'EPIPE' || e.code === 'ERR_STREAM_DESTROYED') {
    stdoutClosed = true;
    return;
  }
  throw e;
}

export function processContext(): CliContext {
  watchStdout();
  return {
    cwd: process.cwd(),
    env: process.env,
    stdout: (s) => (isMainThread ? stdoutClosed || process.stdout.write(s) : writeFd(1, s)),
    stderr: (s) => process.stderr.write(s),
    // In the launcher's audit worker (bin/depwarden.js) stdout is a pipe to the main thread, which says what it is.
    isTTY: Boolean(process.stdout.isTTY) || (workerData as { stdoutIsTTY?: boolean } | null)?.stdoutIsTTY === true,
  };
}

/** Exit code holder shared by main() and the command actions. */
export interface RunResult {
  code: number;
}

/** Every command module exports one of these; main() calls them all. */
export type RegisterCommand = (program: import('commander').Command, ctx: CliContext, result: RunResult) => void;
