import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { startPackageIndex, type PackageIndex } from '../helpers/package-index.ts';
import { startStandIn, type StandIn } from '../helpers/registry-stand-in.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { needTool } from '../helpers/system-tool.ts';

/**
 * End to end, everything real but the internet: a git repository with outdated Poetry, npm, Docker and Actions
 * dependencies; a PEP 503 index and an npm registry (real wheels and tarballs) that the real `poetry` and `npm`
 * relock against; an OCI registry and a GitHub API stand-in that records the pull requests it receives.
 */
const SHA_OLD = 'b4ffde65f46336ab88eb53be808477a3936bae11';
const SHA_NEW = '11bd71901bbe5b1630ceea73d27597364c9af683';
const digestOf = (s: string): string => `sha256:${createHash('sha256').update(s).digest('hex')}`;
const D_OLD = digestOf('python 3.11.4-slim');
const D_NEW = digestOf('python 3.11.9-slim');

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2026-11-20T10:00:00Z', GIT_COMMITTER_DATE: '2026-11-20T10:00:00Z' } }).trim();
const run = promisify(execFile);
const show = (repo: string, rev: string, file: string): string => git(repo, 'show', `${rev}:${file}`);

describe('depwarden update end to end', { timeout: 600_000, skip: needTool('poetry', 'apt-get install python3-poetry') }, () => {
  let index: PackageIndex;
  let registry: StandIn;
  let github: StandIn;
  let repo: string;
  let remote: string;
  const prs: { method: string; url: string; body: unknown }[] = [];
  const open = new Map<string, number>();
  const home = mkdtempSync(path.join(tmpdir(), 'dw-e2e-home-'));

  before(async () => {
    index = await startPackageIndex({
      python: [
        { name: 'pkg-a', version: '1.0.0' },
        { name: 'pkg-a', version: '1.1.0', requiresDist: ['pkg-b>=2.0'] },
        { name: 'pkg-b', version: '2.0.0' },
      ],
      npm: [
        { name: 'tiny-lib', version: '1.0.0' },
        { name: 'tiny-lib', version: '1.2.0' },
        { name: 'broken-lib', version: '1.0.0' },
        { name: 'broken-lib', version: '1.0.1', dependencies: { 'does-not-exist': '^9.0.0' } },
      ],
    });
    registry = await startStandIn((req) => {
      if (req.url.startsWith('/v2/library/python/tags/list')) return { body: { name: 'library/python', tags: ['3.11.4-slim', '3.11.9-slim', '3.12-slim', 'latest'] } };
      const m = /^\/v2\/library\/python\/manifests\/(.+)$/.exec(req.url);
      if (m) {
        const digest = m[1] === '3.11.9-slim' ? D_NEW : D_OLD;
        return { headers: { 'docker-content-digest': digest, 'content-type': 'application/vnd.oci.image.index.v1+json' }, body: { schemaVersion: 2, mediaType: 'application/vnd.oci.image.index.v1+json', manifests: [] } };
      }
      return undefined;
    });
    github = await startStandIn((req) => {
      if (req.url.startsWith('/repos/actions/checkout/tags')) return { body: [{ name: 'v4.2.2', commit: { sha: SHA_NEW } }, { name: 'v4.1.0', commit: { sha: SHA_OLD } }] };
      if (req.url.startsWith('/repos/actions/checkout/releases')) return { body: [{ tag_name: 'v4.2.2', published_at: '2026-10-01T00:00:00Z', body: 'Fix a path bug <script>', html_url: 'https://github.com/actions/checkout/releases/tag/v4.2.2', draft: false, prerelease: false }] };
      // The publish pre-check: the repository is visible with the token, which may push.
      if (req.url === '/repos/acme/fleet') return { body: { full_name: 'acme/fleet', permissions: { push: true } } };
      if (req.url.startsWith('/repos/acme/fleet/pulls?')) {
        const head = decodeURIComponent(/head=([^&]+)/.exec(req.url)?.[1] ?? '').replace(/^acme:/, '');
        const n = open.get(head);
        return { body: n ? [{ number: n, html_url: `https://github.example/pr/${n}` }] : [] };
      }
      if (req.method !== 'GET') {
        const body = req.body ? (JSON.parse(req.body) as { head?: string }) : undefined;
        prs.push({ method: req.method, url: req.url, body });
        if (req.url === '/repos/acme/fleet/pulls') {
          const n = open.size + 1;
          open.set(body!.head!, n);
          return { status: 201, body: { number: n, html_url: `https://github.example/pr/${n}` } };
        }
        return { status: 200, body: {} };
      }
      return undefined;
    });

    remote = mkdtempSync(path.join(tmpdir(), 'dw-e2e-remote-'));
    git(remote, 'init', '-q', '--bare', '-b', 'main');
    repo = mkdtempSync(path.join(tmpdir(), 'dw-e2e-repo-'));
    const w = (rel: string, text: string): void => void writeTree({ [rel]: text }, repo);
    w(
      'services/agent/pyproject.toml',
      `[tool.poetry]\nname = "agent"\nversion = "0.1.0"\ndescription = ""\nauthors = ["fleet <fleet@example.com>"]\n\n[tool.poetry.dependencies]\npython = "^3.9"\npkg-a = "1.0.0"\n\n[[tool.poetry.source]]\nname = "internal"\nurl = "${index.simpleUrl}"\ndefault = true\n`,
    );
    w('services/agent/Dockerfile', `FROM python:3.11.4-slim@${D_OLD}\nCOPY . /app\n`);
    w('services/web/package.json', `${JSON.stringify({ name: 'web', version: '1.0.0', private: true, dependencies: { 'tiny-lib': '1.0.0', 'broken-lib': '1.0.0' } }, null, 2)}\n`);
    w('.github/workflows/ci.yml', `name: ci\non: [push]\njobs:\n  test:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@${SHA_OLD} # v4.1.0\n`);
    w(
      'depwarden.yaml',
      `updates:\n  minimumReleaseAgeDays: 0\n  grouping: none\n  registries:\n    npm: ${index.npmUrl}\n    github: ${github.url}\n    oci:\n      docker.io: ${registry.url}\n  cache:\n    maxAgeMinutes: 0\ngovernance:\n  roles:\n    developers:\n      - login: dev1\n      - login: depwarden\n    team-lead:\n      - login: lead\n    security:\n      - login: sec\n`,
    );
    w('.gitignore', '.depwarden/state*\n.depwarden/updates/\n');
    // The starting locks come from the real tools too.
    // Async: the index answering them lives in this process.
    await run('poetry', ['lock', '--no-update'], { cwd: path.join(repo, 'services/agent'), env: { ...process.env, HOME: home, POETRY_CACHE_DIR: path.join(home, 'poetry'), POETRY_VIRTUALENVS_CREATE: 'false', PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring' }, });
    await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--registry', index.npmUrl, '--cache', path.join(home, 'npm')], { cwd: path.join(repo, 'services/web') });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'fleet');
    git(repo, 'remote', 'add', 'origin', remote);
    git(repo, 'push', '-q', 'origin', 'main');
  });

  after(async () => {
    await index.close();
    await registry.close();
    await github.close();
  });

  const env = (): NodeJS.ProcessEnv => ({ DEPWARDEN_HOME: home, HOME: home, GITHUB_TOKEN: 'ghs_e2e_secret', SOURCE_DATE_EPOCH: String(Date.parse('2026-11-23T06:00:00Z') / 1000), PATH: process.env.PATH });

  it('outdated lists every kind of update', async () => {
    const r = await runCli(['outdated', repo, '--format', 'json'], { env: env() });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const doc = JSON.parse(r.stdout) as { schemaVersion: number; entries: { name: string; current?: string; allowed?: string; updateType?: string; digest?: string; dependencyType?: string }[] };
    assert.equal(doc.schemaVersion, 1);
    const rows = doc.entries.map((e) => [e.name, e.current, e.allowed, e.updateType, e.dependencyType]);
    assert.deepEqual(rows.sort(), [
      ['actions/checkout', 'v4.1.0', 'v4.2.2', 'minor', 'dev'],
      ['broken-lib', '1.0.0', '1.0.1', 'patch', 'main'],
      ['pkg-a', '1.0.0', '1.1.0', 'minor', 'main'],
      ['python', '3.11.4-slim', '3.11.9-slim', 'patch', 'main'],
      ['tiny-lib', '1.0.0', '1.2.0', 'minor', 'main'],
    ]);
  });

  it('applies, relocks with the real tools, commits per change, writes changelog and PR bodies, opens PRs; a failing change leaves everything as it was', async () => {
    const headBefore = git(repo, 'rev-parse', 'HEAD');
    const r = await runCli(['update', repo, '--publish', 'github', '--github-repo', 'acme/fleet', '--force'], { env: env() });
    // broken-lib 1.0.1 needs a package the registry does not have: its relock fails, the run says so (exit 1).
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /broken-lib.*\n(.*\n)*\s+failed on depwarden\/services-web-broken-lib-1\.0\.1-[0-9a-f]{6}/);
    assert.match(r.stderr, /relock of services\/web\/package\.json failed/);
    // The user's checkout: same commit, nothing modified, no stray worktrees.
    assert.equal(git(repo, 'rev-parse', 'HEAD'), headBefore);
    assert.equal(git(repo, 'status', '--porcelain', '--untracked-files=no'), '');
    assert.equal(git(repo, 'worktree', 'list').split('\n').length, 1);
    const branches = git(repo, 'branch', '--format=%(refname:short)').split('\n').sort();
    assert.equal(branches.filter((b) => b.includes('broken-lib')).length, 0);

    const branchOf = (part: string): string => branches.find((b) => b.includes(part))!;
    // Poetry: pin edited, lock relocked by poetry with pkg-a 1.1.0 and the new transitive pkg-b.
    const pb = branchOf('pkg-a');
    assert.match(show(repo, pb, 'services/agent/pyproject.toml'), /^pkg-a = "1\.1\.0"$/m);
    const lock = show(repo, pb, 'services/agent/poetry.lock');
    assert.match(lock, /name = "pkg-a"\nversion = "1\.1\.0"/);
    assert.match(lock, /name = "pkg-b"\nversion = "2\.0\.0"/);
    assert.ok(lock.includes(index.pyFiles('pkg-a', '1.1.0')[0]!.hashes[0]!), 'the served wheel hash is in the lock');
    assert.equal(git(repo, 'diff', '--name-only', `main..${pb}`).split('\n').sort().join(','), 'docs/dependency-changelog.md,services/agent/poetry.lock,services/agent/pyproject.toml');
    // npm: manifest and lock with the served integrity.
    const nb = branchOf('tiny-lib');
    assert.equal(JSON.parse(show(repo, nb, 'services/web/package.json')).dependencies['tiny-lib'], '1.2.0');
    assert.equal(JSON.parse(show(repo, nb, 'services/web/package-lock.json')).packages['node_modules/tiny-lib'].integrity, index.npmDist('tiny-lib', '1.2.0').integrity);
    // Docker: new tag pinned by its digest; the rest of the line as written.
    assert.equal(show(repo, branchOf('python'), 'services/agent/Dockerfile'), `FROM python:3.11.9-slim@${D_NEW}\nCOPY . /app`);
    // Actions: the new SHA and its version comment.
    assert.match(show(repo, branchOf('checkout'), '.github/workflows/ci.yml'), new RegExp(`uses: actions/checkout@${SHA_NEW} # v4\\.2\\.2$`, 'm'));
    // Conventional commit, changelog entry.
    assert.match(git(repo, 'log', '-1', '--format=%s', pb), /^chore\(deps\): update pkg-a to 1\.1\.0 in services\/agent$/);
    assert.match(show(repo, pb, 'docs/dependency-changelog.md'), /## 2026-11-23 — update pkg-a to 1\.1\.0 in services\/agent[\s\S]*pkg-a 1\.0\.0 -> 1\.1\.0 \(minor\)[\s\S]*Transitive: pkg-b ∅ -> 2\.0\.0/);
    // PR body: rationale, lock diff with the transitive package, SBOM diff, approvals, release notes fenced.
    const body = readFileSync(path.join(repo, '.depwarden/updates', `${pb.replace('depwarden/', '')}.md`), 'utf8');
    assert.match(body, /### Why\n\n- Policy: minor update may merge once tests pass/);
    assert.match(body, /\| pkg-b \|  \| 2\.0\.0 \| added \| no \|/);
    assert.match(body, /#### SBOM diff\n\n1 added, 0 removed, 1 changed/);
    assert.match(body, /1 approval from \*\*developers\*\*/);
    const actionBody = readFileSync(path.join(repo, '.depwarden/updates', `${branchOf('checkout').replace('depwarden/', '')}.md`), 'utf8');
    assert.match(actionBody, /```text\nFix a path bug <script>\n```/);
    // Branches pushed, PRs opened with labels and reviewers from the policy (not the actor itself).
    assert.equal(git(remote, 'branch', '--format=%(refname:short)').split('\n').length, 5);
    const created = prs.filter((p) => p.method === 'POST' && p.url === '/repos/acme/fleet/pulls');
    assert.equal(created.length, 4);
    assert.ok(created.every((p) => (p.body as { base: string }).base === 'main'));
    const reviewers = prs.find((p) => p.url.endsWith('/requested_reviewers'))!.body as { reviewers: string[] };
    assert.deepEqual(reviewers.reviewers, ['dev1']);
    assert.ok(prs.some((p) => p.url.endsWith('/labels') && (p.body as { labels: string[] }).labels.includes('dependencies')));
    assert.ok(github.requests.every((q) => !JSON.stringify(q).includes('ghs_e2e_secret')), 'the token is never recorded');
    assert.doesNotMatch(r.stdout + r.stderr, /ghs_e2e_secret/);
    // Each published update is a governance change.
    const changes = await runCli(['changes', 'list', '-C', repo], { env: env() });
    assert.equal((changes.stdout.match(/proposed/g) ?? []).length, 4, changes.stdout);
  });

  it('a re-run with nothing new leaves the branches alone', async () => {
    const before = git(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/depwarden');
    const r = await runCli(['update', repo, '--force', '--only', ...git(repo, 'branch', '--format=%(refname:short)', '--list', 'depwarden/*').split('\n').map((b) => b.replace('depwarden/', ''))], { env: env() });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal((r.stdout.match(/ unchanged /g) ?? []).length, 4, r.stdout);
    assert.equal(git(repo, 'for-each-ref', '--format=%(refname) %(objectname)', 'refs/heads/depwarden'), before);
  });
  it('a new base commit moves the branches and updates the open pull requests instead of opening new ones', async () => {
    writeTree({ 'README.md': 'fleet\n' }, repo);
    git(repo, 'add', 'README.md');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'readme');
    const posted = prs.length;
    const r = await runCli(['update', repo, '--publish', 'github', '--github-repo', 'acme/fleet', '--force', '--only', ...[...open.keys()].map((b) => b.replace('depwarden/', ''))], { env: env() });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const now = prs.slice(posted);
    assert.equal(now.filter((p) => p.method === 'POST' && p.url === '/repos/acme/fleet/pulls').length, 0, 'no new pull request');
    assert.equal(now.filter((p) => p.method === 'PATCH').length, 4);
    assert.match(r.stdout, /PR #\d+ https:\/\/github\.example\/pr\/\d+/);
    // The remote branches now sit on the new base.
    for (const b of open.keys()) assert.equal(git(remote, 'rev-parse', `${b}^`), git(repo, 'rev-parse', 'main'));
  });

  it('a push that fails is reported with what was written locally', async () => {
    const slug = [...open.keys()][0]!.replace('depwarden/', '');
    // A remote that answers (the pre-check passes) but refuses every push.
    const refusing = mkdtempSync(path.join(tmpdir(), 'dw-e2e-refusing-'));
    git(refusing, 'init', '-q', '--bare', '-b', 'main');
    writeFileSync(path.join(refusing, 'hooks', 'pre-receive'), '#!/bin/sh\necho "pushes are closed" >&2\nexit 1\n', { mode: 0o755 });
    if (!git(repo, 'remote').split('\n').includes('refusing')) git(repo, 'remote', 'add', 'refusing', refusing);
    const r = await runCli(['update', repo, '--publish', 'github', '--github-repo', 'acme/fleet', '--force', '--remote', 'refusing', '--only', slug], { env: env() });
    assert.equal(r.code, 1, r.stderr);
    // git's own first line (the hook's reason) is kept, with its error line.
    assert.match(r.stderr, new RegExp(`${slug}: FAILED: git push: remote: pushes are closed \\(error: failed to push some refs`));
    assert.match(r.stderr, new RegExp(`${slug}: FAILED: git push: .*\\(the branch depwarden/${slug} and \\.depwarden/updates/${slug}\\.md were written locally; publishing it failed, re-run to retry\\)`));
  });

  it('outdated as SARIF carries the update rules', async () => {
    const r = await runCli(['outdated', repo, '--format', 'sarif'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const sarif = JSON.parse(r.stdout) as { runs: { results: { ruleId: string; message: { text: string } }[] }[] };
    assert.deepEqual([...new Set(sarif.runs[0]!.results.map((x) => x.ruleId))], ['DW401']);
    assert.ok(sarif.runs[0]!.results.some((x) => /pkg-a 1\.0\.0 -> 1\.1\.0 \(minor\)/.test(x.message.text)));
  });

  it('a security fix from the audit takes the emergency lane, even off schedule', async () => {
    const osv = writeTree({ 'PYSEC-2026-1.json': JSON.stringify({ id: 'PYSEC-2026-1', aliases: ['CVE-2026-0001'], modified: '2026-11-01T00:00:00Z', summary: 'pkg-a leaks', affected: [{ package: { ecosystem: 'PyPI', name: 'pkg-a' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '1.1.0' }] }] }], severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] }) });
    const secHome = mkdtempSync(path.join(tmpdir(), 'dw-e2e-sec-'));
    const e = { ...env(), DEPWARDEN_HOME: secHome, SOURCE_DATE_EPOCH: String(Date.parse('2026-11-25T12:00:00Z') / 1000) };
    assert.equal((await runCli(['db', 'import', osv], { env: e })).code, 0);
    const r = await runCli(['update', repo, '--dry-run'], { env: e });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /off schedule/);
    assert.match(r.stdout, /^security \(1\) +security-pkg-a-1\.1\.0 +pkg-a 1\.0\.0 -> 1\.1\.0 \(CVE-2026-0001\)$/m);
    assert.match(r.stdout, /emergency lane: may merge before review; a post-update review by security is due within 48 h/);
    assert.match(r.stdout, /^deferred \(4\)\n +4 changes, 4 updates +outside the schedule/m);
    assert.match(r.stdout, /update: 1 change\(s\) planned, 4 deferred \(dry run: nothing changed\)\./);
  });
});
