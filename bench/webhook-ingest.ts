/**
 * Webhook ingestion (issue 13 benchmarks): N signed deliveries of recorded GitHub payloads through the webhook
 * handler into the store, at a bounded concurrency; throughput, and the check that none was lost (every
 * delivery claimed, every distinct build stored). Handler-level: the HTTP server's own cost is not included.
 *
 *   node bench/webhook-ingest.ts [--count 10000] [--concurrency 8] [--postgres]
 */
import { readFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import pLimit from 'p-limit';
import { createBuildsFeature } from '../src/builds/feature.ts';
import { sign } from '../src/builds/webhook.ts';
import type { RequestContext } from '../src/serve/feature.ts';
import { openStore } from '../src/store/store.ts';

const { values } = parseArgs({ options: { count: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '8' }, postgres: { type: 'boolean', default: false } } });
const count = Number(values.count);
const secret = 'bench-secret';
const fixtures = path.join(import.meta.dirname, '..', 'test', 'fixtures', 'github-webhooks');
const template = JSON.parse(readFileSync(path.join(fixtures, 'check_run.completed.payload.json'), 'utf8'));
const dir = mkdtempSync(path.join(tmpdir(), 'dw-bench-webhook-'));
const schema = `dw_bench_${process.pid}`;
const store = values.postgres ? await openStore({ databaseUrl: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test', schema, dir: '' }) : await openStore({ dir: path.join(dir, 'store') });
const feature = createBuildsFeature({ env: { DEPWARDEN_WEBHOOK_SECRET: secret }, servicesOf: async () => [] });
const route = feature.routes!.find((r) => r.path === '/api/v1/webhooks/github')!;
const repos = [{ name: 'hello', root: dir, branch: 'main', remote: 'https://github.com/Codertocat/Hello-World.git', webhookSecretEnv: null }];
const noop = () => {};
// Each delivery is a distinct check run (its own name) on one of 100 commits.
const bodies = Array.from({ length: count }, (_, i) => {
  const p = structuredClone(template);
  p.check_run.name = `check-${i}`;
  p.check_run.head_sha = (i % 100).toString(16).padStart(40, '0');
  return Buffer.from(JSON.stringify(p));
});
const limit = pLimit(Number(values.concurrency));
const statuses = new Map<number, number>();
const t0 = performance.now();
await Promise.all(
  bodies.map((body, i) =>
    limit(async () => {
      const ctx: RequestContext = { store, params: {}, query: new URLSearchParams(), headers: { 'x-github-event': 'check_run', 'x-github-delivery': `bench-${i}`, 'x-hub-signature-256': sign(secret, body) }, rawBody: body, body: undefined, login: undefined, audit: async () => {}, log: { info: noop, warn: noop, error: noop }, repos: async () => repos };
      const r = await route.handler(ctx);
      statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
    }),
  ),
);
const ms = performance.now() - t0;
const builds = Number((await store.query<{ n: string }>('SELECT count(*) AS n FROM builds'))[0]!.n);
const claimed = Number((await store.query<{ n: string }>('SELECT count(*) AS n FROM webhook_deliveries'))[0]!.n);
console.log(JSON.stringify({ store: store.kind, count, concurrency: Number(values.concurrency), seconds: Math.round(ms) / 1000, perSecond: Math.round((count / ms) * 1000), statuses: Object.fromEntries(statuses), builds, claimed, lost: count - Math.min(builds, claimed) }));
if (values.postgres) await store.query(`DROP SCHEMA ${schema} CASCADE`);
await store.close();
rmSync(dir, { recursive: true, force: true });
