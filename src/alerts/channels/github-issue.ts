import { markdownText, safeUrl } from '../escape.ts';
import { placeOf, severityRank, type AlertItem, type AlertMessage } from '../message.ts';
import { type Channel, type ChannelEnv, secretOf, sendJson } from './channel.ts';

/**
 * The dependency dashboard issue: one issue per repository, found by a marker in its body, created once and then
 * edited in place with the whole current state (open vulnerabilities, pending approvals, held-back majors, failing
 * builds...), never one issue per message. REST API through the shared HTTP client (the host allow-list is the
 * configured apiUrl's host).
 */

export const DASHBOARD_MARKER = '<!-- depwarden:dependency-dashboard -->';

const SECTIONS: { title: string; match: (rule: string) => boolean }[] = [
  { title: 'Open vulnerabilities', match: (r) => r.startsWith('vulnerability.') },
  { title: 'Pending approvals and reviews', match: (r) => r.startsWith('change.') || r.startsWith('review.') },
  { title: 'Held-back and outdated dependencies', match: (r) => r.startsWith('outdated.') },
  { title: 'Builds and coverage', match: (r) => r.startsWith('build.') || r.startsWith('coverage.') },
  { title: 'Services and deploys', match: (r) => r.startsWith('health.') || r.startsWith('deploy.') },
];

const line = (i: AlertItem): string => {
  const place = placeOf(i);
  const facts = Object.entries(i.fields ?? {}).map(([k, v]) => `${markdownText(k)}: ${markdownText(v)}`);
  const links = (i.links ?? []).map((l) => (safeUrl(l.url) ? `[${markdownText(l.title)}](${safeUrl(l.url)!.replace(/[()\s]/g, encodeURIComponent)})` : markdownText(`${l.title}: ${l.url}`)));
  return `- **${markdownText(i.severity)}** ${markdownText(i.title)}${place ? ` — \`${place.replace(/`/g, "'")}\`` : ''}${facts.length ? ` (${facts.join(', ')})` : ''}${links.length ? ` ${links.join(' ')}` : ''}`;
};

export function renderDashboard(title: string, m: AlertMessage): { title: string; body: string } {
  const items = [...(m.active ?? m.items)].sort((a, b) => severityRank(b.severity) - severityRank(a.severity) || (a.dedupKey < b.dedupKey ? -1 : 1));
  const out = [DASHBOARD_MARKER, '', `This issue lists what depwarden finds open for this repository. It is edited in place; do not edit it by hand.`, ''];
  const rest = items.filter((i) => !SECTIONS.some((s) => s.match(i.rule)));
  for (const s of [...SECTIONS, { title: 'Other', match: () => false }]) {
    const mine = s.title === 'Other' ? rest : items.filter((i) => s.match(i.rule));
    if (!mine.length && s.title === 'Other') continue;
    out.push(`## ${s.title}`, '', ...(mine.length ? mine.map(line) : ['None.']), '');
  }
  out.push(`_Updated ${m.at.replace(/[^0-9TZ:.-]/g, '')} by depwarden._`, '');
  return { title, body: out.join('\n') };
}

interface Issue {
  number: number;
  body?: string | null;
  state: string;
  pull_request?: unknown;
}

export function githubIssueChannel(name: string, cfg: { repo: string; tokenEnv: string; title: string; apiUrl: string }, ce: ChannelEnv): Channel {
  return {
    name,
    kind: 'github-issue',
    async send(m) {
      const token = secretOf(ce.env, cfg.tokenEnv);
      if ('missing' in token) return token.missing;
      const base = `${cfg.apiUrl.replace(/\/+$/, '')}/repos/${cfg.repo}`;
      const headers = { authorization: `Bearer ${token.value}`, accept: 'application/vnd.github+json', 'x-github-api-version': '2022-11-28' };
      const shown = `github ${cfg.repo}`;
      const rendered = renderDashboard(cfg.title, m);
      // The marker, not the title, identifies the issue: a renamed issue is still ours, a look-alike title is not.
      let found: Issue | undefined;
      for (let page = 1; page <= 10 && !found; page++) {
        const r = await sendJson(`${base}/issues?state=all&per_page=100&page=${page}&sort=created&direction=asc`, '', { method: 'GET', headers, shown, timeoutMs: ce.timeoutMs });
        if (!r.ok) return r;
        const issues = JSON.parse(r.body ?? '[]') as Issue[];
        found = issues.find((i) => !i.pull_request && (i.body ?? '').includes(DASHBOARD_MARKER));
        if (issues.length < 100) break;
      }
      const body = JSON.stringify(found ? { title: rendered.title, body: rendered.body, state: 'open' } : { title: rendered.title, body: rendered.body });
      const r = found ? await sendJson(`${base}/issues/${found.number}`, body, { method: 'PATCH', headers, shown, timeoutMs: ce.timeoutMs }) : await sendJson(`${base}/issues`, body, { headers, shown, timeoutMs: ce.timeoutMs });
      const { body: _b, ...result } = r;
      return result;
    },
  };
}
