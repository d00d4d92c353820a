import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { resolveInside } from './paths.ts';

/**
 * Replaces `file` with `data` so that a reader sees either the old or the new bytes, never a mix, even if the
 * process dies: write a temp file in the same directory (same filesystem, so rename is atomic), fsync it, give
 * it the mode (and owner, when root) of the file it replaces, rename it over, fsync the directory. A target
 * that exists and is not a regular file (`/dev/null`, `/dev/stdout`, a FIFO) is written in place: renaming
 * over it would replace the device itself (as root, `-o /dev/null` used to turn /dev/null into a file).
 */
export function writeFileAtomic(file: string, data: Uint8Array, opts: { mode?: number } = {}): void {
  const dir = path.dirname(file);
  let prior: fs.Stats | undefined;
  try {
    prior = fs.statSync(file);
  } catch {
    prior = undefined;
  }
  if (prior && !prior.isFile()) {
    fs.writeFileSync(file, data);
    return;
  }
  const mode = opts.mode ?? (prior ? prior.mode & 0o7777 : 0o644);
  const tmp = path.join(dir, `.${path.basename(file)}.depwarden-${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = fs.openSync(tmp, 'wx', mode);
  try {
    try {
      let off = 0;
      while (off < data.length) off += fs.writeSync(fd, data, off, data.length - off);
      fs.fchmodSync(fd, mode); // openSync's mode is filtered by the umask
      if (prior && process.getuid?.() === 0) fs.fchownSync(fd, prior.uid, prior.gid);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, file);
  } catch (e) {
    fs.rmSync(tmp, { force: true });
    throw e;
  }
  fsyncDir(dir);
}

function fsyncDir(dir: string): void {
  // Makes the rename itself durable. Some filesystems refuse fsync on a directory; the rename still happened.
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch {
    /* best effort */
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/**
 * Writes a repository-relative `file` under `root` through the path guard (no `..`, no symbolic link on the way:
 * see resolveInside), creating missing parent directories. Returns the absolute path written.
 */
export function writeFileInside(root: string, file: string, data: Uint8Array, opts: { mode?: number } = {}): string {
  const abs = resolveInside(root, file);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  writeFileAtomic(abs, data, opts);
  return abs;
}
