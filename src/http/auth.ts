import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';

/**
 * Credentials per host for the datasources. Sources, first match wins:
 *   1. user:password written in the URL itself (a private index URL such as https://u:p@host/simple);
 *   2. DEPWARDEN_AUTH_<HOST> (host upper-cased, every other character "_"; with the port first, e.g.
 *      DEPWARDEN_AUTH_REGISTRY_EXAMPLE_COM_8443, then without): "Bearer xyz", "Basic b64", "user:pass", or a
 *      bare token (sent as Bearer);
 *   3. GITHUB_TOKEN, for the GitHub API hosts only (never sent to another host);
 *   4. .npmrc auth keyed by URL prefix ("//host/path/:_authToken", ":_auth", ":username" + ":_password"),
 *      longest prefix first, the texts in the order given (project .npmrc before the user's ~/.npmrc);
 *   5. netrc (`$NETRC`, else ~/.netrc): machine <hostname> login/password, then `default`.
 * Values are returned as Authorization header values and never put in messages.
 */
export interface AuthSources {
  env?: NodeJS.ProcessEnv;
  netrcText?: string;
  npmrcTexts?: string[];
  /** Hosts (hostname[:port]) that are GitHub API endpoints, which may receive GITHUB_TOKEN. */
  githubApiHosts?: string[];
}

export interface NetrcEntry {
  login?: string;
  password?: string;
}

/** netrc: whitespace-separated tokens; `macdef` bodies (up to an empty line) are skipped. */
export function parseNetrc(text: string): { machines: Map<string, NetrcEntry>; default?: NetrcEntry } {
  const machines = new Map<string, NetrcEntry>();
  let fallback: NetrcEntry | undefined;
  const tokens: string[] = [];
  let inMacro = false;
  for (const line of text.split(/\r?\n/)) {
    if (inMacro) {
      inMacro = line.trim() !== '';
      continue;
    }
    const words = line.trim().split(/\s+/).filter(Boolean);
    const m = words.indexOf('macdef');
    if (m >= 0) {
      tokens.push(...words.slice(0, m));
      inMacro = true;
    } else tokens.push(...words);
  }
  let current: NetrcEntry | undefined;
  for (let i = 0; i < tokens.length; i++) {
    const t = tokens[i]!;
    if (t === 'machine') {
      current = {};
      const host = tokens[++i];
      if (host && !machines.has(host)) machines.set(host, current);
    } else if (t === 'default') {
      current = {};
      fallback ??= current;
    } else if (current && (t === 'login' || t === 'password' || t === 'account')) {
      const v = tokens[++i];
      if (v !== undefined && t !== 'account') current[t] = v;
    }
  }
  return { machines, ...(fallback ? { default: fallback } : {}) };
}

/**
 * .npmrc as npm reads it: `key=value` lines, `#`/`;` comments, optional quotes, `${VAR}` (and `${VAR?}`, empty
 * when unset) replaced from the environment in keys and values. A line naming an unset `${VAR}` is dropped
 * (npm refuses the whole file; one bad line should not cost every other registry its settings).
 */
export function parseNpmrc(text: string, env: NodeJS.ProcessEnv = {}): Map<string, string> {
  const out = new Map<string, string>();
  for (const raw of text.split(/\r?\n/)) {
    const line = raw.trim();
    if (!line || line.startsWith('#') || line.startsWith(';')) continue;
    const eq = line.indexOf('=');
    if (eq < 0) continue;
    let missing = false;
    const interpolate = (s: string): string =>
      s.replace(/(\\*)\$\{([^${}?]+)(\?)?\}/g, (whole, esc: string, name: string, optional?: string) => {
        if (esc.length % 2 === 1) return whole.slice(1);
        const v = env[name];
        if (v === undefined && !optional) missing = true;
        return esc + (v ?? '');
      });
    const key = interpolate(line.slice(0, eq).trim());
    let value = line.slice(eq + 1).trim();
    if (value.length >= 2 && (value[0] === '"' || value[0] === "'") && value.at(-1) === value[0]) value = value.slice(1, -1);
    value = interpolate(value);
    if (missing) continue;
    out.set(key, value);
  }
  return out;
}

