import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fetchBytes, type FetchOptions } from '../http/client.ts';
import { readDirectory, readRecord, readZip } from './import.ts';
import type { Advisory } from './osv-record.ts';
import { AdvisoryDb, commitChanges, compareModified, type DbMeta, type EcosystemChange, RecordSet } from './store.ts';

export const DEFAULT_OSV_BASE = 'https://osv-vulnerabilities.storage.googleapis.com';

export interface SyncOptions {
  dbDir: string;
  base: string;
  ecosystems: string[];
  /** Above this many changed records an incremental sync downloads all.zip instead. */
  incrementalLimit?: number;
  http?: Partial<FetchOptions>;
  log?: (line: string) => void;
  progress?: (label: string, received: number, total: number | undefined) => void;
  now?: () => Date;
}

export interface SyncReport {
  mode: Record<string, 'full' | 'incremental' | 'unchanged'>;
  advisories: number;
  invalid: number;
  /** The live generation afterwards (unchanged when nothing newer arrived). */
  dir: string | undefined;
  written: boolean;
}

/**
 * Brings the local database up to date from an OSV export (osv.dev's bucket, a mirror, or a file:// directory):
 * all.zip the first time, then only the records `modified_id.csv` lists as changed since the last sync. Only data
 * that parses and is newer advances the database: an empty or unparseable `modified_id.csv`, one older than the
 * watermark, an all.zip without advisories of its ecosystem or older than the database's copy, an unreadable
 * changed record — each is an error, and the database (its data and build time) stays as it was. Every ecosystem
 * is committed at once, under the writer lock, merged into whatever the database holds by then.
 */
