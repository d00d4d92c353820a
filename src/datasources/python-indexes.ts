import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { PypiIndex } from './pypi.ts';

/**
 * The package indexes pip would use for a requirements file, from the places pip reads them (pip's
 * `req_file.handle_option_line` and `configuration.py`):
 *
 * - the base, lowest first: the user's pip.conf (`~/.config/pip/pip.conf`, then `~/.pip/pip.conf`), a `pip.conf`
 *   at the repository root (read like a virtualenv's site config: repositories ship one and point
 *   `PIP_CONFIG_FILE` at it), the file `PIP_CONFIG_FILE` names, then `PIP_INDEX_URL`, `PIP_EXTRA_INDEX_URL`,
 *   `PIP_NO_INDEX`; `[install]` keys win over `[global]` ones within a file; `index-url` defaults to PyPI;
 * - then the requirements file's own option lines, as pip applies them: `--index-url`/`-i` replaces every index
 *   of the base (extras included), `--no-index` drops them all, `--extra-index-url` adds one, `--find-links`/`-f`
 *   adds a flat page of links (only http(s) pages are asked; local directories cannot be looked up).
 *
 * The result is ordered as depwarden asks them (docs/datasources.md, "Index selection"): extra indexes first, in
 * the order given, then the main index — uv's order, because an extra index is where a project keeps the packages
 * the main index must not answer for.
 */
export interface PipIndexSettings {
  indexUrl?: string;
  extraIndexUrls: string[];
  noIndex: boolean;
  findLinks: string[];
}

export interface PipOptionLine {
  name: string;
  value?: string;
}

const truthy = (v: string): boolean => /^(1|true|yes|on)$/i.test(v.trim());
const words = (v: string): string[] => v.split(/\s+/).map((w) => w.trim()).filter(Boolean);

/** pip.conf / pip.ini (INI, `key = value`, continuation lines indented): the keys that select indexes. */
export function parsePipConf(text: string): Partial<PipIndexSettings> {
  const sections = new Map<string, Map<string, string>>();
  let section: Map<string, string> | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || !raw.trim()) continue;
    const head = /^\s*\[([^\]]+)\]\s*$/.exec(raw);
    if (head) {
      section = sections.get(head[1]!.trim().toLowerCase()) ?? new Map();
      sections.set(head[1]!.trim().toLowerCase(), section);
      lastKey = undefined;
      continue;
    }
    if (/^\s/.test(raw) && section && lastKey) {
      section.set(lastKey, `${section.get(lastKey)} ${raw.trim()}`);
      continue;
    }
    const kv = /^\s*([A-Za-z0-9_-]+)\s*[=:]\s*(.*)$/.exec(raw);
    if (!kv || !section) continue;
    lastKey = kv[1]!.toLowerCase().replace(/_/g, '-');
    section.set(lastKey, kv[2]!.trim());
  }
  const get = (k: string): string | undefined => sections.get('install')?.get(k) ?? sections.get('global')?.get(k);
  const out: Partial<PipIndexSettings> = {};
  if (get('index-url')) out.indexUrl = get('index-url')!.trim();
  if (get('extra-index-url') !== undefined) out.extraIndexUrls = words(get('extra-index-url')!);
  if (get('no-index') !== undefined) out.noIndex = truthy(get('no-index')!);
  if (get('find-links') !== undefined) out.findLinks = words(get('find-links')!);
  return out;
}

function readIf(file: string): string | undefined {
  try {
    return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
  } catch {
    return undefined;
  }
}

/** pip.conf texts lowest precedence first: user, the repository's own, $PIP_CONFIG_FILE. Home comes from `env` only. */
export function loadPipConfTexts(env: NodeJS.ProcessEnv, projectDir?: string): string[] {
  const texts: (string | undefined)[] = [];
  const home = env.HOME ?? env.USERPROFILE;
  if (home) {
    const xdg = env.XDG_CONFIG_HOME || path.join(home, '.config');
    texts.push(readIf(path.join(home, '.pip', 'pip.conf')), readIf(path.join(xdg, 'pip', 'pip.conf')));
  }
  if (projectDir) texts.push(readIf(path.join(projectDir, 'pip.conf')));
  const named = env.PIP_CONFIG_FILE;
  if (named && named !== '/dev/null' && named !== 'os.devnull') texts.push(readIf(path.resolve(projectDir ?? '.', named)));
  return texts.filter((t): t is string => t !== undefined);
}

