import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { crc32, inflateRawSync } from 'node:zlib';

/**
 * A ZIP reader for hostile archives (OSV exports come from mirrors and USB sticks). It trusts nothing the archive
 * says: the central directory must fit in the file, entries may not overlap (the "better zip bomb" shares one
 * compressed body among thousands of entries), the sum of declared sizes must stay under a cap before anything is
 * inflated, each entry is inflated with its declared size as a hard output limit (zlib stops there), and the
 * inflated bytes must match the declared size and CRC-32. Entries are read one at a time, so memory holds one
 * entry, never the whole expansion. Supports stored and deflated entries and ZIP64.
 */
export interface ZipLimits {
  /** Largest inflated entry read; larger ones are reported, not read. */
  maxEntryBytes: number;
  /** Cap on the sum of declared inflated sizes of the entries read. */
  maxTotalBytes: number;
  /** The declared total may also not exceed this multiple of the archive's size (real OSV JSON: ~10x). */
  maxRatio: number;
}

export const DEFAULT_ZIP_LIMITS: ZipLimits = {
  maxEntryBytes: 8 * 1024 * 1024,
  maxTotalBytes: 4 * 1024 * 1024 * 1024,
  maxRatio: 100,
};
/** The ratio cap applies above this total only: tiny archives of tiny records compress oddly. */
const RATIO_FLOOR = 64 * 1024 * 1024;

export interface ZipEntry {
  name: string;
  method: number;
  flags: number;
  crc: number;
  compressedSize: number;
  size: number;
  localOffset: number;
}

/** An archive-level problem: the whole archive is refused. */
export class ZipError extends Error {}

interface Source {
  size: number;
  read(offset: number, length: number): Buffer;
  close(): void;
}

function bufferSource(buf: Uint8Array): Source {
  const b = Buffer.from(buf.buffer, buf.byteOffset, buf.byteLength);
  return { size: b.length, read: (o, n) => b.subarray(o, o + n), close: () => {} };
}

/** Bytes read from the file at a time: entries are visited in file order, so most reads are served from memory. */
const WINDOW = 4 * 1024 * 1024;

/**
 * A file read through one sliding window: a 200,000-entry export is two sequential passes instead of 400,000
 * small reads and buffers. What `read` returns is a view of a window buffer, which is never written again.
 */
function fileSource(file: string): Source {
  const fd = openSync(file, 'r');
  const size = fstatSync(fd).size;
  let win = Buffer.alloc(0);
  let winAt = 0;
  return {
    size,
    read(o, n) {
      const want = Math.max(0, Math.min(n, size - o));
      if (o >= winAt && o + want <= winAt + win.length) return win.subarray(o - winAt, o - winAt + want);
      const buf = Buffer.allocUnsafe(Math.min(Math.max(want, WINDOW), size - o));
      let got = 0;
      while (got < buf.length) {
        const k = readSync(fd, buf, got, buf.length - got, o + got);
        if (k === 0) break;
        got += k;
      }
      win = buf.subarray(0, got);
      winAt = o;
      return win.subarray(0, Math.min(want, got));
    },
    close: () => closeSync(fd),
  };
}

const u64 = (b: Buffer, at: number): number => {
  const v = b.readBigUInt64LE(at);
  if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new ZipError('a ZIP64 size or offset is out of range');
  return Number(v);
};

function centralDirectory(src: Source): { entries: ZipEntry[]; cdOffset: number } {
  if (src.size < 22) throw new ZipError('too short to be a zip archive');
  const tailLen = Math.min(src.size, 22 + 0xffff + 20);
  const tail = src.read(src.size - tailLen, tailLen);
  // The end record is the last signature whose comment reaches exactly the end of the file.
  let eocd = -1;
  for (let i = tail.length - 22; i >= 0; i--) {
    if (tail.readUInt32LE(i) === 0x06054b50 && i + 22 + tail.readUInt16LE(i + 20) === tail.length) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0) throw new ZipError('no end-of-central-directory record (truncated, or not a zip)');
  let count = tail.readUInt16LE(eocd + 10);
  let cdSize = tail.readUInt32LE(eocd + 12);
  let cdOffset = tail.readUInt32LE(eocd + 16);
  let cdEnd = src.size - tailLen + eocd;
  if (count === 0xffff || cdSize === 0xffffffff || cdOffset === 0xffffffff) {
    const loc = eocd - 20;
    if (loc < 0 || tail.readUInt32LE(loc) !== 0x07064b50) throw new ZipError('ZIP64 end-of-central-directory locator missing');
    const recAt = u64(tail, loc + 8);
    if (recAt + 56 > src.size) throw new ZipError('ZIP64 end-of-central-directory record is out of range');
    const rec = src.read(recAt, 56);
    if (rec.readUInt32LE(0) !== 0x06064b50) throw new ZipError('ZIP64 end-of-central-directory record missing');
    count = u64(rec, 32);
    cdSize = u64(rec, 40);
    cdOffset = u64(rec, 48);
    cdEnd = recAt;
  }
  if (cdOffset + cdSize > cdEnd) throw new ZipError('the central directory lies outside the archive (truncated?)');
  if (count * 46 > cdSize) throw new ZipError(`the central directory is too small for ${count} entries`);
  const cd = src.read(cdOffset, cdSize);
  const entries: ZipEntry[] = [];
  let p = 0;
  for (let i = 0; i < count; i++) {
    if (p + 46 > cd.length || cd.readUInt32LE(p) !== 0x02014b50) throw new ZipError(`central directory entry ${i + 1} is damaged`);
    const nameLen = cd.readUInt16LE(p + 28);
    const extraLen = cd.readUInt16LE(p + 30);
    const commentLen = cd.readUInt16LE(p + 32);
    if (p + 46 + nameLen + extraLen + commentLen > cd.length) throw new ZipError(`central directory entry ${i + 1} is damaged`);
    const e: ZipEntry = {
      name: cd.toString('utf8', p + 46, p + 46 + nameLen),
      flags: cd.readUInt16LE(p + 8),
      method: cd.readUInt16LE(p + 10),
      crc: cd.readUInt32LE(p + 16),
      compressedSize: cd.readUInt32LE(p + 20),
      size: cd.readUInt32LE(p + 24),
      localOffset: cd.readUInt32LE(p + 42),
    };
    // ZIP64 extra field: the 64-bit values, in this order, of the fields that are 0xFFFFFFFF.
    let x = p + 46 + nameLen;
    const xEnd = x + extraLen;
    while (x + 4 <= xEnd) {
      const id = cd.readUInt16LE(x);
      const len = cd.readUInt16LE(x + 2);
      if (id === 0x0001) {
        let q = x + 4;
        for (const k of ['size', 'compressedSize', 'localOffset'] as const) {
          if (e[k] !== 0xffffffff) continue;
          if (q + 8 > x + 4 + len) throw new ZipError(`entry ${e.name}: ZIP64 field is damaged`);
          e[k] = u64(cd, q);
          q += 8;
        }
      }
      x += 4 + len;
    }
    entries.push(e);
    p += 46 + nameLen + extraLen + commentLen;
  }
  return { entries, cdOffset };
}

