import { z } from 'zod';

/**
 * `alerts:` section of depwarden.yaml: which conditions of the stored results are alerts (rules), where they go
 * (channels) and how (routes: matchers, repeat interval, grouping, digest). Channel secrets are never in the
 * file: a channel names the environment variable that holds its webhook URL, token or password.
 */

const envName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name (letters, digits, _)');
/** A duration: 30m, 4h, 2d. */
export const duration = z.string().regex(/^\d+(m|h|d)$/, 'a duration such as 30m, 4h or 2d');

export function durationMs(d: string): number {
  const n = Number(d.slice(0, -1));
  return n * (d.endsWith('m') ? 60_000 : d.endsWith('h') ? 3_600_000 : 86_400_000);
}

const severity = z.enum(['low', 'medium', 'high', 'critical']);
export type AlertSeverity = z.infer<typeof severity>;

const slack = z.object({ kind: z.literal('slack'), webhookUrlEnv: envName.describe('Variable holding the Slack incoming-webhook URL.') }).strict();
const teams = z.object({ kind: z.literal('teams'), webhookUrlEnv: envName.describe('Variable holding the Teams workflow webhook URL.') }).strict();
const webhook = z
  .object({
    kind: z.literal('webhook'),
    url: z.url({ protocol: /^https?$/ }).describe('Where the JSON body is POSTed (the URL itself is not a secret).'),
    secretEnv: envName.describe('Variable holding the HMAC-SHA256 secret of the X-Depwarden-Signature header.'),
  })
  .strict();
const email = z
  .object({
    kind: z.literal('email'),
    smtp: z
      .object({
        host: z.string().min(1),
        port: z.number().int().min(1).max(65535).default(587),
        secure: z.boolean().default(false).describe('TLS from the first byte (port 465).'),
        starttls: z.boolean().default(true).describe('Require STARTTLS on a plain connection (refuse to send in clear).'),
        caFile: z.string().optional().describe('PEM file of the CA that signed the server certificate (a private relay); default: the system CAs.'),
      })
      .strict(),
    userEnv: envName.optional().describe('Variable holding the SMTP user (no auth without it).'),
    passwordEnv: envName.optional().describe('Variable holding the SMTP password.'),
    from: z.string().min(3),
    to: z.array(z.string().min(3)).min(1),
  })
  .strict();
const githubIssue = z
  .object({
    kind: z.literal('github-issue'),
    repo: z.string().regex(/^[\w.-]+\/[\w.-]+$/, 'owner/name'),
    tokenEnv: envName.default('GITHUB_TOKEN'),
    title: z.string().min(1).default('Dependency dashboard'),
    apiUrl: z.url({ protocol: /^https?$/ }).default('https://api.github.com'),
  })
  .strict();
const log = z.object({ kind: z.literal('log'), file: z.string().optional().describe('File of one JSON line per message; default stderr.') }).strict();

export const channelSchema = z.discriminatedUnion('kind', [slack, teams, webhook, email, githubIssue, log]);
export type ChannelConfig = z.infer<typeof channelSchema>;

const route = z
  .object({
    match: z
      .object({
        rule: z.array(z.string()).optional().describe('Rule ids or prefixes ending in `*` (vulnerability.*).'),
        severity: severity.optional().describe('At or above this severity.'),
        service: z.array(z.string()).optional(),
        repo: z.array(z.string()).optional(),
      })
      .strict()
      .prefault({}),
    channels: z.array(z.string()).min(1).describe('Channel names of alerts.channels.'),
    repeatInterval: duration.default('4h').describe('A condition still firing is sent again after this; each repeat doubles it (up to 7 days).'),
    groupBy: z.array(z.enum(['rule', 'group', 'repo', 'service'])).default(['rule', 'group']).describe('One message per distinct value of these (group: the advisory, the build, the change).'),
    digest: z.enum(['off', 'daily', 'weekly']).default('off').describe('off: at once; daily/weekly: one summary message per channel at 09:00 UTC (Monday for weekly).'),
    continue: z.boolean().default(false).describe('Also try the routes after this one (default: the first matching route wins).'),
  })
  .strict();
export type RouteConfig = z.infer<typeof route>;

const on = (doc: string) => z.boolean().default(true).describe(doc);

const rules = z
  .object({
    vulnerability: z
      .object({ enabled: on('New vulnerability at or above minSeverity (VEX-triaged ones stay quiet until the triage expires).'), minSeverity: severity.default('high'), fixAvailable: on('A later message when a fix appears for an alerted vulnerability.') })
      .strict()
      .prefault({}),
    outdated: z
      .object({ enabled: on('A service with too many outdated dependencies.'), majorsBehind: z.number().int().min(1).default(3).describe('Major updates pending in one service.'), libyears: z.number().positive().default(10).describe('Libyears of one service.') })
      .strict()
      .prefault({}),
    buildFailing: z.object({ enabled: on('The default branch failing N runs in a row, and recovered.'), consecutive: z.number().int().min(1).default(2) }).strict().prefault({}),
    coverageDrop: z.object({ enabled: on('Coverage of a pull request below its base branch.'), points: z.number().positive().default(2) }).strict().prefault({}),
    health: z.object({ enabled: on('A service down or degraded for longer than minutes.'), minutes: z.number().positive().default(5) }).strict().prefault({}),
    deploy: z.object({ enabled: on('A rollback performed, a deploy failed.'), withinHours: z.number().positive().default(24).describe('Deploys older than this are not alerted.') }).strict().prefault({}),
    approvalWaiting: z.object({ enabled: on('A change waiting for approval.'), hours: z.number().positive().default(24) }).strict().prefault({}),
    reviewOverdue: z.object({ enabled: on('A post-update security review past its due time.') }).strict().prefault({}),
    jobFailed: z.object({ enabled: on('The latest run of a job (update, db-sync, audit...) failed.') }).strict().prefault({}),
    auditChain: z.object({ enabled: on('The audit log chain does not verify (always critical).') }).strict().prefault({}),
  })
  .strict();

export const alertsSection = z
  .object({
    channels: z.record(z.string().regex(/^[a-z0-9][a-z0-9_-]*$/, 'channel names are lower-case letters, digits, _ -'), channelSchema).default({}).describe('Named channels (kind: slack, teams, webhook, email, github-issue, log).'),
    routes: z.array(route).default([]).describe('First match wins (unless continue). None: every alert to every channel, or to the log when no channel is configured.'),
    rules: rules.prefault({}),
    owners: z.record(z.string(), z.array(z.string())).default({}).describe('People or teams per service, named in its messages.'),
    delivery: z
      .object({
        maxAttempts: z.number().int().min(1).max(50).default(6).describe('After this many failed attempts a message is dead (kept in the delivery log).'),
        backoffSeconds: z.number().positive().default(30).describe('First retry delay; doubles each attempt (a Retry-After answer wins).'),
        timeoutSeconds: z.number().positive().max(300).default(10).describe('One attempt on one channel may take this long; others are not held up.'),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .superRefine((a, ctx) => {
    a.routes.forEach((r, i) =>
      r.channels.forEach((c, j) => {
        if (!(c in a.channels)) ctx.addIssue({ code: 'custom', path: ['routes', i, 'channels', j], message: `unknown channel "${c}" (configured: ${Object.keys(a.channels).join(', ') || 'none'})` });
      }),
    );
  })
  .describe('Alerts: rules over the stored results, routes, channels.');

export type AlertsConfig = z.infer<typeof alertsSection>;