/** The base settings before a requirements file's own options: pip.conf texts (lowest first), then PIP_* variables. */
export function pipBaseSettings(confTexts: string[], env: NodeJS.ProcessEnv): PipIndexSettings {
  const s: PipIndexSettings = { extraIndexUrls: [], noIndex: false, findLinks: [] };
  for (const t of confTexts) {
    const c = parsePipConf(t);
    if (c.indexUrl) s.indexUrl = c.indexUrl;
    if (c.extraIndexUrls) s.extraIndexUrls = c.extraIndexUrls;
    if (c.noIndex !== undefined) s.noIndex = c.noIndex;
    if (c.findLinks) s.findLinks = c.findLinks;
  }
  if (env.PIP_INDEX_URL?.trim()) s.indexUrl = env.PIP_INDEX_URL.trim();
  if (env.PIP_EXTRA_INDEX_URL?.trim()) s.extraIndexUrls = words(env.PIP_EXTRA_INDEX_URL);
  if (env.PIP_NO_INDEX?.trim()) s.noIndex = truthy(env.PIP_NO_INDEX);
  if (env.PIP_FIND_LINKS?.trim()) s.findLinks = words(env.PIP_FIND_LINKS);
  return s;
}

const OPTION_ALIASES: Record<string, string> = { '-i': '--index-url', '-f': '--find-links' };

/** Is this requirements option line one that selects indexes? */
export function isIndexOption(name: string): boolean {
  return ['--index-url', '--extra-index-url', '--no-index', '--find-links'].includes(OPTION_ALIASES[name] ?? name);
}

/**
 * pip expands `${NAME}` (upper-case letters, digits, "_") in requirements files from the environment, which is how
 * index credentials stay out of the file (`--index-url https://${PIP_USER}:${PIP_TOKEN}@host/simple`); an unset
 * variable is left as written, as pip leaves it.
 */
export function expandPipVars(value: string, env: NodeJS.ProcessEnv): string {
  return value.replace(/\$\{([A-Z0-9_]+)\}/g, (whole, name: string) => env[name] ?? whole);
}

/** A requirements file's option lines applied to the base, as pip does (values expanded from `env`). */
export function applyRequirementsOptions(base: PipIndexSettings, options: PipOptionLine[], env: NodeJS.ProcessEnv = {}): PipIndexSettings {
  const s: PipIndexSettings = { ...base, extraIndexUrls: [...base.extraIndexUrls], findLinks: [...base.findLinks] };
  for (const o of options) {
    const name = OPTION_ALIASES[o.name] ?? o.name;
    const value = o.value === undefined ? undefined : expandPipVars(o.value.trim(), env);
    if (name === '--index-url' && value) {
      s.indexUrl = value;
      s.extraIndexUrls = [];
    } else if (name === '--extra-index-url' && value) s.extraIndexUrls.push(value);
    else if (name === '--no-index') s.noIndex = true;
    else if (name === '--find-links' && value) s.findLinks.push(value);
  }
  return s;
}

/**
 * The settings as the indexes depwarden asks, in its order: extra indexes, then the main index (`pypiJson`, the
 * configured PyPI JSON API, when none is named), then http(s) find-links pages. `--no-index` leaves only the
 * find-links pages. Every index is `primary`; `first-index` semantics are in pypiReleases.
 */
export function pipIndexes(s: PipIndexSettings, pypiJson: string): PypiIndex[] {
  const out: PypiIndex[] = [];
  const seen = new Set<string>();
  const add = (i: PypiIndex): void => {
    const k = sameIndexKey(i.url);
    if (seen.has(k)) return;
    seen.add(k);
    out.push(i);
  };
  if (!s.noIndex) {
    s.extraIndexUrls.forEach((u, n) => add({ name: `extra-index-url ${n + 1}`, url: u, priority: 'primary' }));
    if (s.indexUrl) add({ name: 'index-url', url: s.indexUrl, priority: 'primary' });
    else add({ name: 'PyPI', url: pypiJson, priority: 'primary', api: 'json' });
  }
  s.findLinks.filter((u) => /^https?:\/\//i.test(u)).forEach((u, n) => add({ name: `find-links ${n + 1}`, url: u, priority: 'primary', api: 'links' }));
  return out;
}

/**
 * One key per index whatever its spelling: no credentials, lower-case host, default port dropped, no trailing
 * slash, and pypi.org's JSON API and simple index taken as one index (a lock records the simple URL).
 */
export function sameIndexKey(url: string): string {
  if (!URL.canParse(url)) return url.trim().replace(/\/+$/, '');
  const u = new URL(url);
  u.username = '';
  u.password = '';
  u.hash = '';
  u.search = '';
  const p = u.pathname.replace(/\/+$/, '');
  if (/^(pypi\.org|pypi\.python\.org)$/i.test(u.hostname) && /^\/(pypi|simple)$/.test(p)) return 'https://pypi.org/simple';
  return `${u.protocol}//${u.host.toLowerCase()}${p}`;
}
