import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { buildsFeature } from '../../src/builds/feature.ts';
import { storeReportedBuild, storeReportedCoverage } from '../../src/builds/reported.ts';
import { tempStore } from '../helpers/request-context.ts';

describe('builds metrics', () => {
  it('collect() reads the latest completed build per branch/workflow and the latest coverage per service/branch', async () => {
    const s = await tempStore();
    try {
      const c = (n: number) => String(n).repeat(40);
      await storeReportedBuild(s.store, { repo: 'shop', commit: c(1), branch: 'main', workflow: 'ci', status: 'success' }, '2026-01-01T00:00:00.000Z');
      await storeReportedBuild(s.store, { repo: 'shop', commit: c(2), branch: 'main', workflow: 'ci', status: 'failure' }, '2026-01-01T01:00:00.000Z');
      await storeReportedBuild(s.store, { repo: 'shop', commit: c(3), branch: 'dev', workflow: 'ci', status: 'success' }, '2026-01-01T02:00:00.000Z');
      await storeReportedCoverage(s.store, { repo: 'shop', commit: c(1), branch: 'main', service: 'api', format: 'lcov', linesCovered: 50, linesTotal: 100, branchesCovered: 1, branchesTotal: 4 }, '2026-01-01T00:00:00.000Z');
      await storeReportedCoverage(s.store, { repo: 'shop', commit: c(2), branch: 'main', service: 'api', format: 'lcov', linesCovered: 75, linesTotal: 100, branchesCovered: null, branchesTotal: null }, '2026-01-01T01:00:00.000Z');
      const registry = new Registry();
      buildsFeature.metrics!(registry, s.store);
      const text = await registry.metrics();
      assert.match(text, /depwarden_build_passing\{repo="shop",branch="main",workflow="ci",service=""\} 0/);
      assert.match(text, /depwarden_build_passing\{repo="shop",branch="dev",workflow="ci",service=""\} 1/);
      assert.equal(text.split('\n').filter((l) => l.startsWith('depwarden_build_passing{')).length, 2, 'one series per branch and workflow: the latest build');
      assert.match(text, /depwarden_coverage_line_ratio\{repo="shop",service="api",branch="main"\} 0\.75/);
      assert.doesNotMatch(text, /depwarden_coverage_branch_ratio\{/, 'the latest report has no branch data');
    } finally {
      await s.dispose();
    }
  });
});
