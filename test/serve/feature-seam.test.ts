import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import client from 'prom-client';
import { z } from 'zod';
import { createToken } from '../../src/api/tokens.ts';
import { serveConfigSchema } from '../../src/serve/config.ts';
import type { ServeFeature } from '../../src/serve/feature.ts';
import { jsonLogger, startServer } from '../../src/serve/server.ts';
import { baseEnv, get, send, tempDir } from './serve-helpers.ts';

// What a capability (builds, probes, alerts, the dashboard) gets from the server: its routes mounted with scopes,
// validation and raw bodies, its schemas in the OpenAPI document, its metrics on /metrics, its background work
// started and stopped on drain.
describe('the ServeFeature seam', () => {
  it('mounts, documents, measures, starts and stops a feature', async () => {
    const events: string[] = [];
    let signal: AbortSignal | undefined;
    const feature: ServeFeature = {
      name: 'test-feature',
      routes: [
        { method: 'POST', path: '/api/v1/test/echo', scope: 'write', summary: 'echo', body: z.object({ n: z.number().int() }).strict(), response: z.object({ twice: z.number() }), handler: async (ctx) => ({ status: 201, body: { twice: (ctx.body as { n: number }).n * 2 } }) },
        { method: 'POST', path: '/api/v1/test/hook', scope: 'public', summary: 'raw', rawBody: true, handler: async (ctx) => ({ status: 202, body: { sha256: createHash('sha256').update(ctx.rawBody).digest('hex'), parsed: ctx.body === undefined } }) },
        { method: 'GET', path: '/api/v1/test/items/{id}', scope: 'read', summary: 'query', query: z.object({ k: z.enum(['a', 'b']) }), handler: async (ctx) => ({ status: 200, body: { id: ctx.params.id, k: ctx.query.get('k'), login: ctx.login } }) },
      ],
      metrics(registry) {
        registry.registerMetric(new client.Gauge({ name: 'depwarden_test_feature_answer', help: 'test', registers: [], collect() { this.set(42); } }));
      },
      async start(ctx) {
        events.push(`start:${ctx.dataDir === data}`);
        signal = ctx.signal;
        return async () => {
          events.push(`stop:${ctx.signal.aborted}`);
        };
      },
    };
    const data = tempDir();
    const log: string[] = [];
    const env = baseEnv();
    const s = await startServer({ host: '127.0.0.1', port: 0, dataDir: data, workersOnly: false, config: serveConfigSchema.parse({ jobs: { tickSeconds: 3600 } }), env, log: jsonLogger((l) => log.push(l)), features: [feature] });
    try {
      assert.deepEqual(events, ['start:true']);
      const { token } = await createToken(s.store, 'carol', 'write', null);
      const { token: reader } = await createToken(s.store, 'dave', 'read', null);
      const ok = await send('POST', `${s.url}/api/v1/test/echo`, token, { n: 21 });
      assert.equal(ok.status, 201);
      assert.deepEqual(ok.json, { twice: 42 });
      const bad = await send('POST', `${s.url}/api/v1/test/echo`, token, { n: 'x' });
      assert.equal(bad.status, 400);
      assert.deepEqual(bad.json.issues.map((i: { path: string }) => i.path), ['n']);
      assert.equal((await send('POST', `${s.url}/api/v1/test/echo`, reader, { n: 1 })).status, 403);
      assert.equal((await send('POST', `${s.url}/api/v1/test/echo`, undefined, { n: 1 })).status, 401);
      const raw = '{"not": validated json';
      const hook = await send('POST', `${s.url}/api/v1/test/hook`, undefined, raw, true);
      assert.equal(hook.status, 202);
      assert.deepEqual(hook.json, { sha256: createHash('sha256').update(raw).digest('hex'), parsed: true });
      const q = await get(`${s.url}/api/v1/test/items/x%2Fy?k=a`, reader);
      assert.deepEqual(q.json, { id: 'x/y', k: 'a', login: 'dave' });
      const qbad = await get(`${s.url}/api/v1/test/items/1?k=c`, reader);
      assert.equal(qbad.status, 400);
      assert.equal(qbad.json.issues[0].path, 'query.k');
      // The write through the feature is in the audit log with the token's login.
      const audit = await s.store.query<{ actor: string; kind: string; payload: string }>("SELECT actor, kind, payload FROM audit_log WHERE kind = 'api_write'");
      assert.ok(audit.some((e) => e.actor === 'carol' && JSON.parse(e.payload).path === '/api/v1/test/echo'));
      const doc = (await get(`${s.url}/api/v1/openapi.json`)).json;
      assert.deepEqual(doc.paths['/api/v1/test/echo'].post.requestBody.content['application/json'].schema.properties.n, { type: 'integer', minimum: -9007199254740991, maximum: 9007199254740991 });
      assert.ok(doc.paths['/api/v1/test/hook'].post.requestBody.content['application/octet-stream']);
      assert.deepEqual(doc.paths['/api/v1/test/hook'].post.security, []);
      const m = await get(`${s.url}/metrics`, reader);
      assert.match(m.text, /^depwarden_test_feature_answer 42$/m);
      assert.match(m.text, /^# TYPE depwarden_vulnerabilities gauge$/m);
    } finally {
      await s.stop();
    }
    assert.deepEqual(events, ['start:true', 'stop:true']);
    assert.equal(signal?.aborted, true);
  });
});
