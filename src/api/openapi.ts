import { z } from 'zod';
import type { ApiRoute } from '../serve/feature.ts';
import { TOOL_VERSION } from '../cli/version.ts';

/**
 * The OpenAPI 3.1 document of every mounted route, generated from the same zod schemas that validate requests
 * (zod's own JSON Schema output, draft 2020-12, which is OpenAPI 3.1's dialect): no hand-kept copy to drift.
 */

type Json = Record<string, unknown>;

function schema(t: z.ZodType, io: 'input' | 'output'): Json {
  const s = z.toJSONSchema(t, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  delete s.$schema;
  return s;
}

function queryParameters(q: z.ZodType | undefined): Json[] {
  if (!q) return [];
  const s = schema(q, 'input');
  const props = (s.properties ?? {}) as Record<string, Json>;
  const required = new Set((s.required ?? []) as string[]);
  return Object.keys(props)
    .sort()
    .map((name) => {
      const { description, ...rest } = props[name]!;
      return { name, in: 'query', required: required.has(name), ...(description ? { description } : {}), schema: rest };
    });
}

export function openApiDocument(routes: ApiRoute[]): Json {
  const paths: Record<string, Record<string, Json>> = {};
  for (const r of [...routes].sort((a, b) => a.path.localeCompare(b.path) || a.method.localeCompare(b.method))) {
    const params = [...r.path.matchAll(/\{([^}]+)\}/g)].map((m) => ({ name: m[1], in: 'path', required: true, schema: { type: 'string' } }));
    const op: Json = {
      operationId: `${r.method.toLowerCase()}${r.path.replace(/\{([^}]+)\}/g, 'By_$1').replace(/[^A-Za-z0-9]+(.)?/g, (_m, c: string | undefined) => (c ? c.toUpperCase() : ''))}`,
      summary: r.summary,
      ...(r.tags?.length ? { tags: r.tags } : {}),
      ...(params.length || r.query ? { parameters: [...params, ...queryParameters(r.query)] } : {}),
      ...(r.body && !r.rawBody ? { requestBody: { required: true, content: { 'application/json': { schema: schema(r.body, 'input') } } } } : {}),
      ...(r.rawBody ? { requestBody: { required: true, description: 'verified by the handler as received', content: { 'application/octet-stream': { schema: { type: 'string', contentMediaType: 'application/octet-stream' } } } } } : {}),
      responses: {
        [r.method === 'POST' ? '201' : '200']: { description: 'success', ...(r.response ? { content: { 'application/json': { schema: schema(r.response, 'output') } } } : {}) },
        ...(r.body || r.query ? { '400': { $ref: '#/components/responses/Invalid' } } : {}),
        ...(r.scope === 'public' ? {} : { '401': { $ref: '#/components/responses/Unauthorized' }, '403': { $ref: '#/components/responses/Forbidden' } }),
        '429': { $ref: '#/components/responses/TooMany' },
      },
      ...(r.scope === 'public' ? { security: [] } : { 'x-depwarden-scope': r.scope }),
    };
    (paths[r.path] ??= {})[r.method.toLowerCase()] = op;
  }
  const error = { type: 'object', properties: { error: { type: 'string' }, issues: { type: 'array', items: { type: 'object', properties: { path: { type: 'string' }, message: { type: 'string' } }, required: ['path', 'message'] } } }, required: ['error'] };
  const err = (description: string): Json => ({ description, content: { 'application/json': { schema: { $ref: '#/components/schemas/Error' } } } });
  return {
    openapi: '3.1.0',
    info: { title: 'depwarden', version: TOOL_VERSION, description: 'The REST API of `depwarden serve`.' },
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    servers: [{ url: '/' }],
    security: [{ bearer: [] }],
    paths,
    components: {
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'a token from `depwarden token create`' } },
      schemas: { Error: error },
      responses: { Invalid: err('invalid input; `issues` names each path'), Unauthorized: err('no token, or not a valid one'), Forbidden: err("the token's scope does not allow this"), TooMany: err('rate limited; see Retry-After') },
    },
  };
}
