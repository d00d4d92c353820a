import type { Answer, Received } from './receiver.ts';

/** A stand-in for the GitHub issues REST API: list (paged), create, edit; checks the token. */
export interface FakeIssue {
  number: number;
  title: string;
  body: string;
  state: string;
  pull_request?: unknown;
}

export function githubIssues(token: string, issues: FakeIssue[] = []): { issues: FakeIssue[]; handle(r: Received): Answer } {
  const json = (status: number, v: unknown): Answer => ({ status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(v) });
  return {
    issues,
    handle(r) {
      if (r.headers.authorization !== `Bearer ${token}`) return json(401, { message: 'Bad credentials' });
      const u = new URL(r.url, 'http://x');
      const m = /^\/repos\/([^/]+)\/([^/]+)\/issues(?:\/(\d+))?$/.exec(u.pathname);
      if (!m) return json(404, { message: 'Not Found' });
      if (r.method === 'GET' && !m[3]) {
        const page = Number(u.searchParams.get('page') ?? 1);
        const per = Number(u.searchParams.get('per_page') ?? 30);
        return json(200, issues.slice((page - 1) * per, page * per));
      }
      if (r.method === 'POST' && !m[3]) {
        const b = JSON.parse(r.body) as { title: string; body: string };
        const issue = { number: issues.length + 1, title: b.title, body: b.body, state: 'open' };
        issues.push(issue);
        return json(201, issue);
      }
      if (r.method === 'PATCH' && m[3]) {
        const issue = issues.find((i) => i.number === Number(m[3]));
        if (!issue) return json(404, { message: 'Not Found' });
        Object.assign(issue, JSON.parse(r.body) as Partial<FakeIssue>);
        return json(200, issue);
      }
      return json(405, { message: 'no' });
    },
  };
}
