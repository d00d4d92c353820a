import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { isGitUrl, stripUserinfo } from '../../src/serve/repos.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { baseEnv, cli, FAST, fixtureRepo, get, git, send, serve, stop, tempDir, waitFor, writeServeConfig } from './serve-helpers.ts';

describe('registered repositories', () => {
  it('strips credentials from git URLs, keeps ssh user names', () => {
    assert.deepEqual(stripUserinfo('https://user:s3cret@git.example.com/a/b.git'), { url: 'https://git.example.com/a/b.git', stripped: true });
    assert.deepEqual(stripUserinfo('https://ghp_abc@github.com/a/b'), { url: 'https://github.com/a/b', stripped: true });
    assert.deepEqual(stripUserinfo('ssh://git@github.com/a/b'), { url: 'ssh://git@github.com/a/b', stripped: false });
    assert.deepEqual(stripUserinfo('ssh://git:pw@github.com/a/b'), { url: 'ssh://github.com/a/b', stripped: true });
    assert.ok(isGitUrl('git@github.com:a/b.git'));
    assert.ok(isGitUrl('file:///srv/x.git'));
    assert.ok(!isGitUrl('/srv/x'));
    assert.ok(!isGitUrl('./a:b'));
  });

  it('clones a git URL into the data dir, follows pushes, and records a repository that cannot be fetched as a failed job while the others go on', async () => {
    const data = tempDir();
    const env = baseEnv();
    writeServeConfig(data, `${FAST.replace('leaseSeconds: 3', 'leaseSeconds: 120')}  perCommit: [check]\n`);
    const work = fixtureRepo();
    const bare = path.join(tempDir(), 'origin.git');
    git(path.dirname(bare), 'clone', '-q', '--bare', work, bare);
    assert.equal(cli(['repo', 'add', `file://${bare}`, '--name', 'cloned', '--data', data], env).code, 0);
    const broken = cli(['repo', 'add', 'https://deploy:s3cret-value@127.0.0.1:9/nothing.git', '--name', 'broken', '--data', data], env);
    assert.equal(broken.code, 0, broken.stderr);
    assert.match(broken.stderr, /credentials in the URL were not stored/);
    const list = cli(['repo', 'list', '--format', 'json', '--data', data], env);
    assert.deepEqual(JSON.parse(list.stdout).map((r: { name: string; remote: string }) => [r.name, r.remote]), [['broken', 'https://127.0.0.1:9/nothing.git'], ['cloned', `file://${bare}`]]);
    // A repository whose registries are a closed local port: the network jobs must fail cleanly, with the reason.
    const port = await closedPort();
    const offline = fixtureRepo();
    writeFileSync(path.join(offline, 'depwarden.yaml'), `version: 1\nupdates:\n  schedule: "0 6 * * 2"\n  timezone: Europe/Paris\n  registries:\n    pypi: http://127.0.0.1:${port}/pypi\n    npm: http://127.0.0.1:${port}\n    github: http://127.0.0.1:${port}\n    oci:\n      docker.io: http://127.0.0.1:${port}\n`);
    git(offline, 'add', '-A');
    git(offline, 'commit', '-qm', 'offline registries');
    assert.equal(cli(['repo', 'add', offline, '--name', 'offline', '--data', data], env).code, 0);
    const token = cli(['token', 'create', '--login', 'ci', '--scope', 'write', '--data', data], env).stdout.trim();
    const s = await serve(['--listen', '127.0.0.1:0', '--data', data], env);
    try {
      const first = await waitFor('the clone checked', async () => (await get(`${s.url}/api/v1/repos/cloned/findings`, token)).json?.snapshot);
      assert.equal(first.commit, git(work, 'rev-parse', 'HEAD'));
      const failed = await waitFor('the failed fetch', async () => (await get(`${s.url}/api/v1/jobs?repo=broken&outcome=failed`, token)).json.items[0]);
      assert.equal(failed.kind, 'fetch');
      assert.match(failed.error, /git clone: .*127\.0\.0\.1/);
      // A push to the remote is a new commit: fetched and checked.
      writeFileSync(path.join(work, 'api', 'Dockerfile'), 'FROM python:3.13-slim\n');
      git(work, 'commit', '-qam', 'bump');
      git(work, 'push', '-q', bare, 'HEAD:main');
      const head = git(work, 'rev-parse', 'HEAD');
      await waitFor('the pushed commit checked', async () => (await get(`${s.url}/api/v1/repos/cloned/findings`, token)).json?.snapshot?.commit === head);
      // The weekly update follows the repository's own schedule and time zone; run now, it fails cleanly offline.
      const sched = await waitFor('the update schedule', async () => (await get(`${s.url}/api/v1/schedules`, token)).json.items.find((x: { key: string }) => x.key === 'offline'));
      assert.deepEqual(sched, { queue: 'dw-update', key: 'offline', cron: '0 6 * * 2', timezone: 'Europe/Paris' });
      assert.equal((await send('POST', `${s.url}/api/v1/repos/offline/jobs`, token, { kinds: ['outdated', 'update'] })).status, 201);
      const outdated = await waitFor('the outdated run', async () => (await get(`${s.url}/api/v1/jobs?repo=offline&kind=outdated`, token)).json.items.find((j: { outcome: string }) => j.outcome !== 'running'), 90_000);
      assert.equal(outdated.outcome, 'failed');
      assert.match(outdated.error, /registry unreachable: 127\.0\.0\.1/);
      const update = await waitFor('the update run', async () => (await get(`${s.url}/api/v1/jobs?repo=offline&kind=update`, token)).json.items.find((j: { outcome: string }) => j.outcome !== 'running'), 90_000);
      assert.equal(update.outcome, 'failed');
      assert.match(update.error, /depwarden update exited 5/);
      const after = cli(['repo', 'remove', 'broken', '--data', data], env);
      assert.equal(after.code, 0, after.stderr);
    } finally {
      await stop(s);
    }
    assert.ok(!s.stderr().includes('s3cret-value'), 'the credential is never logged');
  });
});
