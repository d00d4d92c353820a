import type { Table } from './toml-doc.ts';

/**
 * A reader for the TOML Poetry writes into poetry.lock (tomlkit's layout): `[[package]]`, `[package.x]`,
 * `[metadata]` and `[metadata.files]` headers, one `key = value` per line, strings, booleans, arrays and inline
 * tables. On a fleet's locks the general parser was most of a scan's time; this one builds the same values (as
 * plain objects: only parsePoetryLock reads them, by known field names) in a fraction of it.
 *
 * It only accepts what it is sure of: anything outside that layout (numbers, dates, multi-line strings, dotted
 * keys, `\u` escapes, a duplicate key or table, a control character, a lone CR, a BOM, ...) returns undefined and
 * the caller parses with smol-toml, so an unusual or broken file gets the general parser's exact answer (and its
 * DW000 position). test/formats/poetry-lock-layout.test.ts checks it against smol-toml on real and generated locks.
 */
export interface PoetryLayout {
  doc: Table;
  /** Offsets of the lines holding a `[[package]]` header, in file order. */
  packageHeaders: number[];
}

export function readPoetryLayout(text: string): PoetryLayout | undefined {
  if (text.charCodeAt(0) === 0xfeff) return undefined;
  const r = new Reader(text);
  try {
    return { doc: r.read(), packageHeaders: r.packageHeaders };
  } catch (e) {
    if (e === UNSUPPORTED) return undefined;
    throw e;
  }
}

const UNSUPPORTED = new Error('outside the Poetry layout');
const fail = (): never => {
  throw UNSUPPORTED;
};

const ESCAPES: Record<string, string> = { '"': '"', '\\': '\\', b: '\b', t: '\t', n: '\n', f: '\f', r: '\r' };
const isBare = (c: number): boolean => (c >= 97 && c <= 122) || (c >= 65 && c <= 90) || (c >= 48 && c <= 57) || c === 45 || c === 95;
/** What TOML allows in strings and comments: tab, and no other control character (nor DEL). */
const isControl = (c: number): boolean => (c < 32 && c !== 9) || c === 127;

class Reader {
  readonly text: string;
  readonly n: number;
  i = 0;
  readonly packageHeaders: number[] = [];
  // Tables made by a header: `[x]` may still define a table that `[x.y]` created implicitly, never one defined already.
  readonly implicit = new Set<Table>();
  readonly defined = new Set<Table>();
  readonly arrays = new Set<unknown[]>();

  readonly root: Table = {};

  constructor(text: string) {
    this.text = text;
    this.n = text.length;
  }

  read(): Table {
    const text = this.text;
    const root = this.root;
    let cur = root;
    while (this.i < this.n) {
      const lineStart = this.i;
      this.spaces();
      const c = text.charCodeAt(this.i);
      if (c === 91) cur = this.header(root, lineStart);
      else if (c !== 10 && c !== 13 && c !== 35 && this.i < this.n) {
        const k = this.key();
        if (text.charCodeAt(this.i) !== 61) fail();
        this.i++;
        this.spaces();
        const v = this.value();
        if (Object.hasOwn(cur, k)) fail();
        cur[k] = v;
      }
      this.endOfLine();
    }
    return root;
  }

  spaces(): void {
    let c = this.text.charCodeAt(this.i);
    while (c === 32 || c === 9) c = this.text.charCodeAt(++this.i);
  }

  comment(): void {
    // at '#': up to the line end, no control characters
    const text = this.text;
    let c = text.charCodeAt(++this.i);
    while (c === c && c !== 10 && c !== 13) {
      if (isControl(c)) fail();
      c = text.charCodeAt(++this.i);
    }
  }

  newline(): boolean {
    const c = this.text.charCodeAt(this.i);
    if (c === 10) {
      this.i++;
      return true;
    }
    if (c === 13) {
      if (this.text.charCodeAt(this.i + 1) !== 10) fail();
      this.i += 2;
      return true;
    }
    return false;
  }

  endOfLine(): void {
    this.spaces();
    if (this.text.charCodeAt(this.i) === 35) this.comment();
    if (!this.newline() && this.i < this.n) fail();
  }

  /** Inside arrays: spaces, newlines and comments. */
  blank(): void {
    for (;;) {
      const c = this.text.charCodeAt(this.i);
      if (c === 32 || c === 9) this.i++;
      else if (c === 35) this.comment();
      else if (!this.newline()) return;
    }
  }

  bareKey(): string {
    const start = this.i;
    while (isBare(this.text.charCodeAt(this.i))) this.i++;
    if (this.i === start) fail();
    return this.text.slice(start, this.i);
  }

  basicString(): string {
    // at the opening quote of a one-line string
    const text = this.text;
    let out = '';
    let from = ++this.i;
    for (;;) {
      const c = text.charCodeAt(this.i);
      if (c === 34) {
        out += text.slice(from, this.i++);
        return out;
      }
      if (c === 92) {
        const e = ESCAPES[text[this.i + 1] ?? ''];
        if (e === undefined) fail();
        out += text.slice(from, this.i) + e;
        this.i += 2;
        from = this.i;
      } else if (isControl(c) || c !== c) fail();
      else this.i++;
    }
  }

