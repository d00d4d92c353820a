import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { z } from 'zod';
import { FEATURES } from '../../src/serve/features.ts';

/** The server builds its OpenAPI document from the routes' zod schemas: every one must convert to JSON Schema. */
describe('feature routes (builds, health)', () => {
  it('every body, query and response schema converts to JSON Schema; paths are unique per method', () => {
    const seen = new Set<string>();
    for (const f of FEATURES) {
      for (const r of f.routes ?? []) {
        const key = `${r.method} ${r.path}`;
        assert.ok(!seen.has(key), `${key} declared twice`);
        seen.add(key);
        // The dashboard also serves its pages and assets (/, /sign-in, /assets/...); every other route is API.
        assert.ok(r.path.startsWith('/api/v1/') || (f.name === 'dashboard' && !r.path.startsWith('/api/')), key);
        assert.ok(!(r.body && r.rawBody), `${key}: body and rawBody`);
        for (const [what, schema] of [['body', r.body], ['query', r.query], ['response', r.response]] as const) {
          if (schema) assert.doesNotThrow(() => z.toJSONSchema(schema, { io: what === 'response' ? 'output' : 'input', target: 'draft-2020-12' }), `${key} ${what}`);
        }
        for (const p of r.path.matchAll(/\{(\w+)\}/g)) assert.ok(['name', 'service', 'id', ...(f.name === 'dashboard' ? ['version', 'file'] : [])].includes(p[1]!), `${key}: parameter ${p[1]}`);
      }
    }
    assert.ok(seen.has('POST /api/v1/webhooks/github') && seen.has('GET /api/v1/repos/{name}/health'));
  });
});
