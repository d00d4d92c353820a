import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { needTool } from '../helpers/system-tool.ts';
const NO_SSH_KEYGEN = needTool('ssh-keygen', 'apt-get install openssh-client', ['-Y', 'sign', '-n', 'x']);

const WORKER = path.join(import.meta.dirname, 'rollback-worker.ts');

/** A repository with a known-good `api` service, then an update committed on top (so a rollback has work to do). */
async function repoWithUpdate(): Promise<{ repo: string; git: (...a: string[]) => string; run: (...a: string[]) => ReturnType<typeof runCli>; kinds: () => Promise<string[]>; done: () => void }> {
  const repo = mkdtempSync(path.join(tmpdir(), 'dw-rbsafe-'));
  const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { encoding: 'utf8' }).trim();
  git('init', '-q', '-b', 'main');
  git('config', 'user.email', 't@t');
  git('config', 'user.name', 't');
  // The trusted policy (main's depwarden.yaml) lists alice's key: every rollback step is signed by her.
  writeFileSync(path.join(repo, '.gitignore'), '.depwarden/state*\nkeys/\n');
  mkdirSync(path.join(repo, 'keys'));
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'alice', '-f', path.join(repo, 'keys', 'alice')]);
  writeFileSync(path.join(repo, 'depwarden.yaml'), `governance:\n  roles:\n    developers:\n      - login: alice\n        key: "${readFileSync(path.join(repo, 'keys', 'alice.pub'), 'utf8').trim()}"\n`);
  mkdirSync(path.join(repo, 'api'));
  writeFileSync(path.join(repo, 'api', 'requirements.txt'), 'requests==2.31.0\n');
  writeFileSync(path.join(repo, 'api', 'Dockerfile'), 'FROM python:3.12-slim\n');
  git('add', '.');
  git('commit', '-qm', 'good');
  const run = (...a: string[]) => runCli([...a, '-C', repo]);
  const kg = await run('known-good', 'api', '--actor', 'ci');
  assert.equal(kg.code, 0, kg.stderr);
  writeFileSync(path.join(repo, 'api', 'requirements.txt'), 'requests==2.32.3\n');
  git('commit', '-qam', 'update');
  const kinds = async () => (await runCli(['audit-log', 'export', repo])).stdout.trim().split('\n').map((l) => (JSON.parse(l) as { kind: string }).kind);
  return { repo, git, run, kinds, done: () => rmSync(repo, { recursive: true, force: true }) };
}

const rollbackBranches = (git: (...a: string[]) => string) => git('branch', '--list', 'depwarden/rollback-*', '--format=%(refname:short)').split('\n').filter(Boolean);

