import { spawn } from 'node:child_process';
import { redactSecrets } from '../util/redact.ts';

/** A relock tool failed, timed out or could not start; the message carries its redacted output. */
export class RelockError extends Error {
  override name = 'RelockError';
  readonly exitCode: number | undefined;
  readonly output: string;
  constructor(message: string, exitCode?: number, output = '') {
    super(message);
    this.exitCode = exitCode;
    this.output = output;
  }
}

export { redactSecrets } from '../util/redact.ts';

const CAP = 2 * 1024 * 1024;

export interface ToolResult {
  stdout: string;
  stderr: string;
  ms: number;
}

/**
 * Runs one tool to completion with no stdin, a fixed environment and a timeout. The child gets its own process
 * group so a timeout kills whatever it started too (by that group's id, nothing else). Output is capped.
 */
export function runTool(command: string, args: string[], opts: { cwd: string; env: NodeJS.ProcessEnv; timeoutMs: number }): Promise<ToolResult> {
  const started = performance.now();
  const shown = `${command} ${args.join(' ')}`;
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(command, args, { cwd: opts.cwd, env: opts.env, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    } catch (e) {
      reject(new RelockError(`cannot start ${shown}: ${(e as Error).message}`));
      return;
    }
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let size = 0;
    const keep = (into: Buffer[]) => (b: Buffer) => {
      if (size < CAP) into.push(b);
      size += b.length;
    };
    child.stdout.on('data', keep(out));
    child.stderr.on('data', keep(err));
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        child.kill('SIGKILL');
      }
    }, opts.timeoutMs);
    child.on('error', (e) => {
      clearTimeout(timer);
      reject(new RelockError(`cannot start ${shown}: ${e.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      const stdout = Buffer.concat(out).toString('utf8');
      const stderr = Buffer.concat(err).toString('utf8');
      const ms = Math.round(performance.now() - started);
      if (code === 0 && !timedOut) {
        resolve({ stdout, stderr, ms });
        return;
      }
      const output = redactSecrets(`${stderr}\n${stdout}`.trim());
      const tail = output.split('\n').slice(-40).join('\n');
      const why = timedOut ? `timed out after ${opts.timeoutMs} ms` : signal ? `killed by ${signal}` : `exit ${code}`;
      reject(new RelockError(`${redactSecrets(shown)} failed (${why}) in ${opts.cwd}${tail ? `:\n${tail}` : ''}`, code ?? undefined, output));
    });
  });
}

/** Environment variables a tool may inherit: locale, proxies, CA bundles; secrets only in the tool's own variables. */
export function baseEnv(extraPrefixes: string[]): NodeJS.ProcessEnv {
  const keep = /^(PATH|HOME|USER|LOGNAME|LANG|LC_[A-Z]+|TZ|TMPDIR|SYSTEMROOT|(HTTPS?|NO|ALL)_PROXY|(https?|no|all)_proxy|SSL_CERT_(FILE|DIR)|REQUESTS_CA_BUNDLE|NODE_EXTRA_CA_CERTS|XDG_CONFIG_HOME)$/;
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && (keep.test(k) || extraPrefixes.some((p) => k.startsWith(p)))) env[k] = v;
  return env;
}
