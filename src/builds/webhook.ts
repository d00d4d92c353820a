import { createHmac, timingSafeEqual } from 'node:crypto';
import type { ApiResponse, RegisteredRepo, RequestContext } from '../serve/feature.ts';
import { BUILD_EVENTS, type BuildEvent, eventFacts, PayloadError, repositoryPart } from './github-events.ts';
import type { BuildRecord } from './records.ts';
import { readWorkflowPaths, type ServiceInfo, serviceOfCheck, serviceOfWorkflow } from './services.ts';
import { claimDelivery, recordBuild, recordPullRequest } from './store.ts';

/** The environment variable holding the webhook secret of repositories that name none of their own. */
export const DEFAULT_SECRET_ENV = 'DEPWARDEN_WEBHOOK_SECRET';

/** GitHub caps webhook payloads at 25 MB; anything larger is not GitHub's. */
export const MAX_WEBHOOK_BYTES = 25 * 1024 * 1024;

export interface WebhookOptions {
  env: NodeJS.ProcessEnv;
  maxBytes: number;
  servicesOf(repo: RegisteredRepo): Promise<ServiceInfo[]>;
  now(): string;
}

/** `sha256=<hex>` of the body under the secret, compared in constant time. */
export function signatureMatches(secret: string, body: Buffer, header: string): boolean {
  const m = /^sha256=([0-9a-f]{64})$/i.exec(header.trim());
  if (!m) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  const given = Buffer.from(m[1]!, 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

export function sign(secret: string, body: Buffer | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * POST /api/v1/webhooks/github. Checks, in order: headers, size, JSON, the repository it names (registered by
 * remote), the signature under that repository's secret, the event; then, in one transaction, claims the delivery
 * id (a replay is refused) and stores what the event says. Every refusal is a 4xx with the reason, logged with the
 * delivery id and event only (never the secret or the signature), and stores nothing.
 */
export async function handleWebhook(ctx: RequestContext, opts: WebhookOptions): Promise<ApiResponse> {
  const event = ctx.headers['x-github-event'] ?? '';
  const delivery = ctx.headers['x-github-delivery'] ?? '';
  const refuse = (status: number, reason: string, fields: Record<string, unknown> = {}): ApiResponse => {
    ctx.log.warn('github webhook refused', { status, reason, event: event.slice(0, 64), delivery: delivery.slice(0, 64), ...fields });
    return { status, body: { error: reason } };
  };
  if (!/^[a-z_]{1,64}$/.test(event)) return refuse(400, 'missing or invalid X-GitHub-Event header');
  if (!/^[0-9A-Za-z-]{1,64}$/.test(delivery)) return refuse(400, 'missing or invalid X-GitHub-Delivery header');
  if (ctx.rawBody.length > opts.maxBytes) return refuse(413, `body of ${ctx.rawBody.length} bytes exceeds the ${opts.maxBytes}-byte limit`);
  const sig = ctx.headers['x-hub-signature-256'];
  if (!sig) return refuse(401, 'missing X-Hub-Signature-256 header (set a secret on the webhook)');
  let body: unknown;
  try {
    body = JSON.parse(ctx.rawBody.toString('utf8'));
  } catch {
    return refuse(400, 'body is not JSON (set the webhook content type to application/json)');
  }
  if (!body || typeof body !== 'object' || Array.isArray(body)) return refuse(400, 'body is not a JSON object');
  const named = (body as Record<string, unknown>).repository;
  let repo: RegisteredRepo | undefined;
  if (named !== undefined) {
    const r = repositoryPart.safeParse(named);
    if (!r.success) return refuse(400, 'malformed payload: repository');
    const { matchRepository } = await import('./repo-match.ts');
    repo = matchRepository(await ctx.repos(), r.data);
    if (!repo) {
      // Only a sender that proves it knows the server's secret learns which repositories are registered: anyone
      // else gets the refusal a wrong signature gets (the log says why).
      const fallback = opts.env[DEFAULT_SECRET_ENV];
      if (!fallback || !signatureMatches(fallback, ctx.rawBody, sig)) {
        ctx.log.warn('github webhook refused', { status: 401, reason: `repository ${r.data.full_name} is not registered here`, event: event.slice(0, 64), delivery: delivery.slice(0, 64) });
        return { status: 401, body: { error: "X-Hub-Signature-256 does not match the body under this repository's secret" } };
      }
      return refuse(404, `repository ${r.data.full_name} is not registered here (depwarden repo add, with its remote)`);
    }
  } else if (event !== 'ping') return refuse(400, 'payload names no repository');
  const secretEnv = repo?.webhookSecretEnv || DEFAULT_SECRET_ENV;
  const secret = opts.env[secretEnv];
  if (!secret) {
    ctx.log.error('github webhook secret not configured', { env: secretEnv, repo: repo?.name });
    return { status: 503, body: { error: `the webhook secret is not configured on this server (environment variable ${secretEnv})` } };
  }
  if (!signatureMatches(secret, ctx.rawBody, sig)) return refuse(401, 'X-Hub-Signature-256 does not match the body under this repository\'s secret', { repo: repo?.name });
  if (event === 'ping') return { status: 200, body: { ok: true, repo: repo?.name ?? null } };
  if (!(BUILD_EVENTS as readonly string[]).includes(event)) return refuse(400, `event ${event} is not one depwarden reads (${BUILD_EVENTS.join(', ')}, ping); unsubscribe it from the webhook`, { repo: repo!.name });
  let facts;
  try {
    facts = eventFacts(event as BuildEvent, body);
  } catch (e) {
    if (e instanceof PayloadError) return refuse(400, e.message, { repo: repo!.name });
    throw e;
  }
  const r = repo!;
  const now = opts.now();
  let builds: BuildRecord[] = [];
  if (facts.kind === 'builds') {
    const services = await opts.servicesOf(r);
    builds = facts.builds.map(({ workflowFile, ...b }) => ({
      ...b,
      repo: r.name,
      service: workflowFile ? serviceOfWorkflow(services, readWorkflowPaths(r.root, workflowFile)) : b.source === 'check_run' || b.source === 'status' ? serviceOfCheck(services, b.workflow) : '',
    }));
  }
  const outcome = await ctx.store.transaction(async (q) => {
    if (!(await claimDelivery(q, delivery, event, r.name, now))) return 'replay' as const;
    if (facts.kind === 'pull_request') {
      await recordPullRequest(q, { repo: r.name, number: facts.number, headBranch: facts.headBranch, headCommit: facts.headCommit, baseBranch: facts.baseBranch, state: facts.state, updated: facts.updated });
      return 1;
    }
    let stored = 0;
    for (const b of builds) if (await recordBuild(q, b, now)) stored++;
    return stored;
  });
  if (outcome === 'replay') return refuse(409, `delivery ${delivery} was already received (a replay)`, { repo: r.name });
  ctx.log.info('github webhook', { event, delivery, repo: r.name, stored: outcome });
  return { status: 202, body: { ok: true, repo: r.name, event, stored: outcome, builds: builds.map((b) => ({ commit: b.commit, branch: b.branch, workflow: b.workflow, service: b.service, status: b.status })) } };
}
