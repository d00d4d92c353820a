import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { storeReportedBuild, storeReportedCoverage } from '../../src/builds/reported.ts';
import { recordSample } from '../../src/health/store.ts';
import { copyStore } from '../../src/store/migrate.ts';
import { pgStore, tempStore } from '../helpers/request-context.ts';
import { needPostgres } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();

describe('store migrate carries the server tables (builds, coverage, health)', { skip: NO_PG }, () => {
  it('jsonb values and serial sequences survive the move to PostgreSQL; new rows continue after the copied ones', async () => {
    const from = await tempStore();
    const to = await pgStore('dw_migrate_builds');
    try {
      const c = 'c'.repeat(40);
      await storeReportedBuild(from.store, { repo: 'shop', commit: c, branch: 'main', status: 'failure', tests: { run: 3, failed: 1, skipped: 0, failing: ['A › b'] } }, '2026-01-01T00:00:00.000Z');
      await storeReportedCoverage(from.store, { repo: 'shop', commit: c, branch: 'main', format: 'lcov', linesCovered: 1, linesTotal: 2, branchesCovered: null, branchesTotal: null }, '2026-01-01T00:00:00.000Z');
      await recordSample(from.store, { repo: 'shop', service: 'api', at: '2026-01-01T00:00:00.000Z', status: 'down', reason: 'http: HTTP 500', checks: [{ check: 'http', status: 'down', reason: 'HTTP 500', latencyMs: 3 }] });
      const r = await copyStore(from.store, to.store);
      assert.equal(r.rows.builds, 1);
      assert.equal(r.rows.health_samples, 1);
      assert.equal(r.rows.health_current, 1);
      assert.deepEqual(await to.store.query('SELECT failing_tests FROM builds'), [{ failing_tests: ['A › b'] }]);
      assert.deepEqual(await to.store.query('SELECT checks FROM health_samples'), [{ checks: [{ check: 'http', status: 'down', reason: 'HTTP 500', latencyMs: 3 }] }]);
      await storeReportedBuild(to.store, { repo: 'shop', commit: 'd'.repeat(40), branch: 'main', status: 'success' }, '2026-01-02T00:00:00.000Z');
      assert.deepEqual((await to.store.query<{ seq: string }>('SELECT seq FROM builds ORDER BY seq')).map((x) => Number(x.seq)), [1, 2]);
    } finally {
      await to.dispose();
      await from.dispose();
    }
  });
});
