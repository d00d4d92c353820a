import { z } from 'zod';
import type { ServeFeature } from '../serve/feature.ts';
import { listRecords } from './records.ts';

/**
 * Deploy records in `depwarden serve` (`GET /api/v1/deploys`): the rollouts recorded in the server's store. With
 * PostgreSQL (DATABASE_URL) the CLI's `depwarden deploy` and the server share it, so every deploy shows here;
 * with the embedded store a deploy is recorded in its repository's own store, listed by `depwarden deploys list`.
 */
const query = z.object({ service: z.string().min(1).optional(), limit: z.string().regex(/^\d{1,4}$/).optional() });

const record = z.object({
  id: z.string(),
  service: z.string(),
  driver: z.string(),
  strategy: z.string(),
  from: z.string(),
  to: z.string(),
  change: z.string().nullable(),
  outcome: z.enum(['running', 'succeeded', 'rolled_back', 'failed', 'interrupted']),
  gates: z.array(z.unknown()),
  started: z.string(),
  finished: z.string().nullable(),
  durationMs: z.number().nullable(),
  detail: z.string(),
});

export const deploysFeature: ServeFeature = {
  name: 'deploys',
  routes: [
    {
      method: 'GET',
      path: '/api/v1/deploys',
      scope: 'read',
      summary: 'Deploy records (service, strategy, from → to digests, change, gate results, duration, outcome), newest last',
      tags: ['deploys'],
      query,
      response: z.object({ items: z.array(record) }),
      async handler(ctx) {
        const parsed = query.safeParse(Object.fromEntries(ctx.query));
        if (!parsed.success) return { status: 400, body: { error: `query ${parsed.error.issues[0]?.path.join('.') ?? ''}: ${parsed.error.issues[0]?.message ?? 'invalid'}` } };
        const q = parsed.data;
        const items = await listRecords(ctx.store, { ...(q.service ? { service: q.service } : {}), limit: q.limit ? Math.min(Number(q.limit), 1000) : 100 });
        return { status: 200, body: { items } };
      },
    },
  ],
};
