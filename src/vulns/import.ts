import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from '../cli/context.ts';
import { type Advisory, toAdvisory } from './osv-record.ts';
import { DEFAULT_ZIP_LIMITS, readZipEntries, ZipError, type ZipLimits } from './zip.ts';

/** Largest single OSV document read from a directory (a real record is a few KB; the largest about 1 MB). */
export const MAX_ENTRY_BYTES = DEFAULT_ZIP_LIMITS.maxEntryBytes;

export interface ReadResult {
  /** The advisories read; empty when a sink took them one by one instead. */
  advisories: Advisory[];
  /** How many were read (into `advisories` or the sink). */
  count: number;
  invalid: { where: string; reason: string }[];
}

/** Takes each advisory as it is read, so a large export is never held as objects (see RecordSet in store.ts). */
export type AdvisorySink = (a: Advisory) => void;

const emptyResult = (): ReadResult => ({ advisories: [], count: 0, invalid: [] });

/** One OSV document (JSON or YAML) → advisory, or the reason it was rejected. */
export function readRecord(where: string, text: string): Advisory | { where: string; reason: string } {
  try {
    const doc: unknown = /\.ya?ml$/i.test(where) ? parseYaml(text, { maxAliasCount: 100 }) : JSON.parse(text);
    return toAdvisory(doc);
  } catch (e) {
    return { where, reason: e instanceof Error ? e.message.split('\n')[0]! : String(e) };
  }
}

function collect(out: ReadResult, where: string, text: string, sink?: AdvisorySink): void {
  const r = readRecord(where, text);
  if ('reason' in r) out.invalid.push(r);
  else {
    out.count++;
    if (sink) sink(r);
    else out.advisories.push(r);
  }
}

/**
 * Reads an OSV export zip (bytes, or a file read entry by entry). A damaged or hostile archive (truncated, bad
 * CRC-32, overlapping entries, sizes beyond the caps) throws a UserError and nothing of it is used: the caller
 * keeps the old database. Entry names are never used as paths. Limits: see zip.ts and docs/vulns.md.
 */
export function readZip(input: Uint8Array | { file: string }, label: string, limits?: ZipLimits, sink?: AdvisorySink): ReadResult {
  const out = emptyResult();
  const decoder = new TextDecoder('utf-8', { fatal: true });
  try {
    readZipEntries(
      input,
      (name) => /\.(json|ya?ml)$/i.test(name),
      (name, bytes) => {
        let text: string;
        try {
          text = decoder.decode(bytes);
        } catch {
          out.invalid.push({ where: `${label}:${name}`, reason: 'not UTF-8' });
          return;
        }
        collect(out, `${label}:${name}`, text, sink);
      },
      (name, reason) => out.invalid.push({ where: `${label}:${name}`, reason }),
      limits,
    );
  } catch (e) {
    if (e instanceof ZipError || (e as NodeJS.ErrnoException).code) throw new UserError(`${label} is not a readable OSV archive: ${e instanceof Error ? e.message : String(e)}`);
    throw e;
  }
  out.invalid.sort((a, b) => (a.where < b.where ? -1 : a.where > b.where ? 1 : 0));
  return out;
}

/** One OSV JSON/YAML file. */
export function readDocument(file: string, sink?: AdvisorySink): ReadResult {
  const out = emptyResult();
  if (statSync(file).size > MAX_ENTRY_BYTES) out.invalid.push({ where: file, reason: 'file too large' });
  else collect(out, file, readFileSync(file, 'utf8'), sink);
  return out;
}

/** Reads every *.json / *.yaml under a directory (an advisory-database checkout, an unpacked export). */
export function readDirectory(dir: string, sink?: AdvisorySink): ReadResult {
  const out = emptyResult();
  const walk = (d: string): void => {
    for (const e of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (e.name.startsWith('.')) continue;
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (e.isFile() && /\.(json|ya?ml)$/i.test(e.name)) {
        if (statSync(p).size > MAX_ENTRY_BYTES) out.invalid.push({ where: p, reason: 'file too large' });
        else collect(out, p, readFileSync(p, 'utf8'), sink);
      } else if (e.isFile() && e.name === 'all.zip') {
        const z = readZip({ file: p }, p, undefined, sink);
        for (const a of z.advisories) out.advisories.push(a);
        out.count += z.count;
        out.invalid.push(...z.invalid);
      }
    }
  };
  walk(dir);
  return out;
}
