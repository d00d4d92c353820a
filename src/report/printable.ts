/**
 * Text from files (names, versions, messages quoting a line) is hostile: an ANSI escape sequence in a package
 * name would recolour, rewrite or hide lines of the terminal, a bidi override would reorder what a reviewer
 * reads. Human-facing output (table, markdown, scan) shows such characters escaped: C0 and C1 controls, DEL,
 * and the bidi embedding/override/isolate marks. Newlines and tabs are kept unless `oneLine` (a table cell).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
// eslint-disable-next-line no-control-regex
const CONTROL_ONE_LINE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const escape = (c: string): string => {
  const n = c.charCodeAt(0);
  return n <= 0xff ? `\\x${n.toString(16).padStart(2, '0')}` : `\\u{${n.toString(16)}}`;
};

export function printable(text: string, opts: { oneLine?: boolean } = {}): string {
  return text.replace(opts.oneLine ? CONTROL_ONE_LINE : CONTROL, escape);
}
