import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { freshStore, govFor, makeRepo, members, requirement } from './gov-fixture.ts';
import { needPostgres, needTool } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();
const NO_SSH_KEYGEN = needTool('ssh-keygen', 'apt-get install openssh-client', ['-Y', 'sign', '-n', 'x']);

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('switching from the embedded store to PostgreSQL (issue 11.7)', { skip: NO_SSH_KEYGEN || NO_PG }, () => {
  it('`store migrate --to` copies the whole history verifiably; a store without that history is named as such, not as tampered', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-migrate-'));
    const target = `dw_migrate_${process.pid}_${Date.now().toString(36)}`;
    const other = `${target}_other`;
    const pg = (schema: string) => ({ DATABASE_URL, DEPWARDEN_DB_SCHEMA: schema });
    try {
      for (const k of ['policy_changed', 'suppression_added']) assert.equal((await runCli(['audit-log', 'record', k, '--actor', 'alice', '--payload', '{"n":1}', '-C', repo])).code, 0);
      assert.equal((await runCli(['audit-log', 'record', 'deployed', '--actor', 'ci', '--payload', '{"service":"api"}', '-C', repo])).code, 0);
      assert.equal((await runCli(['audit-log', 'head', repo])).code, 0);
      const embedded = (await runCli(['audit-log', 'export', repo])).stdout;

      // A PostgreSQL store with other history: the committed head is not in it.
      assert.equal((await runCli(['audit-log', 'record', 'policy_changed', '--actor', 'bob', '-C', repo], { env: pg(other) })).code, 0);
      const elsewhere = await runCli(['audit-log', 'verify', repo], { env: pg(other) });
      assert.equal(elsewhere.code, 1);
      assert.match(elsewhere.stdout, /^MISMATCH {2}this store does not hold the history the head was written from: the recorded head is entry 3 \([0-9a-f]{12}…\) and this store ends at entry 1\. .*depwarden store migrate --to <url>/);
      assert.doesNotMatch(elsewhere.stdout, /TAMPERED/);

      const m = await runCli(['store', 'migrate', '--to', DATABASE_URL, '--schema', target, '-C', repo]);
      assert.equal(m.code, 0, m.stderr);
      assert.match(m.stdout, /^copied 1 store_meta, 3 audit_log, 0 changes, 0 approvals, 0 reviews, 0 known_good(?:, 0 \w+)* from the embedded store to postgres:\/\/127\.0\.0\.1:5432\/test \(schema dw_migrate_\w+\)\nverified: the copy matches the source row for row \(sha256 [0-9a-f]{16}…\) and its chain ends at the same head #3 /);
      const v = await runCli(['audit-log', 'verify', repo], { env: pg(target) });
      assert.equal(v.code, 0, v.stdout);
      assert.match(v.stdout, /3 entries, chain intact, head #3 matches/);
      assert.equal((await runCli(['audit-log', 'export', repo], { env: pg(target) })).stdout, embedded);

      // Never into a store that already holds history.
      const again = await runCli(['store', 'migrate', '--to', DATABASE_URL, '--schema', target, '-C', repo]);
      assert.equal(again.code, 2);
      assert.match(again.stderr, /the target store already holds history \(3 row\(s\) in audit_log\)/);
      assert.equal((await runCli(['audit-log', 'export', repo], { env: pg(target) })).stdout, embedded);
    } finally {
      const s = await openStore({ databaseUrl: DATABASE_URL, dir: '' });
      for (const sc of [target, other]) await s.query(`DROP SCHEMA IF EXISTS ${sc} CASCADE`);
      await s.close();
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('a signed, approved change still passes the gate after the move: the store identity its signatures cover moves with it', async () => {
    const { approve, gate, proposeChange, recordTests } = await import('../../src/governance/changes.ts');
    const { copyStore } = await import('../../src/store/migrate.ts');
    const repo = makeRepo(['alice', 'bob', 'ci'], (pub) => members(pub, 'developers', ['alice', 'bob']) + members(pub, 'ci', ['ci']));
    const from = await freshStore('pglite', repo.dir);
    const to = await freshStore('postgres', repo.dir);
    try {
      const gov = await govFor(from.store, repo);
      await proposeChange(gov, { id: 'c1', title: 'requests 2.32.3', class: 'minor', author: repo.actor('alice'), commit: repo.branch('c1', { 'api/requirements.txt': requirement('requests', '2.32.3') }) });
      await recordTests(gov, 'c1', repo.actor('ci'), true);
      await approve(gov, 'c1', repo.actor('bob'));
      assert.equal((await gate(gov, 'c1')).ok, true);
      const before = (await to.store.query<{ value: string }>("SELECT value FROM store_meta WHERE key = 'store_id'"))[0]!.value;
      await copyStore(from.store, to.store);
      const moved = await govFor(to.store, repo);
      assert.deepEqual(await gate(moved, 'c1'), await gate(gov, 'c1'));
      assert.notEqual((await to.store.query<{ value: string }>("SELECT value FROM store_meta WHERE key = 'store_id'"))[0]!.value, before);
    } finally {
      await from.drop();
      await to.drop();
      repo.cleanup();
    }
  });
});

