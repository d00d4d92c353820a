import type { Finding } from '../model/finding.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';

/**
 * JSON.parse with a DW000 finding (line/column) instead of an exception. V8's messages carry the offset
 * ("... in JSON at position 123 (line 4 column 7)"); we compute line/column ourselves for older formats.
 */
export function parseJson(file: string, text: string): { value?: unknown; findings: Finding[] } {
  try {
    return { value: JSON.parse(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text), findings: [] };
  } catch (e) {
    const msg = e instanceof Error ? e.message : String(e);
    const pos = /position (\d+)/.exec(msg);
    const idx = new LineIndex(file, text);
    const p = pos ? idx.position(Number(pos[1])) : { line: 1, column: 1 };
    return { findings: [parseFinding(file, p.line, p.column, msg.replace(/\s*\(line \d+ column \d+\)/, ''))] };
  }
}

/**
 * Finds object keys in source order without a second parser: JSON keeps keys in file order, so each key is
 * searched from where the previous one was found (linear in the file size even for multi-MB locks).
 */
export class KeyLocator {
  readonly #text: string;
  #cursor = 0;

  constructor(text: string, from = 0) {
    this.#text = text;
    this.#cursor = from;
  }

  /** Offset of `"key"` followed by a colon, at or after the cursor; moves the cursor past it. */
  next(key: string): number | undefined {
    const needle = JSON.stringify(key);
    let at = this.#text.indexOf(needle, this.#cursor);
    while (at >= 0) {
      let j = at + needle.length;
      while (j < this.#text.length && /\s/.test(this.#text[j]!)) j++;
      if (this.#text[j] === ':') {
        this.#cursor = j + 1;
        return at;
      }
      at = this.#text.indexOf(needle, at + 1);
    }
    return undefined;
  }

  /** Offsets [start, end) of the string value after `"key":` (without quotes), searched from `from`. */
  static stringValue(text: string, keyOffset: number): { start: number; end: number } | undefined {
    const colon = text.indexOf(':', keyOffset);
    if (colon < 0) return undefined;
    let j = colon + 1;
    while (j < text.length && /\s/.test(text[j]!)) j++;
    if (text[j] !== '"') return undefined;
    let k = j + 1;
    while (k < text.length && text[k] !== '"') k += text[k] === '\\' ? 2 : 1;
    return { start: j + 1, end: k };
  }

  get cursor(): number {
    return this.#cursor;
  }
}
