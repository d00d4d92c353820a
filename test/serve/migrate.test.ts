import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { createToken, verifyToken } from '../../src/api/tokens.ts';
import { recordSnapshots } from '../../src/history/snapshots.ts';
import { copyStore } from '../../src/store/migrate.ts';
import { openStore } from '../../src/store/store.ts';
import { dropSchemas, PG_URL, schemaName, tempDir } from './serve-helpers.ts';
import { needPostgres } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();

// `store migrate` moves a server's embedded store to PostgreSQL: repositories, tokens, runs and snapshots too.
describe('store migrate with the server tables', { skip: NO_PG }, () => {
  const schema = schemaName('mig');
  after(() => dropSchemas(schema));

  it('copies them verifiably, tokens still verify, ids continue after the copied rows', async () => {
    const from = await openStore({ dir: path.join(tempDir(), 'store') });
    const to = await openStore({ databaseUrl: PG_URL, schema, dir: tempDir() });
    try {
      await from.query("INSERT INTO repos (name, path) VALUES ('a', '/srv/a')");
      const { token } = await createToken(from, 'alice', 'read', null);
      await from.query("INSERT INTO job_runs (kind, repo, worker, outcome, result) VALUES ('check', 'a', 'w', 'succeeded', $1)", [JSON.stringify({ findings: 2 })]);
      await from.transaction((q) => recordSnapshots(q, 'a', 'c1', 'check', 1, [{ service: '', summary: { findings: 2, bySeverity: { high: 2 } }, detail: [{ ruleId: 'DW001' }] }]));
      const r = await copyStore(from, to);
      assert.deepEqual([r.rows.repos, r.rows.api_tokens, r.rows.job_runs, r.rows.snapshots], [1, 1, 1, 1]);
      assert.equal((await verifyToken(to, token, new Date())).ok, true);
      const next = await to.query<{ id: string }>("INSERT INTO job_runs (kind, worker) VALUES ('poll', 'w') RETURNING id");
      assert.equal(Number(next[0]!.id), 2);
      const snap = (await to.query<{ summary: { bySeverity: { high: number } } }>('SELECT summary FROM snapshots'))[0]!;
      assert.equal(snap.summary.bySeverity.high, 2);
    } finally {
      await from.close();
      await to.close();
    }
  });
});
