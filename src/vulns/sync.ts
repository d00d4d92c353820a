import { existsSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fetchBytes, type FetchOptions } from '../http/client.ts';
import { readDirectory, readRecord, readZip } from './import.ts';
import type { Advisory } from './osv-record.ts';
import { AdvisoryDb, type DbMeta, writeDb } from './store.ts';

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
  dir: string;
}

/**
 * Brings the local database up to date from an OSV export (osv.dev's bucket, a mirror, or a file:// directory):
 * all.zip the first time, then only the records `modified_id.csv` lists as changed since the last sync. The new
 * generation is written beside the old one and swapped in only when everything was read and verified.
 */
export async function syncDb(opts: SyncOptions): Promise<SyncReport> {
  const log = opts.log ?? (() => {});
  const base = opts.base.replace(/\/+$/, '');
  const baseUrl = new URL(base);
  const http: FetchOptions = { allowHosts: baseUrl.protocol === 'file:' ? [] : [baseUrl.hostname], ...opts.http };
  const existing = AdvisoryDb.open(opts.dbDir);
  const previous = existing && existing.meta.source === base ? existing : undefined;

  // A file:// directory without per-ecosystem exports is a plain tree of OSV documents: import it whole.
  if (baseUrl.protocol === 'file:') {
    const dir = fileURLToPath(baseUrl);
    const hasExports = opts.ecosystems.some((e) => existsSync(`${dir}/${e}/all.zip`));
    if (!hasExports && existsSync(dir) && statSync(dir).isDirectory()) {
      const r = readDirectory(dir);
      const written = writeDb(opts.dbDir, r.advisories, { source: base, builtAt: (opts.now?.() ?? new Date()).toISOString(), watermark: {}, invalid: r.invalid });
      return { mode: Object.fromEntries(opts.ecosystems.map((e) => [e, 'full'])), advisories: r.advisories.length, invalid: r.invalid.length, dir: written };
    }
  }

  const byEco = new Map<string, Advisory[]>();
  const old = previous?.all() ?? [];
  for (const a of old) {
    for (const eco of new Set(a.affected.map((x) => x.ecosystem))) {
      let list = byEco.get(eco);
      if (!list) byEco.set(eco, (list = []));
      list.push(a);
    }
  }
  const mode: SyncReport['mode'] = {};
  const watermark: Record<string, string> = { ...(previous?.meta.watermark ?? {}) };
  const invalid: DbMeta['invalid'] = [];

  for (const eco of opts.ecosystems) {
    const since = previous?.meta.watermark[eco];
    const csvText = new TextDecoder().decode(await fetchBytes(`${base}/${eco}/modified_id.csv`, http));
    const rows = parseModifiedCsv(csvText);
    const newest = rows[0]?.modified ?? since ?? '';
    const changed = since ? rows.filter((r) => r.modified > since) : undefined;
    if (changed && changed.length === 0) {
      mode[eco] = 'unchanged';
      log(`${eco}: up to date (${byEco.get(eco)?.length ?? 0} advisories)`);
      continue;
    }
    if (changed && changed.length <= (opts.incrementalLimit ?? 2000)) {
      const keep = new Map((byEco.get(eco) ?? []).map((a) => [a.id, a]));
      for (const row of changed) {
        const bytes = await fetchBytes(`${base}/${eco}/${encodeURIComponent(row.id)}.json`, http);
        const r = readRecord(`${eco}/${row.id}.json`, new TextDecoder().decode(bytes));
        if ('reason' in r) invalid.push(r);
        else keep.set(r.id, r);
      }
      byEco.set(eco, [...keep.values()]);
      mode[eco] = 'incremental';
      log(`${eco}: ${changed.length} changed advisories applied`);
    } else {
      const zip = await fetchBytes(`${base}/${eco}/all.zip`, { ...http, onProgress: (n, t) => opts.progress?.(`${eco}/all.zip`, n, t) });
      const r = readZip(zip, `${eco}/all.zip`);
      if (r.advisories.length === 0 && r.invalid.length > 0) throw new Error(`${eco}/all.zip holds no readable advisory (${r.invalid[0]!.reason})`);
      invalid.push(...r.invalid);
      byEco.set(eco, r.advisories);
      mode[eco] = 'full';
      log(`${eco}: ${r.advisories.length} advisories downloaded${r.invalid.length ? `, ${r.invalid.length} unreadable` : ''}`);
    }
    watermark[eco] = newest;
  }
  const all = [...byEco.values()].flat();
  const dir = writeDb(opts.dbDir, all, { source: base, builtAt: (opts.now?.() ?? new Date()).toISOString(), watermark, invalid });
  existing?.close();
  return { mode, advisories: new Set(all.map((a) => a.id)).size, invalid: invalid.length, dir };
}

/** `modified_id.csv`: "<RFC 3339 time>,<id>" per line, newest first. Malformed lines are skipped. */
export function parseModifiedCsv(text: string): { modified: string; id: string }[] {
  const out: { modified: string; id: string }[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^(\d{4}-\d\d-\d\dT[\d:.]+Z?),([A-Za-z0-9][\w.:-]*)$/.exec(line.trim());
    if (m) out.push({ modified: m[1]!, id: m[2]! });
  }
  return out.sort((a, b) => (a.modified < b.modified ? 1 : a.modified > b.modified ? -1 : 0));
}
