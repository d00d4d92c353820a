import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deploysFeature } from '../../src/deploy/feature.ts';
import { finishRecord, startRecord } from '../../src/deploy/records.ts';
import { FEATURES } from '../../src/serve/features.ts';
import { callRoute, tempStore } from '../helpers/request-context.ts';

/** Deploy records through the serve API (issue 16 item 6), from the store the server and `depwarden deploy` share. */
describe('GET /api/v1/deploys', () => {
  it('lists the records of the store, filtered by service, newest last; a bad query is a 400', async () => {
    const { store, dispose } = await tempStore();
    try {
      const img = (n: number) => `registry.local/api@sha256:${String(n).repeat(64)}`;
      await startRecord(store, { id: 'd1', service: 'api', driver: 'swarm', strategy: 'rolling', from: img(1), to: img(2), change: 'c1', started: '2026-12-01T10:00:00.000Z' });
      await finishRecord(store, 'd1', { outcome: 'rolled_back', gates: [{ gate: 'error-ratio', ok: false, value: 0.2 }], finished: '2026-12-01T10:00:07.000Z', durationMs: 7000, detail: 'error ratio 0.2 > 0.05' });
      await startRecord(store, { id: 'd2', service: 'web', driver: 'compose-proxy', strategy: 'blue-green', from: '', to: img(3), change: null, started: '2026-12-01T11:00:00.000Z' });
      assert.ok(FEATURES.includes(deploysFeature), 'mounted by depwarden serve');
      const all = await callRoute(deploysFeature, 'GET', '/api/v1/deploys', { store });
      assert.equal(all.status, 200);
      assert.deepEqual(all.body.items.map((d: { id: string; outcome: string }) => [d.id, d.outcome]), [['d1', 'rolled_back'], ['d2', 'running']]);
      const api = await callRoute(deploysFeature, 'GET', '/api/v1/deploys', { store, query: { service: 'api' } });
      assert.deepEqual(api.body.items.map((d: { id: string; to: string; gates: unknown[] }) => [d.id, d.to, d.gates.length]), [['d1', img(2), 1]]);
      assert.equal((await callRoute(deploysFeature, 'GET', '/api/v1/deploys', { store, query: { limit: 'all' } })).status, 400);
    } finally {
      await dispose();
    }
  });
});
