import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Registry } from 'prom-client';
import { serviceHealth } from '../../src/config/sections/health.ts';
import { healthFeature } from '../../src/health/feature.ts';
import { probeRound, type ProbeTarget } from '../../src/health/prober.ts';
import { openStore, type Store } from '../../src/store/store.ts';
import { callRoute, DATABASE_URL, pgStore, tempStore } from '../helpers/request-context.ts';
import { needPostgres } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();

const quiet = { info() {}, warn() {}, error() {} };

describe('health prober', { skip: NO_PG }, () => {
  let target: Server;
  let hits = 0;
  let healthy = true;
  let url: string;
  before(async () => {
    target = createServer((_req, res) => {
      hits++;
      res.writeHead(healthy ? 200 : 500).end(healthy ? 'ok' : 'no');
    });
    await new Promise<void>((r) => target.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(target.address() as AddressInfo).port}/healthz`;
  });
  after(() => target.close());

  it('PostgreSQL: three replicas running the same round probe each service once per interval slot', async () => {
    const p = await pgStore('dw_prober');
    const others: Store[] = [];
    try {
      for (let i = 0; i < 2; i++) others.push(await openStore({ databaseUrl: DATABASE_URL, schema: p.schema, dir: '' }));
      const replicas = [p.store, ...others];
      const targets: ProbeTarget[] = [
        { repo: 'shop', service: 'api', cfg: serviceHealth.parse({ intervalSeconds: 30, http: { url } }) },
        { repo: 'shop', service: 'web', cfg: serviceHealth.parse({ intervalSeconds: 30, http: { url } }) },
      ];
      const memory = replicas.map(() => new Map<string, number>());
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      hits = 0;
      for (const [n, at] of [[1, t0], [1, t0 + 10_000], [2, t0 + 30_000], [2, t0 + 31_000], [3, t0 + 60_000]] as const) {
        await Promise.all(replicas.map((s, i) => probeRound(s, targets, at, quiet, memory[i]!)));
        assert.equal(hits, n * 2, `after the round at +${(at - t0) / 1000} s`);
      }
      const samples = await p.store.query<{ service: string; n: string }>('SELECT service, count(*) AS n FROM health_samples GROUP BY service ORDER BY service');
      assert.deepEqual(samples.map((r) => [r.service, Number(r.n)]), [['api', 3], ['web', 3]]);
    } finally {
      for (const s of others) await s.close();
      await p.dispose();
    }
  });

  it('routes and metrics: current health per service, the series with cursor, the gauges from the store', async () => {
    const s = await tempStore();
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-repo-'));
    try {
      const targets: ProbeTarget[] = [{ repo: 'shop', service: 'api', cfg: serviceHealth.parse({ intervalSeconds: 60, http: { url } }) }];
      const memory = new Map<string, number>();
      const t0 = Date.parse('2026-01-01T00:00:00Z');
      healthy = true;
      await probeRound(s.store, targets, t0, quiet, memory);
      healthy = false;
      await probeRound(s.store, targets, t0 + 60_000, quiet, memory);
      const repos = [{ name: 'shop', root: dir, branch: 'main', remote: null, webhookSecretEnv: null }];
      const now = await callRoute(healthFeature, 'GET', '/api/v1/repos/{name}/health', { store: s.store, repos, params: { name: 'shop' } });
      assert.equal(now.status, 200);
      assert.deepEqual(now.body.items.map((h: { service: string; status: string; reason: string }) => [h.service, h.status, h.reason]), [['api', 'down', 'http: HTTP 500, expected 200']]);
      const page1 = await callRoute(healthFeature, 'GET', '/api/v1/repos/{name}/health/{service}', { store: s.store, repos, params: { name: 'shop', service: 'api' }, query: { limit: '1' } });
      assert.deepEqual(page1.body.items.map((h: { status: string }) => h.status), ['down']);
      const page2 = await callRoute(healthFeature, 'GET', '/api/v1/repos/{name}/health/{service}', { store: s.store, repos, params: { name: 'shop', service: 'api' }, query: { limit: '1', cursor: page1.body.nextCursor } });
      assert.deepEqual([page2.body.items.map((h: { status: string }) => h.status), page2.body.nextCursor], [['up'], null]);
      assert.equal((await callRoute(healthFeature, 'GET', '/api/v1/repos/{name}/health/{service}', { store: s.store, repos, params: { name: 'shop', service: 'api' }, query: { since: 'yesterday' } })).status, 400);

      const registry = new Registry();
      healthFeature.metrics!(registry, s.store);
      const text = await registry.metrics();
      assert.match(text, /depwarden_health_status\{repo="shop",service="api",status="down"\} 1/);
      assert.match(text, /depwarden_health_status\{repo="shop",service="api",status="up"\} 0/);
      assert.match(text, /depwarden_health_probe_latency_seconds\{repo="shop",service="api",check="http"\} \d/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await s.dispose();
    }
  });

  it('start(): probes the services of each registered repository\'s depwarden.yaml, stops cleanly; a broken config is logged, not fatal', async () => {
    const s = await tempStore();
    const root = mkdtempSync(path.join(tmpdir(), 'dw-repo-'));
    const broken = mkdtempSync(path.join(tmpdir(), 'dw-repo-'));
    try {
      healthy = true;
      writeFileSync(path.join(root, 'depwarden.yaml'), `health:\n  api:\n    intervalSeconds: 5\n    http:\n      url: ${url}\n`);
      mkdirSync(path.join(broken, 'x'));
      writeFileSync(path.join(broken, 'depwarden.yaml'), 'health:\n  api:\n    intervalSeconds: 1\n');
      const warnings: string[] = [];
      const ac = new AbortController();
      const stop = await healthFeature.start!({
        store: s.store,
        log: { info() {}, error() {}, warn: (m, f) => void warnings.push(`${m} ${JSON.stringify(f)}`) },
        signal: ac.signal,
        repos: async () => [
          { name: 'shop', root, branch: 'main', remote: null, webhookSecretEnv: null },
          { name: 'bad', root: broken, branch: 'main', remote: null, webhookSecretEnv: null },
        ],
        dataDir: root,
        env: {},
      });
      const until = Date.now() + 10_000;
      while ((await s.store.query('SELECT 1 FROM health_samples')).length === 0 && Date.now() < until) await new Promise((r) => setTimeout(r, 100));
      await stop();
      assert.deepEqual(await s.store.query('SELECT repo, service, status FROM health_samples'), [{ repo: 'shop', service: 'api', status: 'up' }]);
      assert.ok(warnings.some((w) => w.includes('cannot read the config') && w.includes('"repo":"bad"')), warnings.join('\n'));
    } finally {
      rmSync(root, { recursive: true, force: true });
      rmSync(broken, { recursive: true, force: true });
      await s.dispose();
    }
  });
});