  literalString(): string {
    const text = this.text;
    const start = ++this.i;
    for (;;) {
      const c = text.charCodeAt(this.i);
      if (c === 39) return text.slice(start, this.i++);
      if (isControl(c) || c !== c) fail();
      this.i++;
    }
  }

  string(): string {
    const c = this.text.charCodeAt(this.i);
    if (this.text.charCodeAt(this.i + 1) === c && this.text.charCodeAt(this.i + 2) === c) fail(); // multi-line
    return c === 34 ? this.basicString() : this.literalString();
  }

  key(): string {
    const c = this.text.charCodeAt(this.i);
    let k: string;
    if (c === 34 || c === 39) {
      const start = this.i;
      k = this.string();
      if (c === 34 && this.text.slice(start, this.i).includes('\\')) fail();
    } else k = this.bareKey();
    if (k === '__proto__') fail();
    this.spaces();
    if (this.text.charCodeAt(this.i) === 46) fail(); // dotted key
    return k;
  }

  value(): unknown {
    const text = this.text;
    const c = text.charCodeAt(this.i);
    if (c === 34 || c === 39) return this.string();
    if (c === 91) return this.array();
    if (c === 123) return this.inlineTable();
    if (c === 116 && text.startsWith('true', this.i) && !isBare(text.charCodeAt(this.i + 4))) {
      this.i += 4;
      return true;
    }
    if (c === 102 && text.startsWith('false', this.i) && !isBare(text.charCodeAt(this.i + 5))) {
      this.i += 5;
      return false;
    }
    return fail();
  }

  array(): unknown[] {
    this.i++;
    const out: unknown[] = [];
    for (;;) {
      this.blank();
      if (this.text.charCodeAt(this.i) === 93) {
        this.i++;
        return out;
      }
      out.push(this.value());
      this.blank();
      const c = this.text.charCodeAt(this.i++);
      if (c === 93) return out;
      if (c !== 44) fail();
    }
  }

  inlineTable(): Table {
    this.i++;
    const t: Table = {};
    this.spaces();
    if (this.text.charCodeAt(this.i) === 125) {
      this.i++;
      return t;
    }
    for (;;) {
      const k = this.key();
      if (this.text.charCodeAt(this.i) !== 61) fail();
      this.i++;
      this.spaces();
      const v = this.value();
      if (Object.hasOwn(t, k)) fail();
      t[k] = v;
      this.spaces();
      const c = this.text.charCodeAt(this.i++);
      if (c === 125) return t;
      if (c !== 44) fail();
      this.spaces();
      if (this.text.charCodeAt(this.i) === 125) fail(); // a trailing comma is TOML 1.1: left to the general parser
    }
  }

  /** `[[name]]`, `[name]` or `[name.sub]`: the table that key/value lines go to next. */
  header(root: Table, lineStart: number): Table {
    const text = this.text;
    if (text.charCodeAt(this.i + 1) === 91) {
      this.i += 2;
      const name = this.bareKey();
      if (text.charCodeAt(this.i) !== 93 || text.charCodeAt(this.i + 1) !== 93 || name === '__proto__') fail();
      this.i += 2;
      let arr = root[name] as unknown[] | undefined;
      if (arr === undefined) {
        arr = [];
        root[name] = arr;
        this.arrays.add(arr);
      } else if (!this.arrays.has(arr)) fail();
      const t: Table = {};
      arr.push(t);
      if (name === 'package') this.packageHeaders.push(lineStart);
      return t;
    }
    this.i++;
    const first = this.bareKey();
    let second: string | undefined;
    if (text.charCodeAt(this.i) === 46) {
      this.i++;
      second = this.bareKey();
    }
    if (text.charCodeAt(this.i) !== 93) fail();
    this.i++;
    if (second === undefined) return this.claim(root, first);
    if (first === '__proto__') fail();
    let parent = root[first] as Table | unknown[] | undefined;
    if (parent === undefined) {
      const t: Table = {};
      root[first] = t;
      this.implicit.add(t);
      parent = t;
    } else if (Array.isArray(parent)) {
      if (!this.arrays.has(parent)) fail();
      parent = parent[parent.length - 1] as Table;
    } else if (!this.implicit.has(parent) && !this.defined.has(parent)) fail();
    return this.claim(parent as Table, second);
  }

  /** The table `[...k]` names inside `parent`: new, or made implicitly before and not defined yet. */
  claim(parent: Table, k: string): Table {
    if (k === '__proto__') fail();
    const have = Object.hasOwn(parent, k) ? (parent[k] as Table) : undefined;
    if (have === undefined) {
      const t: Table = {};
      parent[k] = t;
      // Only a top-level table can be a header's parent later (headers have at most two parts), so only those
      // are remembered: adding each [package.dependencies] to a Set gave 30,000 objects an identity hash, ~50 ms
      // of reading the 200 bench locks alone.
      if (parent === this.root) this.defined.add(t);
      return t;
    }
    if (!this.implicit.has(have) || this.defined.has(have)) fail();
    this.defined.add(have);
    return have;
  }
}
