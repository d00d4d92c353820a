import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { unzipSync } from 'fflate';
import { parse as parseYaml } from 'yaml';
import { type Advisory, toAdvisory } from './osv-record.ts';

/** Caps that keep a hostile archive from exhausting memory (a real all.zip entry is a few KB). */
export const MAX_ENTRY_BYTES = 8 * 1024 * 1024;
export const MAX_ARCHIVE_BYTES = 4 * 1024 * 1024 * 1024;

export interface ReadResult {
  advisories: Advisory[];
  invalid: { where: string; reason: string }[];
}

/** One OSV document (JSON or YAML) → advisory, or the reason it was rejected. */
export function readRecord(where: string, text: string): Advisory | { where: string; reason: string } {
  try {
    const doc: unknown = /\.ya?ml$/i.test(where) ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
    return toAdvisory(doc);
  } catch (e) {
    return { where, reason: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
}

function collect(out: ReadResult, where: string, text: string): void {
  const r = readRecord(where, text);
  if ('reason' in r) out.invalid.push(r);
  else out.advisories.push(r);
}

/**
 * Reads an OSV export zip. Throws on a damaged archive (truncated, bad CRC, not a zip): the caller keeps the old
 * database. Entry names are never used as paths, so `../` in them is harmless; sizes are capped.
 */
export function readZip(bytes: Uint8Array, label: string): ReadResult {
  const out: ReadResult = { advisories: [], invalid: [] };
  let declared = 0;
  let files: Record<string, Uint8Array>;
  try {
    files = unzipSync(bytes, {
      filter: (f) => {
        if (!/\.(json|ya?ml)$/i.test(f.name)) return false;
        if (f.originalSize > MAX_ENTRY_BYTES) throw new Error(`entry ${f.name} declares ${f.originalSize} bytes (limit ${MAX_ENTRY_BYTES})`);
        declared += f.originalSize;
        if (declared > MAX_ARCHIVE_BYTES) throw new Error(`archive expands beyond ${MAX_ARCHIVE_BYTES} bytes`);
        return true;
      },
    });
  } catch (e) {
    throw new Error(`${label} is not a readable OSV archive: ${e instanceof Error ? e.message : String(e)}`);
  }
  const decoder = new TextDecoder('utf-8', { fatal: true });
  for (const name of Object.keys(files).sort()) {
    let text: string;
    try {
      text = decoder.decode(files[name]);
    } catch {
      out.invalid.push({ where: `${label}:${name}`, reason: 'not UTF-8' });
      continue;
    }
    collect(out, `${label}:${name}`, text);
  }
  return out;
}

/** Reads every *.json / *.yaml under a directory (an advisory-database checkout, an unpacked export). */
export function readDirectory(dir: string): ReadResult {
  const out: ReadResult = { advisories: [], invalid: [] };
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(json|ya?ml)$/i.test(e.name)) {
        if (statSync(p).size > MAX_ENTRY_BYTES) out.invalid.push({ where: p, reason: 'file too large' });
        else collect(out, p, readFileSync(p, 'utf8'));
      } else if (e.isFile() && e.name === 'all.zip') {
        const z = readZip(readFileSync(p), p);
        out.advisories.push(...z.advisories);
        out.invalid.push(...z.invalid);
      }
    }
  };
  walk(dir);
  return out;
}
