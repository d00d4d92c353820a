/**
 * Where something came from in a file. Lines and columns are 1-based (as editors and SARIF show them);
 * offsets are 0-based UTF-16 indices into the file text, so an edit can splice `text.slice(start, end)`.
 */
export interface SourceSpan {
  /** Path relative to the repository root, always with forward slashes. */
  file: string;
  line: number;
  column: number;
  endLine?: number;
  endColumn?: number;
  /** Offsets of the exact text an edit would replace (e.g. the version string, without quotes). */
  start?: number;
  end?: number;
}

/** A position with no span, for whole-file findings. */
export function fileSpan(file: string): SourceSpan {
  return { file, line: 1, column: 1 };
}
