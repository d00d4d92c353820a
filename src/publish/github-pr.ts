import { Octokit } from '@octokit/rest';
import { redact } from '../http/client.ts';
import { redactSecrets } from '../util/redact.ts';

/**
 * Opens or updates the pull request of an update branch through GitHub's REST API (Octokit: the official
 * client, typed routes, pagination). Only the configured API host is reached; the token never appears in errors.
 */
export interface PrTarget {
  api: string;
  owner: string;
  repo: string;
  token?: string;
}

export interface PrRequest {
  head: string;
  base: string;
  title: string;
  body: string;
  labels: string[];
  reviewers: string[];
}

export interface PrResult {
  number: number;
  url: string;
  created: boolean;
}

function client(t: PrTarget): Octokit {
  const allowed = new URL(t.api).hostname;
  const guarded: typeof fetch = (input, init) => {
    const url = new URL(typeof input === 'string' ? input : input instanceof URL ? input.href : input.url);
    if (url.hostname !== allowed) return Promise.reject(new Error(`${url.hostname} is not the configured GitHub API host`));
    return fetch(input, { ...init, signal: init?.signal ?? AbortSignal.timeout(30_000) });
  };
  return new Octokit({ baseUrl: t.api.replace(/\/+$/, ''), ...(t.token ? { auth: t.token } : {}), userAgent: 'depwarden', request: { fetch: guarded }, log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} } });
}

/** A GitHub refusal or failure, as one line naming the API host and the status (never the token). */
export class GitHubApiError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'GitHubApiError';
    if (status !== undefined) this.status = status;
  }
}

function apiError(t: PrTarget, e: unknown, what = ''): GitHubApiError {
  const err = e as { status?: number; message: string; cause?: { cause?: { code?: string; message?: string } } };
  // Octokit reports a transport failure as status 500 "fetch failed": its cause says what happened.
  const transport = err.cause?.cause?.code ? ` (${err.cause.cause.code}: ${err.cause.cause.message ?? ''})` : '';
  // Octokit messages may quote the request: credentials in it are removed, the message is bounded.
  const msg = redactSecrets(String(err.message)).replace(/(token|bearer)\s+\S+/gi, '$1 ***').slice(0, 300);
  return new GitHubApiError(`GitHub API ${redact(t.api)}: ${what}${err.status && !transport ? `HTTP ${err.status} ` : ''}${msg}${transport}`, err.status);
}

/**
 * Before any work: a token is set, the API answers, the repository is visible with it and the token may push.
 * Throws GitHubApiError saying which of these failed.
 */
export async function checkPrAccess(t: PrTarget): Promise<void> {
  if (!t.token) throw new GitHubApiError(`GitHub API ${redact(t.api)}: GITHUB_TOKEN is not set; publishing needs a token that may push branches and open pull requests in ${t.owner}/${t.repo}`);
  const gh = client(t);
  let repo: { permissions?: { push?: boolean } };
  try {
    repo = (await gh.rest.repos.get({ owner: t.owner, repo: t.repo })).data;
  } catch (e) {
    const status = (e as { status?: number }).status;
    const why = status === 401 ? 'the token was refused (expired or revoked?): ' : status === 404 ? `${t.owner}/${t.repo} is not visible with this token: ` : '';
    throw apiError(t, e, why);
  }
  if (repo.permissions && repo.permissions.push === false) throw new GitHubApiError(`GitHub API ${redact(t.api)}: the token may not push to ${t.owner}/${t.repo} (no write permission)`, 403);
}

export async function openOrUpdatePr(t: PrTarget, r: PrRequest): Promise<PrResult> {
  const gh = client(t);
  try {
    const existing = await gh.rest.pulls.list({ owner: t.owner, repo: t.repo, head: `${t.owner}:${r.head}`, state: 'open', per_page: 10 });
    let number: number;
    let url: string;
    let created = false;
    const pr = existing.data[0];
    if (pr) {
      await gh.rest.pulls.update({ owner: t.owner, repo: t.repo, pull_number: pr.number, title: r.title, body: r.body });
      number = pr.number;
      url = pr.html_url;
    } else {
      const made = await gh.rest.pulls.create({ owner: t.owner, repo: t.repo, head: r.head, base: r.base, title: r.title, body: r.body });
      number = made.data.number;
      url = made.data.html_url;
      created = true;
    }
    if (r.labels.length) await gh.rest.issues.addLabels({ owner: t.owner, repo: t.repo, issue_number: number, labels: r.labels });
    if (r.reviewers.length) await gh.rest.pulls.requestReviewers({ owner: t.owner, repo: t.repo, pull_number: number, reviewers: r.reviewers });
    return { number, url, created };
  } catch (e) {
    throw apiError(t, e);
  }
}
