import type { Config } from '../config/schema.ts';
import { fetchBytes, redact } from '../http/client.ts';
import { rolesOf } from './changes.ts';

/**
 * Approvals on GitHub: the pull request's approving reviews, each counted for the roles its author holds in the
 * policy (by login), evaluated against the change class's requirements and published back as a commit status
 * (`depwarden/approvals`) that a branch protection rule can require. The PR author's own review never counts.
 */
export interface GitHubTarget {
  api: string; // https://api.github.com, or a GitHub Enterprise / test stand-in base URL
  owner: string;
  repo: string;
  pull: number;
  token?: string;
}

export interface GitHubGate {
  ok: boolean;
  missing: string[];
  approvers: { login: string; roles: string[] }[];
  sha: string;
}

async function api<T>(t: GitHubTarget, pathname: string, init?: { method: 'POST'; body: unknown }): Promise<T> {
  const url = `${t.api.replace(/\/+$/, '')}${pathname}`;
  const headers: Record<string, string> = { accept: 'application/vnd.github+json', 'user-agent': 'depwarden', ...(t.token ? { authorization: `Bearer ${t.token}` } : {}) };
  if (!init) return JSON.parse(new TextDecoder().decode(await fetchBytes(url, { allowHosts: [new URL(url).hostname], headers, retries: 2, backoffMs: 200 }))) as T;
  // Writes are not retried blindly: one POST, its failure reported.
  const res = await fetch(url, { method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(init.body), signal: AbortSignal.timeout(30_000) });
  if (!res.ok) throw new Error(`POST ${redact(url)}: HTTP ${res.status}`);
  return (await res.json()) as T;
}

export async function githubGate(config: Pick<Config, 'governance'>, t: GitHubTarget, updateClass: 'patch' | 'minor' | 'major' | 'security', gates: { tests: boolean; impact: boolean }): Promise<GitHubGate> {
  const pr = await api<{ user: { login: string }; head: { sha: string } }>(t, `/repos/${t.owner}/${t.repo}/pulls/${t.pull}`);
  const reviews = await api<{ user: { login: string } | null; state: string; commit_id?: string; submitted_at?: string }[]>(t, `/repos/${t.owner}/${t.repo}/pulls/${t.pull}/reviews?per_page=100`);
  // A reviewer's latest decisive review counts; approvals of an older commit do not.
  const latest = new Map<string, { state: string; commit?: string }>();
  for (const r of reviews) {
    if (!r.user || !['APPROVED', 'CHANGES_REQUESTED', 'DISMISSED'].includes(r.state)) continue;
    latest.set(r.user.login, { state: r.state, ...(r.commit_id ? { commit: r.commit_id } : {}) });
  }
  const approvers = [...latest]
    .filter(([login, r]) => r.state === 'APPROVED' && login !== pr.user.login && (!r.commit || r.commit === pr.head.sha))
    .map(([login]) => ({ login, roles: rolesOf(config, login) }))
    .filter((a) => a.roles.length > 0)
    .sort((a, b) => (a.login < b.login ? -1 : 1));
  const p = config.governance.policy[updateClass];
  const missing: string[] = [];
  if (p.tests && !gates.tests) missing.push('tests have not passed');
  if (p.impactAssessment && !gates.impact) missing.push('no impact assessment attached');
  for (const req of p.approvals) {
    const have = approvers.filter((a) => a.roles.includes(req.role)).length;
    if (have < req.count) missing.push(`${req.count - have} more approval${req.count - have > 1 ? 's' : ''} from ${req.role}`);
  }
  return { ok: missing.length === 0, missing, approvers, sha: pr.head.sha };
}

export async function publishStatus(t: GitHubTarget, g: GitHubGate): Promise<void> {
  await api(t, `/repos/${t.owner}/${t.repo}/statuses/${g.sha}`, {
    method: 'POST',
    body: { state: g.ok ? 'success' : 'failure', context: 'depwarden/approvals', description: (g.ok ? `policy met: ${g.approvers.map((a) => a.login).join(', ')}` : `needs: ${g.missing.join('; ')}`).slice(0, 140) },
  });
}
