import { processAlive } from '../util/process-alive.ts';
import { readServerFile } from './server.ts';

/**
 * How `repo` and `token` reach a server's store: through a running server's API (`--server URL` with
 * DEPWARDEN_TOKEN, or the server holding `--data DIR`, found by its hand-off file and local credential — PGlite
 * is one process's database), else directly. Writes are sent once, never retried: a POST that timed out may have
 * happened (the shared HTTP client retries, which suits reads from registries, not this).
 */
export interface Remote {
  url: string;
  token: string;
}

export class RemoteError extends Error {
  readonly status: number;
  constructor(message: string, status: number) {
    super(message);
    this.status = status;
  }
}

export function runningServer(dataDir: string): Remote | undefined {
  const f = readServerFile(dataDir);
  if (!f || !processAlive(f.pid)) return undefined;
  return { url: f.url, token: f.token };
}

export async function call<T>(remote: Remote, method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown): Promise<T> {
  const url = new URL(path, remote.url);
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers: { authorization: `Bearer ${remote.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      signal: AbortSignal.timeout(30_000),
      redirect: 'error',
    });
  } catch (e) {
    throw new RemoteError(`cannot reach the server at ${url.origin}: ${(e as Error).cause instanceof Error ? ((e as Error).cause as Error).message : (e as Error).message}`, 0);
  }
  const text = await res.text();
  let json: unknown;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  if (!res.ok) {
    const err = json as { error?: string; issues?: { path: string; message: string }[] } | undefined;
    throw new RemoteError(`server ${url.origin} answered ${res.status}: ${err?.error ?? text.slice(0, 200)}${err?.issues ? ` (${err.issues.map((i) => `${i.path}: ${i.message}`).join('; ')})` : ''}`, res.status);
  }
  return json as T;
}
