/** A report file that is not what it claims (truncated, malformed, another format): where, and why. */
export class ReportError extends Error {
  readonly file: string;
  readonly line: number | undefined;
  constructor(file: string, line: number | undefined, message: string) {
    super(`${file}${line !== undefined ? `:${line}` : ''}: ${message}`);
    this.file = file;
    this.line = line;
  }
}