/** npm's "nerf dart" of a URL: `//host[:port]/path/` with the last path segment removed unless it ends in "/". */
export function nerfDart(url: string): string {
  const u = new URL(url);
  const rel = new URL('.', `${u.protocol}//${u.host}${u.pathname}`);
  return `//${rel.host}${rel.pathname}`;
}

const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');

/** Authorization header from npmrc settings for a URL: its nerf dart, then each parent path up to the host. */
export function npmrcAuthFor(url: string, npmrcs: Map<string, string>[]): string | undefined {
  let key = nerfDart(url);
  for (;;) {
    for (const rc of npmrcs) {
      const token = rc.get(`${key}:_authToken`);
      if (token) return `Bearer ${token}`;
      const auth = rc.get(`${key}:_auth`);
      if (auth) return `Basic ${auth}`;
      const user = rc.get(`${key}:username`);
      const pass = rc.get(`${key}:_password`);
      if (user && pass) return `Basic ${b64(`${user}:${Buffer.from(pass, 'base64').toString('utf8')}`)}`;
    }
    if (/^\/\/[^/]+\/$/.test(key)) return undefined;
    key = key.replace(/[^/]+\/$/, '');
  }
}

/** "Bearer x" / "Basic x" / "token x" pass through; "user:pass" becomes Basic; a bare token becomes Bearer. */
export function headerFromValue(value: string): string {
  const v = value.trim();
  if (/^[A-Za-z]+ \S/.test(v)) return v;
  if (v.includes(':')) return `Basic ${b64(v)}`;
  return `Bearer ${v}`;
}

const envName = (host: string): string => `DEPWARDEN_AUTH_${host.toUpperCase().replace(/[^A-Z0-9]/g, '_')}`;

export interface Auth {
  /** The Authorization header value for a URL, or undefined. */
  headerFor(url: string): string | undefined;
}

export function createAuth(sources: AuthSources): Auth {
  const env = sources.env ?? {};
  const netrc = parseNetrc(sources.netrcText ?? '');
  const npmrcs = (sources.npmrcTexts ?? []).map((t) => parseNpmrc(t, env));
  const githubHosts = new Set(sources.githubApiHosts ?? ['api.github.com']);
  return {
    headerFor(url: string): string | undefined {
      const u = new URL(url);
      if (u.username || u.password) return `Basic ${b64(`${decodeURIComponent(u.username)}:${decodeURIComponent(u.password)}`)}`;
      for (const name of [envName(u.host), envName(u.hostname)]) {
        const v = env[name];
        if (v) return headerFromValue(v);
      }
      if ((githubHosts.has(u.host) || githubHosts.has(u.hostname)) && env.GITHUB_TOKEN) return `Bearer ${env.GITHUB_TOKEN}`;
      const npm = npmrcAuthFor(url, npmrcs);
      if (npm) return npm;
      const m = netrc.machines.get(u.hostname) ?? netrc.default;
      if (m?.login !== undefined && m.password !== undefined) return `Basic ${b64(`${m.login}:${m.password}`)}`;
      return undefined;
    },
  };
}

/** The URL without user:password, for requests and for anything shown or stored. */
export function stripCredentials(url: string): string {
  const u = new URL(url);
  u.username = '';
  u.password = '';
  return u.toString();
}

const readIf = (file: string | undefined): string | undefined => (file && existsSync(file) ? readFileSync(file, 'utf8') : undefined);

/**
 * The credential files of a run: netrc from $NETRC or <home>/.netrc; .npmrc from the project directory, then
 * $NPM_CONFIG_USERCONFIG or <home>/.npmrc (project first: npm's own precedence). Home comes from `env` only, so a
 * caller passing a bare env reads no personal files.
 */
export function loadAuthFiles(env: NodeJS.ProcessEnv, projectDir?: string): { netrcText: string; npmrcTexts: string[] } {
  const home = env.HOME ?? env.USERPROFILE;
  const netrcText = readIf(env.NETRC ?? (home ? path.join(home, '.netrc') : undefined)) ?? '';
  const npmrcTexts = [readIf(projectDir ? path.join(projectDir, '.npmrc') : undefined), readIf(env.NPM_CONFIG_USERCONFIG ?? env.npm_config_userconfig ?? (home ? path.join(home, '.npmrc') : undefined))].filter(
    (t): t is string => t !== undefined,
  );
  return { netrcText, npmrcTexts };
}
