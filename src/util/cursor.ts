/**
 * Opaque cursors for pages ordered by a store sequence number (newest first): the cursor is the last row's
 * sequence, base64url-encoded so clients do not build them. A cursor that does not decode is a client error.
 */
export function encodeCursor(seq: number | string): string {
  return Buffer.from(`s:${seq}`).toString('base64url');
}

export class BadCursorError extends Error {}

export function decodeCursor(cursor: string | null | undefined): number | undefined {
  if (cursor === null || cursor === undefined || cursor === '') return undefined;
  const m = /^s:(\d{1,18})$/.exec(Buffer.from(cursor, 'base64url').toString('utf8'));
  if (!m) throw new BadCursorError('invalid cursor (pass back the nextCursor of the previous page)');
  return Number(m[1]);
}

/** The page's limit from a query string: 1..max, default `def`. */
export function pageLimit(raw: string | null | undefined, def = 50, max = 500): number {
  if (raw === null || raw === undefined || raw === '') return def;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1 || n > max) throw new BadCursorError(`limit must be an integer from 1 to ${max}`);
  return n;
}