describe('rollback safety (issues 20.1, 20.11)', { skip: NO_SSH_KEYGEN }, () => {
  it('refuses to write through a committed symbolic link that points outside the repository; nothing is touched', async () => {
    const t = await repoWithUpdate();
    const outside = mkdtempSync(path.join(tmpdir(), 'dw-victim-'));
    try {
      writeFileSync(path.join(outside, 'authorized_keys'), 'precious\n');
      unlinkSync(path.join(t.repo, 'api', 'requirements.txt'));
      symlinkSync(path.join(outside, 'authorized_keys'), path.join(t.repo, 'api', 'requirements.txt'));
      t.git('add', 'api');
      t.git('commit', '-qm', 'a link');
      const head = t.git('rev-parse', 'HEAD');
      const r = await t.run('rollback', 'api', '--actor', 'alice', '--key', path.join(t.repo, 'keys', 'alice'), '--reason', 'bad');
      assert.notEqual(r.code, 0, r.stdout);
      assert.match(r.stderr, /api\/requirements\.txt is a symbolic link to .* outside the repository/);
      assert.doesNotMatch(r.stdout, /restores/);
      assert.equal(readFileSync(path.join(outside, 'authorized_keys'), 'utf8'), 'precious\n');
      assert.equal(t.git('rev-parse', 'HEAD'), head);
      assert.deepEqual(rollbackBranches(t.git), []);
      assert.ok(!(await t.kinds()).some((k) => k.startsWith('rollback')));
    } finally {
      t.done();
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('a second rollback has nothing to restore: says so, exit 0, no branch, commit or change', async () => {
    const t = await repoWithUpdate();
    try {
      const first = await t.run('rollback', 'api', '--actor', 'alice', '--key', path.join(t.repo, 'keys', 'alice'), '--reason', 'bad');
      assert.equal(first.code, 0, first.stderr);
      const head = t.git('rev-parse', 'HEAD');
      const events = (await t.kinds()).length;
      const second = await t.run('rollback', 'api', '--actor', 'alice', '--key', path.join(t.repo, 'keys', 'alice'), '--reason', 'bad again');
      assert.equal(second.code, 0, second.stderr);
      assert.match(second.stdout, /^api: nothing to restore: the working tree already holds its last known good state \([0-9a-f]{12}\); no branch, commit or change made\n$/);
      assert.equal(t.git('rev-parse', 'HEAD'), head);
      assert.equal(rollbackBranches(t.git).length, 1);
      assert.equal((await t.kinds()).length, events);
      assert.equal((await t.run('changes', 'list')).stdout.split('\n').filter((l) => l.startsWith('rollback-')).length, 1);
    } finally {
      t.done();
    }
  });

  it('kill -9 after the commit: the intent was recorded first, and the next run finishes that rollback instead of making another', async () => {
    const t = await repoWithUpdate();
    try {
      const killed = spawnSync(process.execPath, [WORKER, t.repo, 'api', 'committed'], { encoding: 'utf8' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      const commit = t.git('rev-parse', 'HEAD');
      assert.match(t.git('log', '-1', '--format=%s'), /^revert\(deps\): roll api back/);
      assert.deepEqual((await t.kinds()).slice(-1), ['rollback_started']);
      const r = await t.run('rollback', 'api', '--actor', 'alice', '--key', path.join(t.repo, 'keys', 'alice'), '--reason', 'again');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^finished the interrupted rollback: branch depwarden\/rollback-api-\S+ \([0-9a-f]{12}\) restores api\/requirements\.txt; change rollback-api-\S+ proposed/);
      assert.equal(t.git('rev-parse', 'HEAD'), commit);
      assert.equal(rollbackBranches(t.git).length, 1);
      const id = /change (rollback-api-\S+)/.exec(r.stdout)![1]!;
      assert.equal(JSON.parse((await t.run('changes', 'show', id)).stdout).commit, commit);
      assert.deepEqual((await t.kinds()).slice(-3), ['rollback_started', 'proposed', 'rollback_proposed']);
      assert.equal((await runCli(['audit-log', 'verify', t.repo])).code, 0);
    } finally {
      t.done();
    }
  });

  it('kill -9 before the commit: the next run records the first as abandoned, removes its empty branch and rolls back once', async () => {
    const t = await repoWithUpdate();
    try {
      const killed = spawnSync(process.execPath, [WORKER, t.repo, 'api', 'branched'], { encoding: 'utf8' });
      assert.equal(killed.signal, 'SIGKILL', killed.stderr);
      assert.equal(rollbackBranches(t.git).length, 1);
      const r = await t.run('rollback', 'api', '--actor', 'alice', '--key', path.join(t.repo, 'keys', 'alice'), '--reason', 'again');
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /^branch depwarden\/rollback-api-\S+ \([0-9a-f]{12}\) restores api\/requirements\.txt/);
      assert.equal(rollbackBranches(t.git).length, 1);
      assert.deepEqual((await t.kinds()).filter((k) => k.startsWith('rollback')), ['rollback_started', 'rollback_abandoned', 'rollback_started', 'rollback_proposed']);
      assert.equal(readFileSync(path.join(t.repo, 'api', 'requirements.txt'), 'utf8'), 'requests==2.31.0\n');
    } finally {
      t.done();
    }
  });
});
