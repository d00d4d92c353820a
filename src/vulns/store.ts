import { closeSync, existsSync, fsyncSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, writeFileSync, writeSync } from 'node:fs';
import { depwardenHome } from '../util/home.ts';
import path from 'node:path';
import type { Advisory } from './osv-record.ts';

/**
 * The local advisory database: one directory per generation, swapped in by rewriting CURRENT (temp + rename),
 * so a sync that dies half-way leaves the previous generation in use.
 *
 *   <dir>/CURRENT                  name of the live generation
 *   <dir>/gen-<n>/records.jsonl    advisories, one per line, grouped by (ecosystem, package)
 *   <dir>/gen-<n>/index.json       {"PyPI": {"requests": [offset, length]}, ...} into records.jsonl
 *   <dir>/gen-<n>/meta.json        source, times, counts, invalid records
 *
 * A scan reads the index and then only the byte ranges of the packages it sees.
 */
export const STORE_FORMAT = 1;

export interface DbMeta {
  format: number;
  source: string;
  /** ISO time the database was built. */
  builtAt: string;
  ecosystems: Record<string, { advisories: number; packages: number; lastModified: string }>;
  /** Per ecosystem, the newest `modified_id.csv` time seen: the watermark of incremental sync. */
  watermark: Record<string, string>;
  /** Records that could not be read, with the reason (shown by `db status`). */
  invalid: { where: string; reason: string }[];
  advisories: number;
}

export function defaultDbDir(env: NodeJS.ProcessEnv): string {
  return path.join(depwardenHome(env), 'osv');
}

const keyOf = (ecosystem: string, name: string): string => `${ecosystem}\0${name}`;

/** Writes a new generation and makes it current atomically. Returns its directory. */
export function writeDb(dir: string, advisories: Advisory[], meta: Omit<DbMeta, 'format' | 'ecosystems' | 'advisories'>): string {
  mkdirSync(dir, { recursive: true });
  const byId = new Map<string, Advisory>();
  for (const a of advisories) {
    const prev = byId.get(a.id);
    if (!prev || prev.modified <= a.modified) byId.set(a.id, a);
  }
  const groups = new Map<string, Advisory[]>();
  for (const a of byId.values()) {
    for (const key of new Set(a.affected.map((x) => keyOf(x.ecosystem, x.name)))) {
      const list = groups.get(key) ?? [];
      list.push(a);
      groups.set(key, list);
    }
  }
  const gen = `gen-${Date.now().toString(36)}-${process.pid}`;
  const tmp = path.join(dir, `${gen}.tmp`);
  mkdirSync(tmp, { recursive: true });
  const index: Record<string, Record<string, [number, number]>> = {};
  const ecosystems: DbMeta['ecosystems'] = {};
  // Written piece by piece: one string of a whole export could pass V8's maximum string length.
  const recordsFd = openSync(path.join(tmp, 'records.jsonl'), 'w');
  let offset = 0;
  for (const key of [...groups.keys()].sort()) {
    const [eco, name] = key.split('\0') as [string, string];
    const list = groups.get(key)!.sort((a, b) => (a.id < b.id ? -1 : 1));
    const text = `${list.map((a) => JSON.stringify(a)).join('\n')}\n`;
    const len = Buffer.byteLength(text);
    (index[eco] ??= {})[name] = [offset, len];
    offset += len;
    writeSync(recordsFd, text);
    const e = (ecosystems[eco] ??= { advisories: 0, packages: 0, lastModified: '' });
    e.packages++;
  }
  for (const a of byId.values()) {
    for (const eco of new Set(a.affected.map((x) => x.ecosystem))) {
      const e = (ecosystems[eco] ??= { advisories: 0, packages: 0, lastModified: '' });
      e.advisories++;
      if (a.modified > e.lastModified) e.lastModified = a.modified;
    }
  }
  fsyncSync(recordsFd);
  closeSync(recordsFd);
  writeSynced(path.join(tmp, 'index.json'), JSON.stringify(index));
  const full: DbMeta = { format: STORE_FORMAT, ...meta, ecosystems, advisories: byId.size };
  writeSynced(path.join(tmp, 'meta.json'), `${JSON.stringify(full, null, 2)}\n`);
  renameSync(tmp, path.join(dir, gen));
  writeSynced(path.join(dir, 'CURRENT.tmp'), gen);
  renameSync(path.join(dir, 'CURRENT.tmp'), path.join(dir, 'CURRENT'));
  // Keep the live generation and the one before it; drop older ones and leftovers of interrupted runs.
  const gens = readdirSync(dir).filter((d) => d.startsWith('gen-') && d !== gen).sort();
  for (const old of gens.filter((d) => d.endsWith('.tmp')).concat(gens.filter((d) => !d.endsWith('.tmp')).slice(0, -1))) {
    rmSync(path.join(dir, old), { recursive: true, force: true });
  }
  return path.join(dir, gen);
}

function writeSynced(file: string, text: string): void {
  const fd = openSync(file, 'w');
  try {
    writeFileSync(fd, text);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/** Read side of the store. Opening reads only meta and index; lookups read one byte range each. */
export class AdvisoryDb {
  readonly dir: string;
  readonly meta: DbMeta;
  readonly #index: Record<string, Record<string, [number, number]>>;
  readonly #cache = new Map<string, Advisory[]>();
  #fd: number | undefined;

  private constructor(dir: string, meta: DbMeta, index: Record<string, Record<string, [number, number]>>) {
    this.dir = dir;
    this.meta = meta;
    this.#index = index;
  }

  /** The live generation under `dir`, or undefined when there is no database yet. Throws on a damaged one. */
  static open(dir: string): AdvisoryDb | undefined {
    const current = path.join(dir, 'CURRENT');
    if (!existsSync(current)) return undefined;
    const gen = path.join(dir, readFileSync(current, 'utf8').trim());
    const meta = JSON.parse(readFileSync(path.join(gen, 'meta.json'), 'utf8')) as DbMeta;
    if (meta.format !== STORE_FORMAT) throw new Error(`advisory database at ${dir} has format ${meta.format}; this depwarden reads format ${STORE_FORMAT}: run \`depwarden db sync\` again`);
    const index = JSON.parse(readFileSync(path.join(gen, 'index.json'), 'utf8')) as Record<string, Record<string, [number, number]>>;
    return new AdvisoryDb(gen, meta, index);
  }

  lookup(ecosystem: string, name: string): Advisory[] {
    const at = this.#index[ecosystem]?.[name];
    if (!at) return [];
    const key = `${ecosystem}\0${name}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    this.#fd ??= openSync(path.join(this.dir, 'records.jsonl'), 'r');
    const buf = Buffer.alloc(at[1]);
    readSync(this.#fd, buf, 0, at[1], at[0]);
    const list = buf
      .toString('utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Advisory);
    this.#cache.set(key, list);
    return list;
  }

  /** Every advisory (for incremental rebuilds), de-duplicated by id. */
  all(): Advisory[] {
    const byId = new Map<string, Advisory>();
    for (const line of readFileSync(path.join(this.dir, 'records.jsonl'), 'utf8').split('\n')) {
      if (!line) continue;
      const a = JSON.parse(line) as Advisory;
      byId.set(a.id, a);
    }
    return [...byId.values()];
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
  }
}
