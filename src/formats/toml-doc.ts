import { parse, TomlError } from 'smol-toml';
import type { Finding } from '../model/finding.ts';
import { errorMessage, parseFinding } from './parse-finding.ts';

export type Table = Record<string, unknown>;
export const isTable = (v: unknown): v is Table => typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

/** TOML text → its root table, or a DW000 finding at the line/column smol-toml reports. */
export function parseTomlDoc(file: string, text: string, opts: { integersAsBigInt?: boolean } = {}): { doc: Table } | { findings: Finding[] } {
  try {
    return { doc: parse(text, opts.integersAsBigInt ? { integersAsBigInt: true } : {}) as Table };
  } catch (e) {
    const line = e instanceof TomlError ? e.line : 1;
    const col = e instanceof TomlError ? e.column : 1;
    return { findings: [parseFinding(file, line, col, errorMessage(e))] };
  }
}
