import { existsSync, lstatSync, readFileSync, realpathSync } from 'node:fs';
import path from 'node:path';
import type { Document, LineCounter } from 'yaml';
import type { z } from 'zod';
import { UserError } from '../cli/context.ts';
import type { Config } from './schema.ts';
import { realPathInside } from '../util/inside.ts';

export const CONFIG_FILES = ['depwarden.yaml', 'depwarden.yml', '.depwarden.yaml', '.depwarden.yml'];

export interface LoadedConfig {
  config: Config;
  /** Repository-relative path of the file read, or undefined when the defaults (the protocol) apply. */
  file?: string;
}

/**
 * Finds and validates depwarden.yaml in `root`. No file means the protocol's default policy, read from
 * schema/depwarden.defaults.json — generated from the schema (`npm run docs`; a test keeps them equal), so a
 * repository without a config never loads the validator at all.
 */
export async function loadConfig(root: string): Promise<LoadedConfig> {
  for (const name of CONFIG_FILES) {
    const abs = path.join(root, name);
    if (existsSync(abs) || isDanglingLink(abs)) return { config: await parseConfig(name, readConfigText(root, name)), file: name };
  }
  return { config: JSON.parse(readFileSync(new URL('../../schema/depwarden.defaults.json', import.meta.url), 'utf8')) as Config };
}

function isDanglingLink(abs: string): boolean {
  try {
    return lstatSync(abs).isSymbolicLink();
  } catch {
    return false;
  }
}

/**
 * The config's text, only from inside the repository: a depwarden.yaml that is a symlink to a file outside it
 * (or to nothing) is refused without being read, so a hostile repository cannot make us read — and echo in
 * error messages — the keys of some other file on the machine.
 */
function readConfigText(root: string, name: string): string {
  const where = realPathInside(root, name);
  if ('problem' in where && where.problem === 'dangling') throw new UserError(`${name} is a symlink to a file that does not exist; not read`);
  if ('problem' in where) throw new UserError(`${name} is a symlink to a file outside the repository; not read (replace it by the file itself)`);
  try {
    return readFileSync(where.real, 'utf8');
  } catch (e) {
    throw new UserError(`cannot read ${name}: ${e instanceof Error && 'code' in e ? String(e.code) : 'error'}`);
  }
}

/**
 * Parses config text; errors name the file, line and key (what a user needs to find the mistake).
 * Throws UserError (exit 2) listing every problem, not just the first.
 */
export async function parseConfig(file: string, text: string): Promise<Config> {
  // Loaded here, not at the top: a repository without a config file needs neither the YAML parser nor zod.
  const [{ configSchema }, { LineCounter, parseDocument }] = await Promise.all([import('./schema.ts'), import('yaml')]);
  const lc = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    const msgs = doc.errors.map((e) => {
      const p = lc.linePos(e.pos[0]);
      return `${file}:${p.line}:${p.col}: ${e.message.split('\n')[0]}`;
    });
    throw new UserError(`invalid YAML in config:\n  ${msgs.join('\n  ')}`);
  }
  let raw: unknown;
  try {
    // The yaml library refuses alias expansion past maxAliasCount (a "billion laughs" bomb): a config error.
    raw = doc.toJS({ maxAliasCount: 100 }) ?? {};
  } catch (e) {
    throw new UserError(`invalid config: ${file}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
  const result = configSchema.safeParse(raw);
  if (result.success) return result.data;
  const msgs = result.error.issues.map((issue: z.core.$ZodIssue) => {
    // For an unknown key zod points at the parent; point at the key itself.
    const at = [...(issue.path as (string | number)[]), ...(issue.code === 'unrecognized_keys' ? issue.keys.slice(0, 1) : [])];
    const keyPath = at.map(String);
    const line = lineOf(doc, lc, at);
    const key = keyPath.length ? keyPath.join('.') : '(top level)';
    return `${file}:${line}: ${key}: ${issue.message}`;
  });
  throw new UserError(`invalid config:\n  ${msgs.join('\n  ')}`);
}

/** Line of the deepest node on `keyPath` that exists (an unknown key points at its parent). */
function lineOf(doc: Document, lc: LineCounter, keyPath: (string | number)[]): number {
  for (let n = keyPath.length; n >= 0; n--) {
    const node = n === 0 ? doc.contents : doc.getIn(keyPath.slice(0, n), true);
    const range = (node as { range?: [number, number, number] } | undefined)?.range;
    if (range) return lc.linePos(range[0]).line;
  }
  return 1;
}
