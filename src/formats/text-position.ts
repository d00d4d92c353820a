import type { SourceSpan } from '../model/source.ts';

/**
 * Maps offsets in a file's text to 1-based line/column, in O(log n) per lookup.
 * Built once per file so every record can carry an exact span for later edits.
 */
export class LineIndex {
  readonly #starts: number[];
  readonly file: string;
  readonly text: string;

  constructor(file: string, text: string) {
    this.file = file;
    this.text = text;
    const starts = [0];
    // indexOf is vectorised in V8: several times faster than a charCodeAt loop on multi-MB locks.
    for (let i = text.indexOf('\n'); i >= 0; i = text.indexOf('\n', i + 1)) starts.push(i + 1);
    this.#starts = starts;
  }

  /** 1-based line and column of a 0-based offset. */
  position(offset: number): { line: number; column: number } {
    const starts = this.#starts;
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (starts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return { line: lo + 1, column: offset - starts[lo]! + 1 };
  }

  /** Offset of the start of a 1-based line. */
  lineStart(line: number): number {
    return this.#starts[Math.max(0, Math.min(line - 1, this.#starts.length - 1))]!;
  }

  span(start: number, end: number = start): SourceSpan {
    const a = this.position(start);
    const b = this.position(end);
    return { file: this.file, line: a.line, column: a.column, endLine: b.line, endColumn: b.column, start, end };
  }

  lineSpan(line: number): SourceSpan {
    const start = this.lineStart(line);
    let end = this.text.indexOf('\n', start);
    if (end < 0) end = this.text.length;
    return this.span(start, end);
  }
}
