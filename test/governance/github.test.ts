import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { githubGate, publishStatus } from '../../src/governance/github.ts';

/** A GitHub API stand-in on 127.0.0.1 that serves one pull request and records the statuses it receives. */
describe('approvals from GitHub pull request reviews', () => {
  const statuses: { sha: string; body: { state: string; context: string; description: string }; auth?: string }[] = [];
  let reviews: unknown[] = [];
  let files: string[] = ['api/requirements.txt'];
  const server = createServer((req, res) => {
    let body = '';
    req.on('data', (d) => (body += d));
    req.on('end', () => {
      if (req.url === '/repos/acme/fleet/pulls/7') return void res.end(JSON.stringify({ user: { login: 'alice' }, head: { sha: 'abc123' } }));
      if (req.url?.startsWith('/repos/acme/fleet/pulls/7/reviews')) return void res.end(JSON.stringify(reviews));
      if (req.url?.startsWith('/repos/acme/fleet/pulls/7/files')) return void res.end(JSON.stringify(files.map((filename) => ({ filename }))));
      const m = /^\/repos\/acme\/fleet\/statuses\/(\w+)$/.exec(req.url ?? '');
      if (m && req.method === 'POST') {
        statuses.push({ sha: m[1]!, body: JSON.parse(body), ...(req.headers.authorization ? { auth: req.headers.authorization } : {}) });
        return void res.writeHead(201).end('{}');
      }
      res.writeHead(404).end('{}');
    });
  });
  let target: { api: string; owner: string; repo: string; pull: number; token: string };
  before(async () => {
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    target = { api: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, owner: 'acme', repo: 'fleet', pull: 7, token: 'ghs_secret' };
  });
  after(() => server.close());
  const config = configSchema.parse({ governance: { roles: { developers: [{ login: 'alice' }, { login: 'bob' }], 'team-lead': [{ login: 'lead' }], security: [{ login: 'sec' }] } } });

  it('maps approving reviews to roles; the author, outsiders, stale and withdrawn approvals do not count', async () => {
    reviews = [
      { user: { login: 'alice' }, state: 'APPROVED', commit_id: 'abc123' }, // the author
      { user: { login: 'mallory' }, state: 'APPROVED', commit_id: 'abc123' }, // no role
      { user: { login: 'lead' }, state: 'APPROVED', commit_id: 'old999' }, // an older commit
      { user: { login: 'sec' }, state: 'APPROVED', commit_id: 'abc123' },
      { user: { login: 'sec' }, state: 'CHANGES_REQUESTED', commit_id: 'abc123' }, // withdrawn by a later review
      { user: { login: 'bob' }, state: 'COMMENTED', commit_id: 'abc123' },
    ];
    const g = await githubGate(config, target, 'major', { tests: true, impact: true });
    assert.deepEqual(g.approvers, []);
    assert.deepEqual(g.missing, ['1 more approval from team-lead', '1 more approval from security']);
    await publishStatus(target, g);
    assert.deepEqual(statuses.at(-1), { sha: 'abc123', body: { state: 'failure', context: 'depwarden/approvals', description: 'needs: 1 more approval from team-lead; 1 more approval from security' }, auth: 'Bearer ghs_secret' });
  });

  it('publishes success once the policy is met', async () => {
    reviews = [{ user: { login: 'bob' }, state: 'APPROVED', commit_id: 'abc123' }];
    const g = await githubGate(config, target, 'minor', { tests: true, impact: false });
    assert.equal(g.ok, true);
    await publishStatus(target, g);
    assert.equal(statuses.at(-1)!.body.state, 'success');
    assert.equal(statuses.at(-1)!.body.description, 'policy met: bob');
  });

  it('a pull request that edits depwarden.yaml needs the approvals of a policy change (major by default)', async () => {
    files = ['api/requirements.txt', 'depwarden.yaml'];
    try {
      reviews = [{ user: { login: 'bob' }, state: 'APPROVED', commit_id: 'abc123' }];
      const g = await githubGate(config, target, 'patch', { tests: true, impact: false });
      assert.equal(g.ok, false);
      assert.deepEqual(g.missing, ['no impact assessment attached', '1 more approval from team-lead', '1 more approval from security']);
    } finally {
      files = ['api/requirements.txt'];
    }
  });

  it('depwarden gate --github --publish: exit code and commit status, token never printed', async () => {
    const { runCli } = await import('../helpers/run-cli.ts');
    const { mkdtempSync, rmSync, writeFileSync } = await import('node:fs');
    const { tmpdir } = await import('node:os');
    const path = await import('node:path');
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-gh-'));
    try {
      const { execFileSync } = await import('node:child_process');
      const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { stdio: 'ignore' });
      writeFileSync(path.join(repo, 'depwarden.yaml'), 'governance:\n  roles:\n    developers:\n      - login: bob\n');
      git('init', '-q', '-b', 'main');
      git('add', '-A');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'policy');
      // The pull request's checkout makes mallory a developer: the roles are read from main, so her approval does not count.
      git('checkout', '-q', '-b', 'pr');
      writeFileSync(path.join(repo, 'depwarden.yaml'), 'governance:\n  roles:\n    developers:\n      - login: bob\n      - login: mallory\n');
      git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'make mallory a developer');
      reviews = [{ user: { login: 'mallory' }, state: 'APPROVED', commit_id: 'abc123' }];
      const self = await runCli(['gate', '--github', 'acme/fleet#7', '--class', 'patch', '--tests-passed', '-C', repo], { env: { GITHUB_API_URL: target.api } });
      assert.equal(self.code, 1);
      assert.match(self.stdout, /policy not met: 1 more approval from developers/);
      reviews = [{ user: { login: 'bob' }, state: 'APPROVED', commit_id: 'abc123' }];
      const r = await runCli(['gate', '--github', 'acme/fleet#7', '--class', 'patch', '--tests-passed', '--publish', '-C', repo], { env: { GITHUB_API_URL: target.api, GITHUB_TOKEN: 'ghs_secret' } });
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'acme/fleet#7: policy met (bob: developers)\n');
      assert.doesNotMatch(r.stdout + r.stderr, /ghs_secret/);
      const no = await runCli(['gate', '--github', 'acme/fleet#7', '--class', 'patch', '-C', repo], { env: { GITHUB_API_URL: target.api } });
      assert.equal(no.code, 1);
      assert.match(no.stdout, /policy not met: tests have not passed/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
