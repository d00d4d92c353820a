/**
 * Source positions in TOML text. smol-toml returns values only, so declarations are found again in the text:
 * table headers, then keys inside a table, then the value literal after `=`. Good enough for the layouts
 * Poetry and PEP 621 files use (one key per line, inline tables, multi-line arrays); when a layout is not
 * understood the caller falls back to the table header.
 */
export interface Section {
  /** Offset of the header (or 0 for the root table). */
  header: number;
  /** Body [start, end): from after the header line to the next header. */
  start: number;
  end: number;
}

const HEADER = /^[ \t]*\[(\[?)([^\]\n]+)\]\]?[ \t]*(?:#.*)?$/gm;

function normalizeKeyPath(raw: string): string {
  // a.b."c.d" -> a\0b\0c.d (quoted parts keep their dots)
  const parts: string[] = [];
  for (const m of raw.matchAll(/\s*(?:"((?:[^"\\]|\\.)*)"|'([^']*)'|([A-Za-z0-9_-]+))\s*(?:\.|$)/g)) parts.push(m[1] ?? m[2] ?? m[3] ?? '');
  return parts.join('\0');
}

export class TomlLocator {
  readonly text: string;
  readonly #sections = new Map<string, Section[]>();

  constructor(text: string) {
    this.text = text;
    const heads: { key: string; header: number; start: number }[] = [];
    for (const m of text.matchAll(HEADER)) {
      const lineEnd = text.indexOf('\n', m.index);
      heads.push({ key: normalizeKeyPath(m[2]!), header: m.index + m[0].indexOf('['), start: lineEnd < 0 ? text.length : lineEnd + 1 });
    }
    heads.forEach((h, i) => {
      const end = i + 1 < heads.length ? heads[i + 1]!.header : text.length;
      const list = this.#sections.get(h.key) ?? [];
      list.push({ header: h.header, start: h.start, end });
      this.#sections.set(h.key, list);
    });
    const firstHeader = heads[0]?.header ?? text.length;
    this.#sections.set('', [{ header: 0, start: 0, end: firstHeader }]);
  }

  /** The table with this key path (e.g. ["tool", "poetry", "dependencies"]). */
  section(path: string[]): Section | undefined {
    return this.#sections.get(path.join('\0'))?.[0];
  }

  /**
   * Offset of `key =` inside a section (or, for a dotted sub-table `[a.b.key]`, its header).
   * Returns the key offset and the offset where its value starts.
   */
  key(path: string[], key: string): { keyAt: number; valueAt?: number } | undefined {
    const sec = this.section(path);
    if (sec) {
      const body = this.text.slice(sec.start, sec.end);
      const esc = key.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      const re = new RegExp(`^[ \\t]*(?:"${esc}"|'${esc}'|${esc})[ \\t]*=[ \\t]*`, 'm');
      const m = re.exec(body);
      if (m) return { keyAt: sec.start + m.index + (m[0].length - m[0].trimStart().length), valueAt: sec.start + m.index + m[0].length };
    }
    const sub = this.section([...path, key]);
    if (sub) return { keyAt: sub.header };
    return undefined;
  }

  /** [start, end) of the string literal starting at `at` (without quotes), if one starts there. */
  stringAt(at: number): { start: number; end: number } | undefined {
    const q = this.text[at];
    if (q !== '"' && q !== "'") return undefined;
    let k = at + 1;
    while (k < this.text.length && this.text[k] !== q && this.text[k] !== '\n') k += q === '"' && this.text[k] === '\\' ? 2 : 1;
    return { start: at + 1, end: k };
  }

  /** In an inline table starting at `at` (`{ ... }`), the string value of `field`. */
  inlineField(at: number, field: string): { start: number; end: number } | undefined {
    if (this.text[at] !== '{') return undefined;
    const close = this.text.indexOf('}', at);
    const body = this.text.slice(at, close < 0 ? undefined : close);
    const m = new RegExp(`[{,\\s]${field}\\s*=\\s*(["'])`).exec(body);
    if (!m) return undefined;
    return this.stringAt(at + m.index + m[0].length - 1);
  }

  /** The string literals of an array value starting at `at` (`[ "a", "b" ]`, multi-line, with comments). */
  arrayStrings(at: number): { start: number; end: number }[] {
    if (this.text[at] !== '[') return [];
    const out: { start: number; end: number }[] = [];
    let k = at + 1;
    let depth = 1;
    while (k < this.text.length && depth > 0) {
      const c = this.text[k]!;
      if (c === '#') {
        const nl = this.text.indexOf('\n', k);
        k = nl < 0 ? this.text.length : nl + 1;
      } else if (c === '"' || c === "'") {
        const triple = this.text.startsWith(c.repeat(3), k);
        if (triple) {
          const endAt = this.text.indexOf(c.repeat(3), k + 3);
          out.push({ start: k + 3, end: endAt < 0 ? this.text.length : endAt });
          k = endAt < 0 ? this.text.length : endAt + 3;
        } else {
          const s = this.stringAt(k)!;
          out.push(s);
          k = s.end + 1;
        }
      } else {
        if (c === '[' || c === '{') depth++;
        else if (c === ']' || c === '}') depth--;
        k++;
      }
    }
    return out;
  }
}
