import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { needTool } from '../helpers/system-tool.ts';
const NO_SSH_KEYGEN = needTool('ssh-keygen', 'apt-get install openssh-client', ['-Y', 'sign', '-n', 'x']);

const HASH = (c: string) => `sha256:${c.repeat(64)}`;
const lockText = (v: string, h: string) => `[[package]]\nname = "requests"\nversion = "${v}"\ndescription = ""\noptional = false\npython-versions = "*"\ngroups = ["main"]\nfiles = [{file = "r", hash = "${HASH(h)}"}]\n\n[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "x"\n`;

describe('rollback end to end on a real git repository', { skip: NO_SSH_KEYGEN }, () => {
  it('an update is merged, marked bad and rolled back to the exact previous lock bytes and digests; the audit trail shows every step', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-rollback-'));
    const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { encoding: 'utf8' }).trim();
    try {
      git('init', '-q', '-b', 'main');
      git('config', 'user.email', 't@t');
      git('config', 'user.name', 't');
      writeFileSync(path.join(repo, '.gitignore'), '.depwarden/state/\nkeys/\n');
      mkdirSync(path.join(repo, 'keys'));
      for (const n of ['alice', 'bob', 'ci', 'sec']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', n, '-f', path.join(repo, 'keys', n)]);
      const pub = (n: string) => readFileSync(path.join(repo, 'keys', `${n}.pub`), 'utf8').trim();
      writeFileSync(path.join(repo, 'depwarden.yaml'), `governance:\n  roles:\n    developers:\n      - login: alice\n        key: "${pub('alice')}"\n      - login: bob\n        key: "${pub('bob')}"\n    ci:\n      - login: ci\n        key: "${pub('ci')}"\n    security:\n      - login: sec\n        key: "${pub('sec')}"\n`);
      mkdirSync(path.join(repo, 'api'));
      writeFileSync(path.join(repo, 'api', 'pyproject.toml'), '[project]\nname = "api"\nversion = "1"\ndependencies = ["requests==2.31.0"]\n');
      writeFileSync(path.join(repo, 'api', 'poetry.lock'), lockText('2.31.0', 'a'));
      writeFileSync(path.join(repo, 'api', 'Dockerfile'), `FROM python:3.12-slim@${HASH('1')}\n`);
      git('add', '.');
      git('commit', '-qm', 'good');
      const goodLock = readFileSync(path.join(repo, 'api', 'poetry.lock'));
      const goodDocker = readFileSync(path.join(repo, 'api', 'Dockerfile'));
      const run = (...a: string[]) => runCli([...a, '-C', repo]);
      assert.equal((await run('known-good', 'api', '--actor', 'ci', '--checks', 'tests,health')).code, 0);

      // The update: a new lock and a new base image digest, through the approval process.
      writeFileSync(path.join(repo, 'api', 'pyproject.toml'), '[project]\nname = "api"\nversion = "1"\ndependencies = ["requests==2.32.3"]\n');
      writeFileSync(path.join(repo, 'api', 'poetry.lock'), lockText('2.32.3', 'b'));
      writeFileSync(path.join(repo, 'api', 'Dockerfile'), `FROM python:3.12-slim@${HASH('2')}\n`);
      git('commit', '-qam', 'update requests and base image');
      const updateSha = git('rev-parse', 'HEAD');
      const key = (n: string) => ['--key', path.join(repo, 'keys', n)];
      assert.equal((await run('changes', 'propose', 'c1', '--title', 'requests 2.32.3', '--class', 'minor', '--author', 'alice', '--commit', updateSha, ...key('alice'))).code, 0);
      assert.equal((await run('changes', 'tested', 'c1', '--actor', 'ci', ...key('ci'))).code, 0);
      assert.equal((await run('approve', 'c1', '--as', 'bob', ...key('bob'))).code, 0);
      const merged = await run('changes', 'merge', 'c1', '--actor', 'bob', ...key('bob'));
      assert.equal(merged.code, 0, merged.stderr);

      // Marked bad: roll back.
      const r = await run('rollback', 'api', '--actor', 'alice', '--key', path.join(repo, 'keys', 'alice'), '--reason', '5xx after deploy', '--change', 'c1');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^branch depwarden\/rollback-api-\d{8}T\d{6}(-\d+)? \([0-9a-f]{12}\) restores api\/Dockerfile, api\/poetry\.lock, api\/pyproject\.toml; change rollback-api-\S+ proposed/);
      assert.deepEqual(readFileSync(path.join(repo, 'api', 'poetry.lock')), goodLock);
      assert.deepEqual(readFileSync(path.join(repo, 'api', 'Dockerfile')), goodDocker);
      assert.match(git('log', '-1', '--format=%s'), /^revert\(deps\): roll api back to [0-9a-f]{12}$/);
      assert.match(readFileSync(path.join(repo, 'docs', 'dependency-changelog.md'), 'utf8'), /rollback of api[\s\S]*Reason: 5xx after deploy/);
      assert.match((await run('changes', 'list')).stdout, /^c1\s+rolled_back/m);
      assert.match((await run('changes', 'list')).stdout, /^rollback-api-\S+\s+proposed\s+rollback\s+alice\s+.*needs: 1 more approval from team-lead/m);
      const kinds = (await runCli(['audit-log', 'export', repo])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind);
      assert.deepEqual(kinds, ['known_good_recorded', 'proposed', 'tests_passed', 'approved', 'merged', 'rollback_started', 'proposed', 'rollback_proposed', 'rolled_back']);
      assert.equal((await runCli(['audit-log', 'verify', repo])).code, 0);

      // A failed health check takes the emergency lane (after going back to the bad state on main): only the
      // security role may take it.
      git('checkout', '-q', '-');
      const dev = await run('rollback', 'api', '--actor', 'alice', '--key', path.join(repo, 'keys', 'alice'), '--reason', 'health check /ready failing', '--health-check-failed');
      assert.equal(dev.code, 1);
      assert.match(dev.stderr, /alice \(developers\) does not hold a role that may take the emergency lane \(security\)/);
      git('checkout', '-q', 'main');
      const e = await run('rollback', 'api', '--actor', 'sec', '--key', path.join(repo, 'keys', 'sec'), '--reason', 'health check /ready failing', '--health-check-failed');
      assert.equal(e.code, 0, e.stderr);
      assert.match(e.stdout, /merged through the emergency lane \(post-update review opened\)/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
