import { createRequire } from 'node:module';
import type * as Yaml from 'yaml';
import type { Finding } from '../model/finding.ts';
import { errorMessage, parseFinding } from './parse-finding.ts';

// Required on first use: yarn.lock v1 (not YAML) is read by the module that imports this one, and loading the
// YAML parser (~70 modules) for it would cost a Yarn 1 or Poetry repository's run ~10 ms for nothing.
const requireYaml = (): typeof Yaml => createRequire(import.meta.url)('yaml') as typeof Yaml;

export type Obj = Record<string, unknown>;
export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
export const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined);

/**
 * A lock written as YAML (pnpm-lock.yaml, Yarn berry's yarn.lock) → its root mapping, or a DW000 at the line the
 * YAML parser names. Aliases are bounded: lock writers never use them, a billion-laughs file is refused.
 */
export function parseYamlLock(file: string, text: string): { doc: Obj } | { findings: Finding[] } {
  const { parse, YAMLParseError } = requireYaml();
  try {
    const doc: unknown = parse(text, { maxAliasCount: 1000, uniqueKeys: false, prettyErrors: false });
    if (!isObj(doc)) return { findings: [parseFinding(file, 1, 1, 'the lock must be a YAML mapping')] };
    return { doc };
  } catch (e) {
    const p = e instanceof YAMLParseError ? e.linePos?.[0] : undefined;
    return { findings: [parseFinding(file, p?.line ?? 1, p?.col ?? 1, errorMessage(e))] };
  }
}

/**
 * Offsets of the keys of the top-level sections of a lock its tool wrote (one key per line, sections at column
 * 1, entries indented by two spaces): `section -> entry key -> offset`. Linear in the file, no second YAML pass.
 */
export function entryOffsets(text: string, sections: ReadonlySet<string>): Map<string, Map<string, number>> {
  const out = new Map<string, Map<string, number>>();
  let current: Map<string, number> | undefined;
  // Plain keys may hold colons (`file:packages/x:`): a key ends at the first colon followed by a blank or the line end.
  const re = /^(?:([^\s#'"-].*?|'[^']*'|"(?:[^"\\]|\\.)*"):(?:[ \t].*)?|  ([^\s#'"-].*?|'(?:[^']|'')*'|"(?:[^"\\]|\\.)*"):(?:[ \t].*)?)$/gm;
  for (const m of text.matchAll(re)) {
    if (m[1] !== undefined) {
      const key = unquote(m[1]);
      current = sections.has(key) ? new Map() : undefined;
      if (current) out.set(key, current);
    } else if (current && m[2] !== undefined) {
      const key = unquote(m[2]);
      if (!current.has(key)) current.set(key, m.index + 2);
    }
  }
  return out;
}

function unquote(k: string): string {
  if (k.startsWith("'") && k.endsWith("'") && k.length >= 2) return k.slice(1, -1).replace(/''/g, "'");
  if (k.startsWith('"') && k.endsWith('"') && k.length >= 2) {
    try {
      return JSON.parse(k) as string;
    } catch {
      return k.slice(1, -1);
    }
  }
  return k;
}
