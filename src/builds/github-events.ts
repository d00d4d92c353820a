import { z } from 'zod';
import type { BuildRecord, BuildStatus } from './records.ts';

/**
 * GitHub webhook payloads → build records. Only the fields read here are declared (zod drops the rest); a
 * payload missing one of them is malformed. Shapes follow GitHub's webhook reference and the recorded examples
 * of octokit/webhooks (test/fixtures/github-webhooks).
 */

export const BUILD_EVENTS = ['workflow_run', 'check_suite', 'check_run', 'status', 'pull_request'] as const;
export type BuildEvent = (typeof BUILD_EVENTS)[number];

const sha = z.string().regex(/^[0-9a-f]{40}([0-9a-f]{24})?$/, 'a full commit SHA');
const when = z.string().refine((s) => !Number.isNaN(Date.parse(s)), 'an ISO 8601 time');

export const repositoryPart = z.object({
  full_name: z.string().min(1),
  clone_url: z.string().optional(),
  html_url: z.string().optional(),
  ssh_url: z.string().optional(),
});

const conclusion = z.enum(['success', 'failure', 'cancelled', 'skipped', 'neutral', 'timed_out', 'action_required', 'stale', 'startup_failure']).nullable();

const workflowRun = z.object({
  repository: repositoryPart,
  workflow_run: z.object({
    name: z.string().nullable().optional(),
    head_sha: sha,
    head_branch: z.string().nullable(),
    path: z.string().optional(),
    status: z.string().nullable(),
    conclusion,
    html_url: z.string().nullable().optional(),
    updated_at: when,
  }),
  workflow: z.object({ name: z.string(), path: z.string().optional() }).optional().nullable(),
});

const checkSuite = z.object({
  repository: repositoryPart,
  check_suite: z.object({
    head_sha: sha,
    head_branch: z.string().nullable(),
    status: z.string().nullable(),
    conclusion,
    updated_at: when,
    app: z.object({ slug: z.string().optional(), name: z.string() }),
  }),
});

const checkRun = z.object({
  repository: repositoryPart,
  check_run: z.object({
    name: z.string().min(1),
    head_sha: sha,
    status: z.string(),
    conclusion,
    html_url: z.string().nullable().optional(),
    started_at: when.nullable().optional(),
    completed_at: when.nullable().optional(),
    check_suite: z.object({ head_branch: z.string().nullable(), updated_at: when.optional() }),
  }),
});

const status = z.object({
  repository: repositoryPart,
  sha,
  context: z.string().min(1),
  state: z.enum(['pending', 'success', 'failure', 'error']),
  target_url: z.string().nullable().optional(),
  updated_at: when,
  branches: z.array(z.object({ name: z.string(), commit: z.object({ sha: z.string() }) })),
});

const pullRequest = z.object({
  repository: repositoryPart,
  action: z.string(),
  pull_request: z.object({
    number: z.number().int().positive(),
    state: z.string(),
    updated_at: when,
    head: z.object({ ref: z.string().min(1), sha }),
    base: z.object({ ref: z.string().min(1) }),
  }),
});

/** A run's status/conclusion pair → one status. */
function runStatus(statusText: string | null, concl: z.infer<typeof conclusion>): BuildStatus {
  if (statusText === 'completed') return concl === null ? 'neutral' : concl === 'startup_failure' ? 'failure' : concl;
  return statusText === 'in_progress' ? 'in_progress' : 'queued';
}

/** What one event says: builds to store (without repo/service, filled by the caller), or a pull request. */
export type EventFacts =
  | { kind: 'builds'; builds: (Omit<BuildRecord, 'repo' | 'service'> & { workflowFile?: string })[] }
  | { kind: 'pull_request'; number: number; headBranch: string; headCommit: string; baseBranch: string; state: string; updated: string };

export class PayloadError extends Error {}

function parse<T>(schema: z.ZodType<T>, body: unknown, event: string): T {
  const r = schema.safeParse(body);
  if (r.success) return r.data;
  const first = r.error.issues[0]!;
  throw new PayloadError(`malformed ${event} payload: ${first.path.join('.') || '(root)'}: ${first.message}`);
}

export function eventFacts(event: BuildEvent, body: unknown): EventFacts {
  switch (event) {
    case 'workflow_run': {
      const p = parse(workflowRun, body, event);
      const r = p.workflow_run;
      const file = r.path || p.workflow?.path;
      return {
        kind: 'builds',
        builds: [
          {
            commit: r.head_sha,
            branch: r.head_branch,
            workflow: r.name || p.workflow?.name || file || 'workflow',
            source: 'workflow_run',
            status: runStatus(r.status, r.conclusion),
            url: r.html_url ?? null,
            updated: r.updated_at,
            ...(file ? { workflowFile: file } : {}),
          },
        ],
      };
    }
    case 'check_suite': {
      const s = parse(checkSuite, body, event).check_suite;
      return { kind: 'builds', builds: [{ commit: s.head_sha, branch: s.head_branch, workflow: s.app.slug || s.app.name, source: 'check_suite', status: runStatus(s.status, s.conclusion), url: null, updated: s.updated_at }] };
    }
    case 'check_run': {
      const c = parse(checkRun, body, event).check_run;
      const updated = c.completed_at ?? c.started_at ?? c.check_suite.updated_at;
      if (!updated) throw new PayloadError('malformed check_run payload: check_run.started_at: missing');
      return { kind: 'builds', builds: [{ commit: c.head_sha, branch: c.check_suite.head_branch, workflow: c.name, source: 'check_run', status: runStatus(c.status, c.conclusion), url: c.html_url ?? null, updated }] };
    }
    case 'status': {
      const s = parse(status, body, event);
      // A status names a commit, not a branch: the branch is the one whose head it is (if any).
      const heads = s.branches.filter((b) => b.commit.sha === s.sha).map((b) => b.name);
      return { kind: 'builds', builds: [{ commit: s.sha, branch: heads.length === 1 ? heads[0]! : null, workflow: s.context, source: 'status', status: s.state, url: s.target_url ?? null, updated: s.updated_at }] };
    }
    case 'pull_request': {
      const p = parse(pullRequest, body, event).pull_request;
      return { kind: 'pull_request', number: p.number, headBranch: p.head.ref, headCommit: p.head.sha, baseBranch: p.base.ref, state: p.state, updated: p.updated_at };
    }
  }
}
