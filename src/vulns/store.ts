import { closeSync, existsSync, fsyncSync, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, renameSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { UserError } from '../cli/context.ts';
import { depwardenHome } from '../util/home.ts';
import { sleepSync, withDbLock } from './lock.ts';
import type { Advisory } from './osv-record.ts';

/**
 * The local advisory database: one directory per generation, swapped in by rewriting CURRENT (temp + rename).
 *
 *   <dir>/CURRENT                  name of the live generation
 *   <dir>/LOCK                     held by the one writer (lock.ts); readers never take it
 *   <dir>/gen-<n>/records.jsonl    advisories, one per line, grouped by (ecosystem, package); each record holds
 *                                  only the affected entries of its group's ecosystem
 *   <dir>/gen-<n>/index.json       {"PyPI": {"requests": [offset, length]}, ...} into records.jsonl
 *   <dir>/gen-<n>/meta.json        per-ecosystem counts, newest modified, source, watermark; invalid records
 *
 * Writers (import, sync) take the lock, read the live generation, merge their ecosystems into it, write a new
 * generation beside it, fsync, swap CURRENT, and delete generations older than the previous one. Readers open the
 * generation CURRENT names and hold its files open (an unlinked file stays readable on POSIX), so a writer can
 * never pull data from under a running audit; a reader that loses the race between reading CURRENT and opening
 * the files reads CURRENT again.
 */
export const STORE_FORMAT = 1;

export interface EcosystemMeta {
  advisories: number;
  packages: number;
  /** Newest `modified` among the ecosystem's records: the data's own clock (staleness is measured from it). */
  lastModified: string;
  /** Where this ecosystem's data last came from (sync base URL, or import:<path>). */
  source?: string;
  /** When new data for this ecosystem was last applied. */
  updatedAt?: string;
  /** Sync only: newest `modified_id.csv` time seen from `source`, the watermark of incremental sync. */
  watermark?: string;
}

export interface DbMeta {
  format: number;
  /** Source of the last change (per ecosystem: `ecosystems[e].source`). */
  source: string;
  /** ISO time this generation was written. */
  builtAt: string;
  ecosystems: Record<string, EcosystemMeta>;
  /** Per ecosystem, the sync watermark (kept for databases written before `ecosystems[e].watermark`). */
  watermark: Record<string, string>;
  /** Records of the last change that could not be read, with the reason (shown by `db status`). */
  invalid: { where: string; reason: string }[];
  /** Distinct advisory ids over all ecosystems. */
  advisories: number;
}

export function defaultDbDir(env: NodeJS.ProcessEnv): string {
  return path.join(depwardenHome(env), 'osv');
}

/** Compares OSV timestamps as times (text order breaks on "…25Z" vs "…25.6Z"); unparseable ones as text. */
export function compareModified(a: string, b: string): number {
  const x = Date.parse(a);
  const y = Date.parse(b);
  if (!Number.isNaN(x) && !Number.isNaN(y) && x !== y) return x - y;
  if (!Number.isNaN(x) && !Number.isNaN(y)) return 0;
  return a < b ? -1 : a > b ? 1 : 0;
}

/** The advisory reduced to one ecosystem's affected entries. */
function project(a: Advisory, ecosystem: string): Advisory {
  return a.affected.every((x) => x.ecosystem === ecosystem) ? a : { ...a, affected: a.affected.filter((x) => x.ecosystem === ecosystem) };
}

/**
 * One advisory of one ecosystem as a writer holds it: what merging and writing need, and where its JSON line (reduced
 * to that ecosystem) can be read. Not the parsed object, and not even the text: a 200,000-advisory import held as
 * objects was ~5x larger than its export and spent half its time in the garbage collector; its lines are kept in a
 * spill file (new records) or read back from the live generation (records already stored) when written.
 */
export interface StoredRecord {
  id: string;
  modified: string;
  /** The affected package names, each a group of records.jsonl. */
  names: string[];
  json(): string;
}

/** Reads a byte range of an open file as UTF-8. */
function readRange(fd: number, at: number, len: number, what: string): string {
  const buf = Buffer.allocUnsafe(len);
  let got = 0;
  while (got < len) {
    const n = readSync(fd, buf, got, len - got, at + got);
    if (n === 0) throw new UserError(`${what} is shorter than its index`);
    got += n;
  }
  return buf.toString('utf8');
}

/** An unlinked temporary file holding the JSON lines of records being imported, written in large blocks. */
class Spill {
  readonly #fd: number;
  #pending: string[] = [];
  #pendingBytes = 0;
  #size = 0;
  #flushed = 0;

  constructor() {
    const dir = mkdtempSync(path.join(tmpdir(), 'depwarden-import-'));
    const file = path.join(dir, 'records.jsonl');
    this.#fd = openSync(file, 'w+', 0o600);
    // Unlinked at once: nothing is left behind, whatever happens to the process.
    rmSync(dir, { recursive: true, force: true });
  }

  add(text: string): [number, number] {
    const len = Buffer.byteLength(text);
    const at = this.#size;
    this.#size += len;
    this.#pending.push(text);
    this.#pendingBytes += len;
    if (this.#pendingBytes >= 1 << 20) this.#flush();
    return [at, len];
  }

  #flush(): void {
    if (!this.#pending.length) return;
    writeSync(this.#fd, this.#pending.join(''), this.#flushed);
    this.#flushed = this.#size;
    this.#pending = [];
    this.#pendingBytes = 0;
  }

  read(at: number, len: number): string {
    this.#flush();
    return readRange(this.#fd, at, len, 'the import spill file');
  }

  close(): void {
    closeSync(this.#fd);
  }
}

/** Where a record's JSON line can be read back: the import spill file, or the live generation's records file. */
interface LineSource {
  read(at: number, len: number): string;
}

function recordOfLine(line: string, source: LineSource, at: number, len: number): StoredRecord {
  const a = JSON.parse(line) as Advisory;
  return new LineRecord(a.id, a.modified, namesOf(a.affected), source, at, len);
}

/**
 * A record whose JSON line is read back from a file when it is written. A class, not an object with a closure:
 * an import holds 200,000 of them, and with a closure and its context each the import peaked at 323–335 MB
 * instead of 277–293 MB (docs/benchmarks.md).
 */
class LineRecord implements StoredRecord {
  readonly id: string;
  readonly modified: string;
  readonly names: string[];
  readonly #source: LineSource;
  readonly #at: number;
  readonly #len: number;

  constructor(id: string, modified: string, names: string[], source: LineSource, at: number, len: number) {
    this.id = id;
    this.modified = modified;
    this.names = names;
    this.#source = source;
    this.#at = at;
    this.#len = len;
  }

  json(): string {
    return this.#source.read(this.#at, this.#len);
  }
}

/** The distinct names, in first-seen order; most advisories name one package (no Set for those). */
function namesOf(affected: { name: string }[]): string[] {
  if (affected.length === 1) return [affected[0]!.name];
  return [...new Set(affected.map((x) => x.name))];
}

/** Advisories added one at a time, by ecosystem and id (newest `modified` wins), each reduced to that ecosystem. */
export class RecordSet {
  readonly #byEco = new Map<string, Map<string, StoredRecord>>();
  #spill: Spill | undefined;
  /** Advisories added, and those that name no ecosystem at all. */
  added = 0;
  withoutEcosystem = 0;

  static of(advisories: Iterable<Advisory>): RecordSet {
    const set = new RecordSet();
    for (const a of advisories) set.add(a);
    return set;
  }

  add(a: Advisory): void {
    this.added++;
    if (a.affected.length === 0) this.withoutEcosystem++;
    for (const eco of new Set(a.affected.map((x) => x.ecosystem))) {
      let m = this.#byEco.get(eco);
      if (!m) this.#byEco.set(eco, (m = new Map()));
      const prev = m.get(a.id);
      if (prev && compareModified(prev.modified, a.modified) > 0) continue;
      const p = project(a, eco);
      const spill = (this.#spill ??= new Spill());
      const [at, len] = spill.add(JSON.stringify(p));
      m.set(a.id, new LineRecord(p.id, p.modified, namesOf(p.affected), spill, at, len));
    }
  }

  ecosystems(): string[] {
    return [...this.#byEco.keys()].sort();
  }

  get(ecosystem: string): Map<string, StoredRecord> | undefined {
    return this.#byEco.get(ecosystem);
  }

  /** Releases the spill file; the records can no longer be written after this. */
  close(): void {
    this.#spill?.close();
    this.#spill = undefined;
  }
}

const GEN_NAME = /^gen-[A-Za-z0-9-]+$/;

type Index = Record<string, Record<string, [number, number]>>;

/**
 * Picks out of index.json's text (JSON.stringify output: no whitespace) only the entries of the wanted names, so an
 * audit never materialises the 120,000-name index of a full export as objects (~30 MB of heap, ~80 ms). Undefined
 * when the text is not in the expected shape: the caller then parses it whole.
 */
export function pickIndex(text: string, wanted: Map<string, Set<string>>): Index | undefined {
  // Null-prototype objects: a package may be called `__proto__` or `constructor`.
  const out: Index = Object.create(null) as Index;
  let i = 0;
  // Reads the JSON string starting at `at` (a '"'); returns its value and the position after it.
  const str = (at: number): [string, number] | undefined => {
    if (text.charCodeAt(at) !== 34) return undefined;
    let j = at + 1;
    let escaped = false;
    for (;;) {
      const q = text.indexOf('"', j);
      if (q < 0) return undefined;
      let b = q - 1;
      while (text.charCodeAt(b) === 92) b--;
      if ((q - 1 - b) % 2 === 0) {
        const raw = text.slice(at + 1, q);
        escaped ||= raw.includes('\\');
        return [escaped ? (JSON.parse(`"${raw}"`) as string) : raw, q + 1];
      }
      escaped = true;
      j = q + 1;
    }
  };
  if (text.charCodeAt(i++) !== 123) return undefined;
  if (text.charCodeAt(i) === 125) return i === text.length - 1 ? out : undefined;
  for (;;) {
    const e = str(i);
    if (!e || text.charCodeAt(e[1]) !== 58 || text.charCodeAt(e[1] + 1) !== 123) return undefined;
    const [eco] = e;
    const names = wanted.get(eco);
    i = e[1] + 2;
    if (text.charCodeAt(i) !== 125) {
      for (;;) {
        const k = str(i);
        if (!k || text.charCodeAt(k[1]) !== 58 || text.charCodeAt(k[1] + 1) !== 91) return undefined;
        const close = text.indexOf(']', k[1] + 2);
        if (close < 0) return undefined;
        if (names?.has(k[0])) {
          const m = /^(\d+),(\d+)$/.exec(text.slice(k[1] + 2, close));
          if (!m) return undefined;
          (out[eco] ??= Object.create(null) as Index[string])[k[0]] = [Number(m[1]), Number(m[2])];
        }
        i = close + 1;
        const c = text.charCodeAt(i++);
        if (c === 125) break;
        if (c !== 44) return undefined;
      }
    } else i++;
    const c = text.charCodeAt(i++);
    if (c === 125) return i === text.length ? out : undefined;
    if (c !== 44) return undefined;
  }
}

/**
 * Read side of the store. Opening reads meta and the index's text and opens records.jsonl; lookups read one byte
 * range. The index is parsed whole only when something asks for every record or for a name not prepared.
 */
export class AdvisoryDb {
  readonly dir: string;
  readonly meta: DbMeta;
  #indexText: string | undefined;
  #parsed: Index | undefined;
  /** Entries of the prepared names only (prepare()), before or instead of the whole index. */
  #picked: Index = Object.create(null) as Index;
  readonly #prepared = new Set<string>();
  readonly #cache = new Map<string, Advisory[]>();
  #fd: number | undefined;

  private constructor(dir: string, meta: DbMeta, indexText: string, fd: number) {
    this.dir = dir;
    this.meta = meta;
    this.#indexText = indexText;
    this.#fd = fd;
  }

  get #index(): Index {
    if (!this.#parsed) {
      try {
        this.#parsed = JSON.parse(this.#indexText ?? '{}') as Index;
      } catch (e) {
        throw new UserError(`advisory database at ${this.dir} is damaged: index.json: ${(e as Error).message.split('\n')[0]}; run \`depwarden db sync\` or \`depwarden db import\` again`);
      }
      this.#indexText = undefined;
    }
    return this.#parsed;
  }

  /**
   * Reads the index entries of these names only, in one pass over its text; lookups of other names parse the
   * whole index. What an audit calls with the names of the packages it scans.
   */
  prepare(keys: Iterable<{ ecosystem: string; name: string }>): void {
    if (this.#parsed || this.#indexText === undefined) return;
    const wanted = new Map<string, Set<string>>();
    for (const k of keys) {
      const id = `${k.ecosystem}\0${k.name}`;
      if (this.#prepared.has(id)) continue;
      let s = wanted.get(k.ecosystem);
      if (!s) wanted.set(k.ecosystem, (s = new Set()));
      s.add(k.name);
    }
    if (!wanted.size) return;
    const picked = pickIndex(this.#indexText, wanted);
    if (!picked) {
      void this.#index; // not the shape the writer gives: parse it whole (a damaged index is a clear error)
      return;
    }
    for (const [eco, names] of wanted) {
      for (const n of names) this.#prepared.add(`${eco}\0${n}`);
      if (picked[eco]) Object.assign((this.#picked[eco] ??= Object.create(null) as Index[string]), picked[eco]);
    }
  }

  #entry(ecosystem: string, name: string): [number, number] | undefined {
    if (!this.#parsed && this.#prepared.has(`${ecosystem}\0${name}`)) return this.#picked[ecosystem]?.[name];
    return Object.hasOwn(this.#index[ecosystem] ?? {}, name) ? this.#index[ecosystem]![name] : undefined;
  }

  /** The live generation under `dir`, or undefined when there is no database yet. A damaged one is a UserError. */
  static open(dir: string): AdvisoryDb | undefined {
    let lastError = '';
    for (let attempt = 0; attempt < 8; attempt++) {
      if (attempt) sleepSync(5 << attempt);
      let name: string;
      try {
        name = readFileSync(path.join(dir, 'CURRENT'), 'utf8').trim();
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
        throw new UserError(`cannot read the advisory database at ${dir}: ${(e as Error).message}`);
      }
      if (!GEN_NAME.test(name)) throw new UserError(`advisory database at ${dir} is damaged: CURRENT does not name a generation; run \`depwarden db sync\` or \`depwarden db import\` again`);
      const r = AdvisoryDb.openGeneration(path.join(dir, name));
      if (r instanceof AdvisoryDb) return r;
      lastError = r;
    }
    throw new UserError(`advisory database at ${dir} is damaged: ${lastError}; run \`depwarden db sync\` or \`depwarden db import\` again`);
  }

  /** One generation directory, or why it cannot be read (missing files are worth a retry: a writer swapped). */
  static openGeneration(gen: string): AdvisoryDb | string {
    let fd: number | undefined;
    try {
      // The records file first: once it is open, the generation can be deleted under us without harm.
      fd = openSync(path.join(gen, 'records.jsonl'), 'r');
      const meta = JSON.parse(readFileSync(path.join(gen, 'meta.json'), 'utf8')) as DbMeta;
      if (meta.format !== STORE_FORMAT) {
        closeSync(fd);
        throw new UserError(`advisory database at ${path.dirname(gen)} has format ${meta.format}; this depwarden reads format ${STORE_FORMAT}: run \`depwarden db sync\` again`);
      }
      meta.watermark ??= {};
      meta.invalid ??= [];
      const index = readFileSync(path.join(gen, 'index.json'), 'utf8');
      // A written index is one JSON object; a cut-off one is damage (parsed, and reported, when first used).
      if (!index.startsWith('{') || !index.endsWith('}')) throw new Error('index.json is incomplete');
      return new AdvisoryDb(gen, meta, index, fd);
    } catch (e) {
      if (e instanceof UserError) throw e;
      if (fd !== undefined) closeSync(fd);
      return `${path.basename(gen)}: ${(e as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing files' : (e as Error).message.split('\n')[0]}`;
    }
  }

  #read(at: [number, number]): Advisory[] {
    return this.#lines(at).map((l) => JSON.parse(l) as Advisory);
  }

  #range(at: number, len: number): string {
    if (this.#fd === undefined) throw new Error('advisory database is closed');
    return readRange(this.#fd, at, len, `advisory database at ${this.dir}: records.jsonl`);
  }

  #lines(at: [number, number]): string[] {
    if (this.#fd === undefined) throw new Error('advisory database is closed');
    const buf = Buffer.alloc(at[1]);
    let got = 0;
    while (got < at[1]) {
      const n = readSync(this.#fd, buf, got, at[1] - got, at[0] + got);
      if (n === 0) throw new UserError(`advisory database at ${this.dir} is damaged: records.jsonl is shorter than its index`);
      got += n;
    }
    return buf.toString('utf8').split('\n').filter(Boolean);
  }

  lookup(ecosystem: string, name: string): Advisory[] {
    const at = this.#entry(ecosystem, name);
    if (!at) return [];
    const key = `${ecosystem}\0${name}`;
    const hit = this.#cache.get(key);
    if (hit) return hit;
    const list = this.#read(at);
    this.#cache.set(key, list);
    return list;
  }

  /** Every advisory by ecosystem and id, each reduced to that ecosystem (read group by group). */
  byEcosystem(): Map<string, Map<string, Advisory>> {
    const out = new Map<string, Map<string, Advisory>>();
    for (const eco of Object.keys(this.#index).sort()) {
      const m = new Map<string, Advisory>();
      for (const name of Object.keys(this.#index[eco]!).sort()) {
        for (const a of this.#read(this.#index[eco]![name]!)) if (!m.has(a.id)) m.set(a.id, project(a, eco));
      }
      out.set(eco, m);
    }
    return out;
  }

  /** Every record by ecosystem and id, as stored lines (what a writer merges into; no object per advisory kept). */
  records(): Map<string, Map<string, StoredRecord>> {
    const out = new Map<string, Map<string, StoredRecord>>();
    const source: LineSource = { read: (at, len) => this.#range(at, len) };
    for (const eco of Object.keys(this.#index).sort()) {
      const m = new Map<string, StoredRecord>();
      for (const name of Object.keys(this.#index[eco]!).sort()) {
        const [at] = this.#index[eco]![name]!;
        let off = at;
        // Each line is read back from this generation when the next one is written (it stays open until then).
        for (const line of this.#lines(this.#index[eco]![name]!)) {
          const lineAt = off;
          const len = Buffer.byteLength(line);
          off += len + 1;
          const r = recordOfLine(line, source, lineAt, len);
          if (!m.has(r.id)) m.set(r.id, r);
        }
      }
      out.set(eco, m);
    }
    return out;
  }

  /** Every advisory, de-duplicated by id (records of several ecosystems appear once per ecosystem, reduced). */
  all(): Advisory[] {
    return [...this.byEcosystem().values()].flatMap((m) => [...m.values()]);
  }

  close(): void {
    if (this.#fd !== undefined) closeSync(this.#fd);
    this.#fd = undefined;
    this.#cache.clear();
  }
}

export type ChangeMode = 'merge' | 'replace';

/** What one import or sync brings for one ecosystem. */
export interface EcosystemChange {
  ecosystem: string;
  /** Advisories of this ecosystem (other ecosystems' affected entries are dropped)... */
  advisories?: Advisory[];
  /** ...or the same already held as records (a RecordSet's ecosystem: large imports and syncs). */
  records?: Map<string, StoredRecord>;
  /**
   * merge: per advisory id, a copy replaces the database's only when its `modified` is newer; nothing is removed.
   * replace: the ecosystem becomes exactly this copy, only when the copy's newest `modified` is not older than
   * the database's (a full export replacing an older full export).
   */
  mode: ChangeMode;
  source: string;
  watermark?: string;
}

export interface ChangeOutcome {
  ecosystem: string;
  mode: ChangeMode;
  result: 'new' | 'merged' | 'replaced' | 'unchanged' | 'refused';
  added: number;
  updated: number;
  /** merge: records whose database copy is newer. */
  kept: number;
  /** replace: records the new copy no longer has. */
  removed: number;
  newest: string;
  previousNewest?: string;
}

export interface CommitResult {
  /** The live generation after the commit (a new one when something changed). */
  dir: string | undefined;
  written: boolean;
  outcomes: ChangeOutcome[];
}

function newestOf(list: Iterable<{ modified: string }>): string {
  let n = '';
  for (const a of list) if (!n || compareModified(a.modified, n) > 0) n = a.modified;
  return n;
}

/** The newest generation that opens, for a writer facing a CURRENT that names a missing one. */
function latestIntact(dir: string): AdvisoryDb | undefined {
  const gens = readdirSync(dir)
    .filter((d) => GEN_NAME.test(d))
    .map((d) => ({ d, t: statSync(path.join(dir, d)).mtimeMs }))
    .sort((a, b) => b.t - a.t);
  for (const { d } of gens) {
    try {
      const r = AdvisoryDb.openGeneration(path.join(dir, d));
      if (r instanceof AdvisoryDb) return r;
    } catch {
      /* another format: not a base to merge into */
    }
  }
  return undefined;
}

/**
 * Applies changes per ecosystem to the live database under the writer lock; ecosystems not named are kept as
 * they are. Writes a new generation only when something changed.
 */
export function commitChanges(
  dir: string,
  changes: EcosystemChange[],
  opts: { now: Date; source: string; invalid: DbMeta['invalid']; lockTimeoutMs?: number; log?: (line: string) => void; /** Write nothing when any ecosystem is refused. */ allOrNothing?: boolean },
): CommitResult {
  mkdirSync(dir, { recursive: true });
  return withDbLock(
    dir,
    () => {
      // Record sets made here from plain advisories (small changes) are released when the commit ends.
      const owned: RecordSet[] = [];
      try {
        return commitLocked(dir, changes, opts, owned);
      } finally {
        for (const set of owned) set.close();
      }
    },
    opts.lockTimeoutMs,
  );
}

function commitLocked(dir: string, changes: EcosystemChange[], opts: Parameters<typeof commitChanges>[2], owned: RecordSet[]): CommitResult {
  let cur: AdvisoryDb | undefined;
  try {
    cur = AdvisoryDb.open(dir);
  } catch (e) {
    // Damaged, or written in a format this depwarden does not read: rebuild from what still opens.
    if (!(e instanceof UserError)) throw e;
    cur = latestIntact(dir);
    opts.log?.(`${e.message.split(';')[0]}; rebuilding from ${cur ? path.basename(cur.dir) : 'nothing'}`);
  }
  // The records read from the live generation are read again while the next one is written: it stays open until then.
  try {
    const data = cur?.records() ?? new Map<string, Map<string, StoredRecord>>();
    const ecoMeta: Record<string, EcosystemMeta> = structuredClone(cur?.meta.ecosystems ?? {});
    for (const [eco, w] of Object.entries(cur?.meta.watermark ?? {})) if (ecoMeta[eco] && !ecoMeta[eco].watermark) ecoMeta[eco].watermark = w;
    for (const e of Object.values(ecoMeta)) e.source ??= cur?.meta.source;
    const outcomes: ChangeOutcome[] = [];
    let changed = false;
    for (const ch of changes) {
      let incoming = ch.records;
      if (!incoming) {
        const set = RecordSet.of(ch.advisories ?? []);
        owned.push(set);
        incoming = set.get(ch.ecosystem) ?? new Map<string, StoredRecord>();
      }
      const old = data.get(ch.ecosystem) ?? new Map<string, StoredRecord>();
      const prevNewest = ecoMeta[ch.ecosystem]?.lastModified || newestOf(old.values());
      const o: ChangeOutcome = { ecosystem: ch.ecosystem, mode: ch.mode, result: 'unchanged', added: 0, updated: 0, kept: 0, removed: 0, newest: newestOf(incoming.values()), ...(old.size ? { previousNewest: prevNewest } : {}) };
      if (ch.mode === 'replace' && old.size && incoming.size && compareModified(o.newest, prevNewest) < 0) {
        outcomes.push({ ...o, result: 'refused' });
        continue;
      }
      const next = ch.mode === 'replace' ? new Map<string, StoredRecord>() : new Map(old);
      for (const [id, a] of incoming) {
        const prev = old.get(id);
        if (!prev) o.added++;
        else if (compareModified(a.modified, prev.modified) > 0) o.updated++;
        else if (ch.mode === 'merge') {
          if (compareModified(a.modified, prev.modified) < 0) o.kept++;
          continue;
        } else if (a.json() !== prev.json()) o.updated++;
        next.set(id, a);
      }
      if (ch.mode === 'replace') for (const id of old.keys()) if (!incoming.has(id)) o.removed++;
      const dataChanged = o.added + o.updated + o.removed > 0;
      o.result = !dataChanged ? 'unchanged' : !old.size ? 'new' : ch.mode === 'replace' ? 'replaced' : 'merged';
      const m: EcosystemMeta = { ...(ecoMeta[ch.ecosystem] ?? { advisories: 0, packages: 0, lastModified: '' }) };
      if (dataChanged) {
        data.set(ch.ecosystem, next);
        m.updatedAt = opts.now.toISOString();
        changed = true;
        // A merge adds to what a sync source delivered, and its watermark stays true for that source; a
        // replace makes the ecosystem the new source's copy.
        if (ch.mode === 'replace' || !m.source) {
          m.source = ch.source;
          delete m.watermark;
        }
      }
      if (ch.watermark !== undefined && (m.watermark !== ch.watermark || m.source !== ch.source)) {
        m.watermark = ch.watermark;
        m.source = ch.source;
        changed = true;
      }
      ecoMeta[ch.ecosystem] = m;
      outcomes.push(o);
    }
    if (!changed || (opts.allOrNothing && outcomes.some((o) => o.result === 'refused'))) {
      return { dir: cur?.dir, written: false, outcomes };
    }
    const gen = writeGeneration(dir, data, ecoMeta, { source: opts.source, builtAt: opts.now.toISOString(), invalid: opts.invalid }, cur ? path.basename(cur.dir) : undefined);
    return { dir: gen, written: true, outcomes };
  } finally {
    cur?.close();
  }
}

/**
 * A database of exactly these advisories, whatever was there before (tests and benchmarks; imports and syncs
 * go through commitChanges).
 */
export function writeDb(dir: string, advisories: Advisory[], meta: { source: string; builtAt: string; watermark: Record<string, string>; invalid: DbMeta['invalid'] }): string {
  mkdirSync(dir, { recursive: true });
  const set = RecordSet.of(advisories);
  const data = new Map(set.ecosystems().map((e) => [e, set.get(e)!]));
  const ecoMeta: Record<string, EcosystemMeta> = {};
  for (const eco of data.keys()) ecoMeta[eco] = { advisories: 0, packages: 0, lastModified: '', source: meta.source, updatedAt: meta.builtAt, ...(meta.watermark[eco] ? { watermark: meta.watermark[eco] } : {}) };
  try {
    return withDbLock(dir, () => {
      const current = existsSync(path.join(dir, 'CURRENT')) ? readFileSync(path.join(dir, 'CURRENT'), 'utf8').trim() : undefined;
      return writeGeneration(dir, data, ecoMeta, meta, current);
    });
  } finally {
    set.close();
  }
}

let generationSeq = 0;

/** Writes a generation, swaps CURRENT to it, prunes. Call with the writer lock held. */
function writeGeneration(dir: string, data: Map<string, Map<string, StoredRecord>>, ecoMeta: Record<string, EcosystemMeta>, meta: { source: string; builtAt: string; invalid: DbMeta['invalid'] }, previous: string | undefined): string {
  const gen = `gen-${Date.now().toString(36)}-${process.pid}-${(generationSeq++).toString(36)}`;
  const tmp = path.join(dir, `${gen}.tmp`);
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  const index: Index = {};
  const ecosystems: Record<string, EcosystemMeta> = {};
  const ids = new Set<string>();
  // Written piece by piece: one string of a whole export could pass V8's maximum string length.
  const recordsFd = openSync(path.join(tmp, 'records.jsonl'), 'w');
  let offset = 0;
  try {
    for (const eco of [...data.keys()].sort()) {
      const byName = new Map<string, StoredRecord[]>();
      for (const a of data.get(eco)!.values()) {
        ids.add(a.id);
        for (const name of a.names) {
          let l = byName.get(name);
          if (!l) byName.set(name, (l = []));
          l.push(a);
        }
      }
      if (!data.get(eco)!.size) continue;
      const e: EcosystemMeta = { ...ecoMeta[eco], advisories: data.get(eco)!.size, packages: byName.size, lastModified: newestOf(data.get(eco)!.values()) };
      ecosystems[eco] = e;
      for (const name of [...byName.keys()].sort()) {
        const list = byName.get(name)!.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
        const text = `${list.map((a) => a.json()).join('\n')}\n`;
        const len = Buffer.byteLength(text);
        (index[eco] ??= Object.create(null) as Index[string])[name] = [offset, len]; // null prototype: a name may be `__proto__`
        offset += len;
        writeSync(recordsFd, text);
      }
    }
    fsyncSync(recordsFd);
  } finally {
    closeSync(recordsFd);
  }
  writeSynced(path.join(tmp, 'index.json'), JSON.stringify(index));
  const watermark = Object.fromEntries(Object.entries(ecosystems).flatMap(([e, m]) => (m.watermark ? [[e, m.watermark]] : [])));
  const full: DbMeta = { format: STORE_FORMAT, source: meta.source, builtAt: meta.builtAt, ecosystems, watermark, invalid: meta.invalid.slice(0, 1000), advisories: ids.size };
  writeSynced(path.join(tmp, 'meta.json'), `${JSON.stringify(full, null, 2)}\n`);
  renameSync(tmp, path.join(dir, gen));
  fsyncDir(dir);
  writeSynced(path.join(dir, 'CURRENT.tmp'), gen);
  renameSync(path.join(dir, 'CURRENT.tmp'), path.join(dir, 'CURRENT'));
  fsyncDir(dir);
  // Keep the live generation and the one before it (a reader may have just read the old CURRENT); the rest,
  // and leftovers of writers that died, go. Readers that hold an older one open keep reading it.
  for (const d of readdirSync(dir)) {
    if (!d.startsWith('gen-') || d === gen || d === previous) continue;
    rmSync(path.join(dir, d), { recursive: true, force: true });
  }
  return path.join(dir, gen);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try {
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
  } catch {
    /* not every platform can fsync a directory */
  }
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
