import { BadCursorError } from '../util/cursor.ts';
import type { ApiResponse, RequestContext } from './feature.ts';

/**
 * A read route under `/api/v1/repos/{name}/...`: 404 for a repository that is not registered, 400 for a bad
 * cursor or query, else 200 with what `fn` returns.
 */
export function repoRead(fn: (ctx: RequestContext, repo: string) => Promise<unknown>): (ctx: RequestContext) => Promise<ApiResponse> {
  return async (ctx) => {
    const repo = ctx.params.name ?? '';
    if (!(await ctx.repos()).some((r) => r.name === repo)) return { status: 404, body: { error: `no registered repository ${repo}` } };
    try {
      return { status: 200, body: await fn(ctx, repo) };
    } catch (e) {
      if (e instanceof BadCursorError) return { status: 400, body: { error: e.message } };
      throw e;
    }
  };
}
