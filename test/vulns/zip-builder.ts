import { crc32, deflateRawSync } from 'node:zlib';

/**
 * Writes ZIP archives by hand, so tests can build what no well-behaved zipper writes: entries that lie about their
 * size, entries sharing one compressed body, ZIP64 records, bad CRCs.
 */
export interface RawEntry {
  name: string;
  /** The bytes the entry really holds (before compression). */
  data: Uint8Array;
  method?: 0 | 8;
  /** Overrides for what the headers claim. */
  declaredSize?: number;
  crc?: number;
  /** Point this entry's central record at an earlier entry's local header (index), instead of its own body. */
  shareWith?: number;
}

export function buildZip(entries: RawEntry[], opts: { zip64?: boolean } = {}): Buffer {
  // Bombs repeat one body: compress and checksum each distinct data array once.
  const memo = new Map<Uint8Array, { comp: Buffer; crc: number }>();
  const packed = (data: Uint8Array, method: number) => {
    let m = memo.get(data);
    if (!m) memo.set(data, (m = { comp: method === 8 ? deflateRawSync(data) : Buffer.from(data), crc: crc32(data) }));
    return m;
  };
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  const offsets: number[] = [];
  const bodies: { csize: number; crc: number; size: number; method: number }[] = [];
  for (const [i, e] of entries.entries()) {
    const method = e.method ?? 8;
    const name = Buffer.from(e.name);
    let at = offset;
    let body: { csize: number; crc: number; size: number; method: number };
    if (e.shareWith !== undefined) {
      at = offsets[e.shareWith]!;
      body = { ...bodies[e.shareWith]!, size: e.declaredSize ?? bodies[e.shareWith]!.size };
    } else {
      const { comp, crc } = packed(e.data, method);
      body = { csize: comp.length, crc: e.crc ?? crc, size: e.declaredSize ?? e.data.length, method };
      const local = Buffer.alloc(30);
      local.writeUInt32LE(0x04034b50, 0);
      local.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
      local.writeUInt16LE(0x0800, 6);
      local.writeUInt16LE(method, 8);
      local.writeUInt32LE(body.crc, 14);
      local.writeUInt32LE(body.csize, 18);
      local.writeUInt32LE(body.size, 22);
      local.writeUInt16LE(name.length, 26);
      parts.push(local, name, comp);
      offset += 30 + name.length + comp.length;
    }
    offsets[i] = at;
    bodies[i] = body;
    const extra = opts.zip64 ? Buffer.alloc(28) : Buffer.alloc(0);
    if (opts.zip64) {
      extra.writeUInt16LE(0x0001, 0);
      extra.writeUInt16LE(24, 2);
      extra.writeBigUInt64LE(BigInt(body.size), 4);
      extra.writeBigUInt64LE(BigInt(body.csize), 12);
      extra.writeBigUInt64LE(BigInt(at), 20);
    }
    const c = Buffer.alloc(46);
    c.writeUInt32LE(0x02014b50, 0);
    c.writeUInt16LE(opts.zip64 ? 45 : 20, 4);
    c.writeUInt16LE(opts.zip64 ? 45 : 20, 6);
    c.writeUInt16LE(0x0800, 8);
    c.writeUInt16LE(body.method, 10);
    c.writeUInt32LE(body.crc, 16);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : body.csize, 20);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : body.size, 24);
    c.writeUInt16LE(name.length, 28);
    c.writeUInt16LE(extra.length, 30);
    c.writeUInt32LE(opts.zip64 ? 0xffffffff : at, 42);
    central.push(c, name, extra);
  }
  const cd = Buffer.concat(central);
  const cdOffset = offset;
  const tail: Buffer[] = [];
  if (opts.zip64) {
    const z = Buffer.alloc(56);
    z.writeUInt32LE(0x06064b50, 0);
    z.writeBigUInt64LE(44n, 4);
    z.writeUInt16LE(45, 12);
    z.writeUInt16LE(45, 14);
    z.writeBigUInt64LE(BigInt(entries.length), 24);
    z.writeBigUInt64LE(BigInt(entries.length), 32);
    z.writeBigUInt64LE(BigInt(cd.length), 40);
    z.writeBigUInt64LE(BigInt(cdOffset), 48);
    const loc = Buffer.alloc(20);
    loc.writeUInt32LE(0x07064b50, 0);
    loc.writeBigUInt64LE(BigInt(cdOffset + cd.length), 8);
    loc.writeUInt32LE(1, 16);
    tail.push(z, loc);
  }
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 8);
  end.writeUInt16LE(opts.zip64 ? 0xffff : entries.length, 10);
  end.writeUInt32LE(opts.zip64 ? 0xffffffff : cd.length, 12);
  end.writeUInt32LE(opts.zip64 ? 0xffffffff : cdOffset, 16);
  return Buffer.concat([...parts, cd, ...tail, end]);
}
