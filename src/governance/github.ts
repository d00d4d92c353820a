import { CONFIG_FILES } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { fetchBytes, redact } from '../http/client.ts';
import { rolesOf } from './changes.ts';

/**
 * Approvals on GitHub: the pull request's approving reviews, each counted for the roles its author holds in the
 * policy (by login), evaluated against the change class's requirements and published back as a commit status
 * (`depwarden/approvals`) that a branch protection rule can require. The PR author's own review never counts; the
 * roles are the caller's (read from the trusted ref), and a pull request that edits depwarden.yaml (or lists 100+
 * files, which this one page cannot rule out) also needs the approvals of `governance.policyChangeClass`.
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
  const g = config.governance;
  const p = g.policy[updateClass];
  const reqs = new Map(p.approvals.map((a) => [a.role, a.count]));
  let tests = p.tests;
  let impact = p.impactAssessment;
  // A pull request that edits depwarden.yaml changes the policy: it also needs what the current policy asks of that.
  const files = await api<{ filename: string }[]>(t, `/repos/${t.owner}/${t.repo}/pulls/${t.pull}/files?per_page=100`);
  if (files.length >= 100 || files.some((f) => CONFIG_FILES.includes(f.filename))) {
    const extra = g.policy[g.policyChangeClass];
    for (const a of extra.approvals) reqs.set(a.role, Math.max(reqs.get(a.role) ?? 0, a.count));
    tests ||= extra.tests;
    impact ||= extra.impactAssessment;
  }
  const missing: string[] = [];
  if (tests && !gates.tests) missing.push('tests have not passed');
  if (impact && !gates.impact) missing.push('no impact assessment attached');
  for (const [role, count] of reqs) {
    const have = approvers.filter((a) => a.roles.includes(role)).length;
    if (have < count) missing.push(`${count - have} more approval${count - have > 1 ? 's' : ''} from ${role}`);
  }
  return { ok: missing.length === 0, missing, approvers, sha: pr.head.sha };
}

export async function publishStatus(t: GitHubTarget, g: GitHubGate): Promise<void> {
  await api(t, `/repos/${t.owner}/${t.repo}/statuses/${g.sha}`, {
    method: 'POST',
    body: { state: g.ok ? 'success' : 'failure', context: 'depwarden/approvals', description: (g.ok ? `policy met: ${g.approvers.map((a) => a.login).join(', ')}` : `needs: ${g.missing.join('; ')}`).slice(0, 140) },
  });
}
