import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openStore } from '../../src/store/store.ts';
import { runCli } from '../helpers/run-cli.ts';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

describe('switching from the embedded store to PostgreSQL (issue 11.7)', () => {
  it('`store migrate --to` copies the whole history verifiably; a store without that history is named as such, not as tampered', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-migrate-'));
    const target = `dw_migrate_${process.pid}_${Date.now().toString(36)}`;
    const other = `${target}_other`;
    const pg = (schema: string) => ({ DATABASE_URL, DEPWARDEN_DB_SCHEMA: schema });
    try {
      for (const k of ['policy_changed', 'suppression_added']) assert.equal((await runCli(['audit-log', 'record', k, '--actor', 'alice', '--payload', '{"n":1}', '-C', repo])).code, 0);
      assert.equal((await runCli(['changes', 'propose', 'c1', '--title', 'requests 2.32.3', '--class', 'minor', '--author', 'alice', '--digest', 'abc', '-C', repo])).code, 0);
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
      assert.match(m.stdout, /^copied 3 audit_log, 1 changes, 0 approvals, 0 reviews, 0 known_good from the embedded store to postgres:\/\/127\.0\.0\.1:5432\/test \(schema dw_migrate_\w+\)\nverified: the copy matches the source row for row \(sha256 [0-9a-f]{16}…\) and its chain ends at the same head #3 /);
      const v = await runCli(['audit-log', 'verify', repo], { env: pg(target) });
      assert.equal(v.code, 0, v.stdout);
      assert.match(v.stdout, /3 entries, chain intact, head #3 matches/);
      assert.equal((await runCli(['audit-log', 'export', repo], { env: pg(target) })).stdout, embedded);
      assert.match((await runCli(['changes', 'list', '-C', repo], { env: pg(target) })).stdout, /^c1\s+proposed\s+minor\s+alice/m);

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
});