/**
 * Calls `onEntry` with each wanted entry's bytes, in archive order. Throws ZipError for a damaged or hostile
 * archive; `onSkip` hears about entries that are merely unreadable (too large, encrypted, unknown method).
 */
export function readZipEntries(
  input: Uint8Array | { file: string },
  want: (name: string) => boolean,
  onEntry: (name: string, bytes: Buffer) => void,
  onSkip: (name: string, reason: string) => void,
  limits: ZipLimits = DEFAULT_ZIP_LIMITS,
): void {
  const src = input instanceof Uint8Array ? bufferSource(input) : fileSource(input.file);
  try {
    const { entries, cdOffset } = centralDirectory(src);
    // Overlap check over every entry, wanted or not: local header + body must end before the next one starts.
    // (The "better zip bomb" points thousands of entries at one compressed body.)
    const byOffset = [...entries].sort((a, b) => a.localOffset - b.localOffset);
    const dataAt = new Map<ZipEntry, number>();
    let prevEnd = 0;
    let prevName = '';
    for (const e of byOffset) {
      if (e.localOffset < prevEnd) throw new ZipError(`entries ${prevName} and ${e.name} overlap (a zip bomb construction)`);
      const head = src.read(e.localOffset, 30);
      if (head.length < 30 || head.readUInt32LE(0) !== 0x04034b50) throw new ZipError(`entry ${e.name}: local header missing (truncated?)`);
      const at = e.localOffset + 30 + head.readUInt16LE(26) + head.readUInt16LE(28);
      dataAt.set(e, at);
      prevEnd = at + e.compressedSize;
      prevName = e.name;
      if (prevEnd > cdOffset) throw new ZipError(`entry ${e.name} runs past the central directory (truncated?)`);
    }
    const picked: ZipEntry[] = [];
    let declared = 0;
    for (const e of byOffset) {
      if (!want(e.name) || e.name.endsWith('/')) continue;
      if (e.flags & 0x1) onSkip(e.name, 'encrypted');
      else if (e.method !== 0 && e.method !== 8) onSkip(e.name, `compression method ${e.method} is not supported`);
      else if (e.size > limits.maxEntryBytes) onSkip(e.name, `${e.size} bytes, more than the ${limits.maxEntryBytes}-byte limit for one record`);
      else {
        picked.push(e);
        declared += e.size;
      }
    }
    const cap = Math.min(limits.maxTotalBytes, Math.max(RATIO_FLOOR, src.size * limits.maxRatio));
    if (declared > cap) throw new ZipError(`its entries would expand to ${(declared / 1e9).toFixed(2)} GB, more than the limit of ${(cap / 1e9).toFixed(2)} GB for a ${(src.size / 1e6).toFixed(1)} MB archive (a zip bomb?)`);
    for (const e of picked) {
      const body = src.read(dataAt.get(e)!, e.compressedSize);
      let out: Buffer;
      if (e.method === 0) {
        if (e.compressedSize !== e.size) throw new ZipError(`entry ${e.name}: stored size ${e.compressedSize} differs from its declared size ${e.size}`);
        out = body;
      } else {
        try {
          // The declared size is a hard limit: zlib stops the moment the output would pass it.
          out = e.size === 0 ? Buffer.alloc(0) : inflateRawSync(body, { maxOutputLength: e.size });
        } catch (err) {
          const code = (err as { code?: string }).code;
          if (code === 'ERR_BUFFER_TOO_LARGE') throw new ZipError(`entry ${e.name} inflates beyond its declared size (${e.size} bytes)`);
          throw new ZipError(`entry ${e.name}: ${err instanceof Error ? err.message : String(err)}`);
        }
        if (out.length !== e.size) throw new ZipError(`entry ${e.name} inflates to ${out.length} bytes, not the declared ${e.size}`);
      }
      if (crc32(out) !== e.crc) throw new ZipError(`entry ${e.name} fails its CRC-32 check (the archive is damaged or altered)`);
      onEntry(e.name, out);
    }
  } finally {
    src.close();
  }
}
