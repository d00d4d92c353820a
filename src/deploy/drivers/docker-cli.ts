import { execFile } from 'node:child_process';
import { DeployError, EngineUnreachableError } from '../errors.ts';

/**
 * The Docker engine through the real `docker` CLI (the same binary an operator uses, so what depwarden does can be
 * replayed by hand). Bounded: every call has a deadline. A daemon that does not answer becomes
 * EngineUnreachableError, every other failure a DeployError with docker's own message.
 */
export function docker(args: string[], opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('docker', args, { encoding: 'utf8', timeout: opts.timeoutMs ?? 60_000, maxBuffer: 64 << 20, env: opts.env ?? process.env }, (err, stdout, stderr) => {
      if (!err) return resolve(stdout.trim());
      const msg = (stderr || err.message).trim().split('\n').slice(-3).join(' ');
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT') return reject(new EngineUnreachableError('the docker CLI is not installed (apt-get install -y docker.io)'));
      if (/No such image/i.test(msg)) return reject(new DeployError(`docker ${args[0]}: ${msg}`, 2));
      if (/Cannot connect to the Docker daemon|Is the docker daemon running|error during connect|connection refused/i.test(msg)) return reject(new EngineUnreachableError(`the Docker engine is unreachable: ${msg}`));
      if ((err as { killed?: boolean }).killed) return reject(new EngineUnreachableError(`docker ${args[0]} did not answer within ${opts.timeoutMs ?? 60_000} ms`));
      reject(new DeployError(`docker ${args.slice(0, 2).join(' ')} failed: ${msg}`, 3));
    });
  });
}

/** The content digest (image ID, `sha256:…`) of a local image, or undefined when the engine has no such image. */
export async function localImageId(ref: string, env?: NodeJS.ProcessEnv): Promise<string | undefined> {
  try {
    return await docker(['image', 'inspect', '--format', '{{.Id}}', ref], env ? { env } : {});
  } catch (e) {
    if (e instanceof EngineUnreachableError) throw e;
    return undefined;
  }
}
