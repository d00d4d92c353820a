import type { RegisteredRepo } from '../serve/feature.ts';

/**
 * A git remote as `host/owner/name` in lower case: https, ssh and scp-like forms of the same repository agree
 * (`https://github.com/O/R.git`, `git@github.com:O/R`, `ssh://git@github.com/o/r`). Undefined when not a remote.
 */
export function remoteKey(remote: string): string | undefined {
  const s = remote.trim();
  let host: string;
  let p: string;
  const scp = /^(?:[^@/\s]+@)?([^:/\s]+):(?!\/)(.+)$/.exec(s);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(s)) {
    let u: URL;
    try {
      u = new URL(s);
    } catch {
      return undefined;
    }
    host = u.hostname;
    p = u.pathname;
  } else if (scp) {
    host = scp[1]!;
    p = scp[2]!;
  } else return undefined;
  p = p.replace(/^\/+|\/+$/g, '').replace(/\.git$/i, '');
  if (!host || !p.includes('/')) return undefined;
  return `${host}/${p}`.toLowerCase();
}

/** The registered repository a webhook's `repository` belongs to, by its clone/ssh/html URL against each remote. */
export function matchRepository(repos: RegisteredRepo[], r: { full_name: string; clone_url?: string | undefined; html_url?: string | undefined; ssh_url?: string | undefined }): RegisteredRepo | undefined {
  const keys = new Set([r.clone_url, r.html_url, r.ssh_url].flatMap((u) => (u ? [remoteKey(u)] : [])).filter((k): k is string => k !== undefined));
  // Payloads always carry the URLs; the full name alone is taken as github.com's.
  if (keys.size === 0) keys.add(`github.com/${r.full_name.toLowerCase()}`);
  const found = repos.filter((repo) => repo.remote && keys.has(remoteKey(repo.remote) ?? ''));
  // Two registrations of one remote (two branches) would make the secret ambiguous: the first by name wins, stably.
  return found.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))[0];
}
