import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { matchRepository, remoteKey } from '../../src/builds/repo-match.ts';
import { pgStore } from '../helpers/request-context.ts';
import { runCli } from '../helpers/run-cli.ts';
import { needPostgres } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();

describe('webhook repository → registered repository', { skip: NO_PG }, () => {
  it('https, ssh:// and scp-like remotes of one repository are the same key; others are not', () => {
    const k = 'github.com/codertocat/hello-world';
    for (const r of ['https://github.com/Codertocat/Hello-World.git', 'https://github.com/Codertocat/Hello-World', 'git@github.com:Codertocat/Hello-World.git', 'ssh://git@github.com/codertocat/hello-world', 'https://github.com/Codertocat/Hello-World/']) assert.equal(remoteKey(r), k, r);
    assert.notEqual(remoteKey('https://gitlab.com/Codertocat/Hello-World.git'), k);
    assert.equal(remoteKey('/srv/repos/hello'), undefined);
    assert.equal(remoteKey('not a remote'), undefined);
  });

  it('matches by clone, ssh or html URL; an unregistered repository matches nothing', () => {
    const repos = [
      { name: 'hello', root: '/', branch: null, remote: 'git@github.com:Codertocat/Hello-World.git', webhookSecretEnv: null },
      { name: 'local', root: '/', branch: null, remote: null, webhookSecretEnv: null },
    ];
    assert.equal(matchRepository(repos, { full_name: 'Codertocat/Hello-World', clone_url: 'https://github.com/Codertocat/Hello-World.git' })?.name, 'hello');
    assert.equal(matchRepository(repos, { full_name: 'Codertocat/Hello-World' })?.name, 'hello');
    assert.equal(matchRepository(repos, { full_name: 'Other/Repo', clone_url: 'https://github.com/Other/Repo.git' }), undefined);
  });
});

describe('report --data with DATABASE_URL', { skip: NO_PG }, () => {
  it('writes to PostgreSQL, as the server with that data directory does', async () => {
    const p = await pgStore('dw_report_pg');
    try {
      const r = await runCli(['report', 'build', '--status', 'success', '--commit', 'e'.repeat(40), '--branch', 'main', '--repo', 'shop', '--data', '/nonexistent/never-created'], { env: { DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', DEPWARDEN_DB_SCHEMA: p.schema } });
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(await p.store.query('SELECT repo, status FROM builds'), [{ repo: 'shop', status: 'success' }]);
    } finally {
      await p.dispose();
    }
  });
});