export async function syncDb(opts: SyncOptions): Promise<SyncReport> {
  const log = opts.log ?? (() => {});
  const now = opts.now?.() ?? new Date();
  const base = opts.base.replace(/\/+$/, '');
  const baseUrl = new URL(base);
  const http: FetchOptions = { allowHosts: baseUrl.protocol === 'file:' ? [] : [baseUrl.hostname], ...opts.http };
  let meta: DbMeta | undefined;
  try {
    const existing = AdvisoryDb.open(opts.dbDir);
    meta = existing?.meta;
    existing?.close();
  } catch {
    meta = undefined; // damaged: a full sync rebuilds it
  }

  // A file:// directory without per-ecosystem exports is a plain tree of OSV documents: merge it in.
  if (baseUrl.protocol === 'file:') {
    const dir = fileURLToPath(baseUrl);
    const hasExports = opts.ecosystems.some((e) => existsSync(`${dir}/${e}/all.zip`));
    if (!hasExports && existsSync(dir) && statSync(dir).isDirectory()) {
      const groups = new RecordSet();
      const r = readDirectory(dir, (a) => groups.add(a));
      const wanted = opts.ecosystems.filter((e) => groups.get(e)?.size);
      if (!wanted.length) throw new Error(`${base} holds no readable advisory of ${opts.ecosystems.join(', ')}${r.invalid[0] ? ` (${r.invalid[0].where}: ${r.invalid[0].reason})` : ''}`);
      const c = commitChanges(opts.dbDir, wanted.map((e) => ({ ecosystem: e, records: groups.get(e)!, mode: 'merge', source: base })), { now, source: base, invalid: r.invalid, log });
      return { mode: Object.fromEntries(wanted.map((e) => [e, 'full'])), advisories: r.count, invalid: r.invalid.length, dir: c.dir, written: c.written };
    }
  }

  const mode: SyncReport['mode'] = {};
  const invalid: DbMeta['invalid'] = [];
  const changes: EcosystemChange[] = [];
  let count = 0;
  for (const eco of opts.ecosystems) {
    const em = meta?.ecosystems[eco];
    // A watermark is only worth something against the source that set it.
    const since = em && (em.source ?? meta!.source) === base ? (em.watermark ?? meta!.watermark[eco]) : undefined;
    const csvUrl = `${base}/${eco}/modified_id.csv`;
    const rows = parseModifiedCsv(new TextDecoder().decode(await fetchBytes(csvUrl, http)), csvUrl);
    const newest = rows[0]!.modified;
    if (since && compareModified(newest, since) < 0) throw new Error(`${csvUrl} is older than the database: its newest entry is ${newest}, the database already has ${since} (a stale mirror?)`);
    const changed = since ? rows.filter((r) => compareModified(r.modified, since) > 0) : undefined;
    if (changed && changed.length === 0) {
      mode[eco] = 'unchanged';
      log(`${eco}: up to date (newest change ${newest})`);
      continue;
    }
    if (changed && changed.length <= (opts.incrementalLimit ?? 2000)) {
      const got: Advisory[] = [];
      for (const row of changed) {
        const url = `${base}/${eco}/${encodeURIComponent(row.id)}.json`;
        const r = readRecord(`${eco}/${row.id}.json`, new TextDecoder().decode(await fetchBytes(url, http)));
        if ('reason' in r) throw new Error(`${url} is not a readable OSV record: ${r.reason}`);
        if (r.id !== row.id) throw new Error(`${url} holds ${r.id}, not ${row.id}`);
        got.push(r);
      }
      changes.push({ ecosystem: eco, advisories: got, mode: 'merge', source: base, watermark: newest });
      count += got.length;
      mode[eco] = 'incremental';
      log(`${eco}: ${changed.length} changed advisories fetched`);
    } else {
      const zip = await fetchBytes(`${base}/${eco}/all.zip`, { ...http, onProgress: (n, t) => opts.progress?.(`${eco}/all.zip`, n, t) });
      const set = new RecordSet();
      const r = readZip(zip, `${eco}/all.zip`, undefined, (a) => set.add(a));
      const mine = set.get(eco);
      if (!mine?.size) throw new Error(`${base}/${eco}/all.zip holds no readable ${eco} advisory${r.invalid[0] ? ` (${r.invalid[0].reason})` : ''}`);
      invalid.push(...r.invalid);
      changes.push({ ecosystem: eco, records: mine, mode: 'replace', source: base, watermark: newest });
      count += mine.size;
      mode[eco] = 'full';
      log(`${eco}: ${mine.size} advisories downloaded${r.invalid.length ? `, ${r.invalid.length} unreadable` : ''}`);
    }
  }
  const c = commitChanges(opts.dbDir, changes, { now, source: base, invalid, log, allOrNothing: true });
  const refused = c.outcomes.filter((o) => o.result === 'refused');
  if (refused.length) throw new Error(refused.map((o) => `${base}/${o.ecosystem}/all.zip is older than the database's ${o.ecosystem} data (newest advisory ${o.newest} < ${o.previousNewest})`).join('; '));
  return { mode, advisories: count, invalid: invalid.length, dir: c.dir, written: c.written };
}

/**
 * `modified_id.csv`: "<RFC 3339 time>,<id>" per line, newest first. Anything else (an HTML error page, an empty
 * answer, a damaged line) is an error naming the line: a mirror that answers garbage must not read as "no changes".
 */
export function parseModifiedCsv(text: string, where = 'modified_id.csv'): { modified: string; id: string }[] {
  const out: { modified: string; id: string }[] = [];
  const lines = text.split(/\r?\n/);
  for (const [i, raw] of lines.entries()) {
    const line = raw.trim();
    if (!line) continue;
    const m = /^(\d{4}-\d\d-\d\dT[\d:.]+(?:Z|[+-]\d\d:\d\d)?),([A-Za-z0-9][\w.:-]*)$/.exec(line);
    if (!m || Number.isNaN(Date.parse(m[1]!))) throw new Error(`${where} line ${i + 1} is not "<time>,<id>": ${JSON.stringify(line.slice(0, 80))}`);
    out.push({ modified: m[1]!, id: m[2]! });
  }
  if (!out.length) throw new Error(`${where} is empty: no record is listed`);
  return out.sort((a, b) => -compareModified(a.modified, b.modified));
}
