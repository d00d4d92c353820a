import { HttpError, redact } from '../http/client.ts';
import { type HttpSession, parseJson, statusError } from '../http/session.ts';
import type { PackageReleases, Release } from '../model/update.ts';
import { NotFoundError } from './errors.ts';

/**
 * GitHub's REST API for actions: tags (with the commit each points to), releases (notes, publication time,
 * prerelease flag; drafts left out), the commit behind a tag (annotated tags dereferenced), and the release notes
 * between two versions for a pull request body. The token is the session's (GITHUB_TOKEN for the API host, see
 * http/auth.ts).
 */
export const GITHUB_API = 'https://api.github.com';

/** A GitHub release; `prerelease` is GitHub's flag, which a tag name like "v2.0.0" does not show. */
export interface GithubRelease extends Release {
  prerelease?: boolean;
}

/** PackageReleases whose releases carry GitHub's prerelease flag (still assignable to PackageReleases). */
export type GithubReleases = Omit<PackageReleases, 'releases'> & { releases: GithubRelease[] };

export interface TagVersion {
  numbers: number[];
  pre: string;
}

/** "v4", "v4.2.1", "1.2.3-beta.1" → numbers and prerelease; undefined for "main", "latest", "nightly". */
export function parseTagVersion(tag: string): TagVersion | undefined {
  const m = /^(?:[a-z][\w.-]*?[-/@])?v?(\d+(?:\.\d+)*)(?:[-.+]?([0-9A-Za-z][0-9A-Za-z.-]*))?$/i.exec(tag);
  if (!m) return undefined;
  const numbers = m[1]!.split('.').map(Number);
  return numbers.every(Number.isSafeInteger) ? { numbers, pre: m[2] ?? '' } : undefined;
}

/** Numbers first (missing count as 0); a prerelease before its release; then fewer components first ("v4" < "v4.0.0"). */
export function compareTagNames(a: string, b: string): number {
  const x = parseTagVersion(a);
  const y = parseTagVersion(b);
  if (!x || !y) return x ? 1 : y ? -1 : a < b ? -1 : a > b ? 1 : 0;
  for (let i = 0; i < Math.max(x.numbers.length, y.numbers.length); i++) {
    const d = (x.numbers[i] ?? 0) - (y.numbers[i] ?? 0);
    if (d) return d;
  }
  if (x.pre !== y.pre) {
    if (!x.pre) return 1;
    if (!y.pre) return -1;
    return x.pre.localeCompare(y.pre, 'en', { numeric: true });
  }
  return x.numbers.length - y.numbers.length || (a < b ? -1 : a > b ? 1 : 0);
}

const sortByTag = <T extends { version: string }>(rs: T[]): T[] => rs.filter((r) => parseTagVersion(r.version)).sort((a, b) => compareTagNames(a.version, b.version));

export class GithubApi {
  private readonly session: HttpSession;
  readonly base: string;
  constructor(session: HttpSession, base: string = GITHUB_API) {
    this.session = session;
    this.base = base.replace(/\/+$/, '');
  }

  private headers = { 'x-github-api-version': '2022-11-28' };

  /** Every page of a list endpoint, following `Link: <...>; rel="next"`. */
  private async pages<T>(path: string, what: string): Promise<T[]> {
    const out: T[] = [];
    let url: string | undefined = `${this.base}${path}`;
    for (let page = 0; url && page < 100; page++) {
      const res = await this.session.request(url, { accept: 'application/vnd.github+json', headers: this.headers });
      if (res.status === 404) throw new NotFoundError('github', what, `${what} was not found on ${redact(this.base)} (or the token cannot see it)`);
      if (res.status !== 200) throw statusError('GET', url, res.status);
      out.push(...parseJson<T[]>(res.body, url));
      const next = /<([^>]+)>\s*;\s*rel="?next"?/i.exec(res.headers.link ?? '');
      url = next ? new URL(next[1]!, url).toString() : undefined;
    }
    return out;
  }

  private async one<T>(path: string, what: string): Promise<T> {
    const url = `${this.base}${path}`;
    const res = await this.session.request(url, { accept: 'application/vnd.github+json', headers: this.headers });
    if (res.status === 404) throw new NotFoundError('github', what, `${what} was not found on ${redact(this.base)}`);
    if (res.status !== 200) throw statusError('GET', url, res.status);
    return parseJson<T>(res.body, url);
  }

  /** Tags as releases: version = tag name, digest = the commit SHA (the list endpoint already peels annotated tags). */
  async tags(owner: string, repo: string): Promise<PackageReleases> {
    const tags = await this.pages<{ name: string; commit: { sha: string } }>(`/repos/${enc(owner)}/${enc(repo)}/tags?per_page=100`, `${owner}/${repo}`);
    return { datasource: 'github', name: `${owner}/${repo}`, registry: redact(this.base), releases: sortByTag(tags.map((t) => ({ version: t.name, digest: t.commit.sha }))) };
  }

  /** Published releases (drafts skipped), ascending by tag version. */
  async releases(owner: string, repo: string): Promise<GithubReleases> {
    type R = { tag_name: string; published_at?: string | null; body?: string | null; html_url?: string; prerelease?: boolean; draft?: boolean };
    const list = await this.pages<R>(`/repos/${enc(owner)}/${enc(repo)}/releases?per_page=100`, `${owner}/${repo}`);
    const releases: GithubRelease[] = list
      .filter((r) => !r.draft)
      .map((r) => ({
        version: r.tag_name,
        ...(r.published_at ? { releasedAt: r.published_at } : {}),
        ...(r.body ? { notes: r.body } : {}),
        ...(r.html_url ? { notesUrl: r.html_url } : {}),
        ...(r.prerelease ? { prerelease: true } : {}),
      }));
    return { datasource: 'github', name: `${owner}/${repo}`, registry: redact(this.base), releases: sortByTag(releases) };
  }

  /** The commit SHA `tag` points to: a lightweight tag's ref names the commit; an annotated tag's names a tag object. */
  async tagCommit(owner: string, repo: string, tag: string): Promise<string> {
    let obj = (await this.one<{ object: { type: string; sha: string } }>(`/repos/${enc(owner)}/${enc(repo)}/git/ref/tags/${tag.split('/').map(enc).join('/')}`, `${owner}/${repo} tag ${tag}`)).object;
    // A tag of a tag is legal; follow a few levels.
    for (let depth = 0; obj.type === 'tag' && depth < 5; depth++) {
      obj = (await this.one<{ object: { type: string; sha: string } }>(`/repos/${enc(owner)}/${enc(repo)}/git/tags/${obj.sha}`, `${owner}/${repo} tag object ${obj.sha}`)).object;
    }
    if (obj.type !== 'commit') throw new HttpError(`${owner}/${repo} tag ${tag} points to a ${obj.type}, not a commit`);
    return obj.sha;
  }

  /** Releases after `from` up to and including `to`, ascending, for a pull request body. */
  async releaseNotes(owner: string, repo: string, from: string, to: string): Promise<GithubRelease[]> {
    const { releases } = await this.releases(owner, repo);
    return releases.filter((r) => compareTagNames(r.version, from) > 0 && compareTagNames(r.version, to) <= 0);
  }
}

const enc = encodeURIComponent;
