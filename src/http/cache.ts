import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { redact } from './client.ts';

/**
 * The on-disk HTTP cache of the datasources: one file per (method, URL, Accept), named by the sha256 of those three
 * (Accept is part of the key because one URL answers differently per Accept: PEP 691 JSON or HTML, OCI index or
 * manifest). A file holds one JSON line of metadata (status, ETag, Last-Modified, the few response headers the
 * datasources read, when it was stored) and then the body bytes. Request headers are never stored, so neither is
 * an Authorization header; URLs are stored redacted (no user, password or query) and only for people reading the
 * directory. Writes go to a temporary file renamed into place, so a reader never sees half an entry.
 */
export interface CacheEntry {
  status: number;
  etag?: string;
  lastModified?: string;
  /** Response headers kept for the datasources (content-type, link, docker-content-digest). */
  headers: Record<string, string>;
  /** When the answer was last confirmed by the server (ms since epoch). */
  storedAt: number;
  body: Uint8Array;
}

/** Response headers worth keeping: what the datasources read from a cached answer. */
export const KEPT_HEADERS = ['content-type', 'link', 'docker-content-digest', 'etag', 'last-modified'];

export function cacheKey(method: string, url: string, accept: string | undefined): string {
  return createHash('sha256').update(`${method} ${url}\n${accept ?? ''}`).digest('hex');
}

export class HttpCache {
  readonly dir: string;
  constructor(dir: string) {
    this.dir = dir;
  }

  private file(key: string): string {
    return path.join(this.dir, key.slice(0, 2), key);
  }

  read(key: string): CacheEntry | undefined {
    let raw: Buffer;
    try {
      raw = readFileSync(this.file(key));
    } catch {
      return undefined;
    }
    const nl = raw.indexOf(0x0a);
    if (nl < 0) return undefined;
    try {
      const meta = JSON.parse(raw.subarray(0, nl).toString('utf8')) as Omit<CacheEntry, 'body'> & { size: number };
      const body = new Uint8Array(raw.subarray(nl + 1));
      // A truncated file (disk full, killed writer on a filesystem without atomic rename) is a miss, not an answer.
      if (body.byteLength !== meta.size) return undefined;
      return { status: meta.status, ...(meta.etag ? { etag: meta.etag } : {}), ...(meta.lastModified ? { lastModified: meta.lastModified } : {}), headers: meta.headers, storedAt: meta.storedAt, body };
    } catch {
      return undefined;
    }
  }

  write(key: string, url: string, entry: CacheEntry): void {
    const file = this.file(key);
    mkdirSync(path.dirname(file), { recursive: true });
    const headers: Record<string, string> = {};
    for (const h of KEPT_HEADERS) if (entry.headers[h] !== undefined) headers[h] = entry.headers[h]!;
    const meta = { url: redact(url), status: entry.status, etag: entry.etag, lastModified: entry.lastModified, headers, storedAt: entry.storedAt, size: entry.body.byteLength };
    const tmp = `${file}.${randomBytes(6).toString('hex')}.tmp`;
    try {
      writeFileSync(tmp, Buffer.concat([Buffer.from(`${JSON.stringify(meta)}\n`, 'utf8'), entry.body]));
      renameSync(tmp, file);
    } catch (e) {
      rmSync(tmp, { force: true });
      throw e;
    }
  }
}
