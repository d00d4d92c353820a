import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { UserError } from '../cli/context.ts';
import { processAlive as alive } from '../util/process-alive.ts';

/**
 * The writers' lock of an advisory database: `<dir>/LOCK`, created with O_EXCL, holding {pid, host, since}.
 * Imports and syncs take it for the read-merge-write-swap of a generation (never for downloads), so concurrent
 * writers queue instead of overwriting each other. Readers never take it. A lock whose holder is gone (same host,
 * process no longer running; another host, older than STALE_FOREIGN_MS) is taken over.
 */
export const LOCK_FILE = 'LOCK';
const STALE_FOREIGN_MS = 30 * 60_000;
/** A lock file still empty after this long was left by a writer that died between create and write. */
const STALE_EMPTY_MS = 10_000;

interface Holder {
  pid: number;
  host: string;
  since: string;
}

const sleeper = new Int32Array(new SharedArrayBuffer(4));
/** Blocks this thread: the database's readers and writers are synchronous. */
export const sleepSync = (ms: number): void => void Atomics.wait(sleeper, 0, 0, ms);

function readHolder(file: string): { holder?: Holder; text: string; mtimeMs: number } | undefined {
  try {
    const text = readFileSync(file, 'utf8');
    const mtimeMs = statSync(file).mtimeMs;
    try {
      return { holder: JSON.parse(text) as Holder, text, mtimeMs };
    } catch {
      return { text, mtimeMs };
    }
  } catch {
    return undefined; // released meanwhile
  }
}

function isStale(h: NonNullable<ReturnType<typeof readHolder>>): boolean {
  if (!h.holder || typeof h.holder.pid !== 'number') return Date.now() - h.mtimeMs > STALE_EMPTY_MS;
  if (h.holder.host === hostname()) return h.holder.pid !== process.pid && !alive(h.holder.pid);
  return Date.now() - h.mtimeMs > STALE_FOREIGN_MS;
}

/** Runs `fn` holding the database's writer lock; waits up to `timeoutMs` for another writer to finish. */
export function withDbLock<T>(dir: string, fn: () => T, timeoutMs = 10 * 60_000): T {
  const file = path.join(dir, LOCK_FILE);
  const token = JSON.stringify({ pid: process.pid, host: hostname(), since: new Date().toISOString() } satisfies Holder);
  const deadline = Date.now() + timeoutMs;
  let wait = 5;
  for (;;) {
    try {
      const fd = openSync(file, 'wx');
      try {
        writeSync(fd, token);
      } finally {
        closeSync(fd);
      }
      break;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    const h = readHolder(file);
    if (h && isStale(h)) {
      // Re-read just before removing, so a lock another waiter took over meanwhile is not removed.
      if (readHolder(file)?.text === h.text) {
        try {
          unlinkSync(file);
        } catch {
          /* another waiter removed it first */
        }
      }
      continue;
    }
    if (Date.now() > deadline) {
      const who = h?.holder ? `process ${h.holder.pid} on ${h.holder.host} since ${h.holder.since}` : 'another process';
      throw new UserError(`the advisory database at ${dir} is locked by ${who}; waited ${Math.round(timeoutMs / 1000)} s. If no depwarden is running there, remove ${file}`);
    }
    sleepSync(wait);
    wait = Math.min(wait * 2, 200);
  }
  try {
    return fn();
  } finally {
    if (readHolder(file)?.text === token) unlinkSync(file);
  }
}
