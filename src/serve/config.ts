import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { z } from 'zod';

/**
 * The server's own settings (`<data>/serve.yaml`, or `--config FILE`): how the process runs, not what a
 * repository's protocol is (that stays in each repository's depwarden.yaml). Every key has a default, so a
 * missing file is a valid configuration.
 */
const cron = z.string().min(9).max(100);

export const serveConfigSchema = z
  .object({
    metrics: z.object({ public: z.boolean().default(false).describe('GET /metrics needs no token (for a Prometheus on a trusted network).') }).strict().prefault({}),
    limits: z
      .object({
        bodyBytes: z.number().int().min(1024).max(64 * 1024 * 1024).default(1024 * 1024).describe('Largest request body (413 above).'),
        perToken: z.number().int().min(0).default(600).describe('Requests per window per token (0: unlimited).'),
        perAddress: z.number().int().min(0).default(1200).describe('Requests per window per client address (0: unlimited).'),
        windowSeconds: z.number().int().min(1).default(60),
      })
      .strict()
      .prefault({}),
    jobs: z
      .object({
        tickSeconds: z.number().min(1).max(86_400).default(60).describe('How often the branch heads of the registered repositories are polled (one poll per tick across all replicas).'),
        leaseSeconds: z.number().int().min(1).default(900).describe('A job running longer than this is taken to have lost its worker and is retried.'),
        superviseSeconds: z.number().int().min(1).max(600).default(30).describe('How often expired leases are looked for.'),
        retryLimit: z.number().int().min(0).default(3),
        retryDelaySeconds: z.number().int().min(0).default(30),
        concurrency: z.number().int().min(1).max(64).default(2).describe('Jobs this process runs at once.'),
        perCommit: z.array(z.enum(['check', 'conflicts', 'audit', 'sbom', 'outdated'])).default(['check', 'conflicts', 'audit', 'sbom']).describe('Jobs run on every new commit of a registered repository.'),
        update: z
          .object({
            mode: z.enum(['local', 'github', 'dry-run']).default('local').describe('How the weekly `depwarden update` of each repository runs at its `updates.schedule` tick: local (branches and PR body files in the checkout), github (push and open pull requests; GITHUB_TOKEN), dry-run (the plan only).'),
            base: z.string().default('main').describe('Base branch of update pull requests.'),
          })
          .strict()
          .prefault({}),
        schedule: z
          .object({
            snapshots: cron.default('0 3 * * *').describe('Every registered repository is snapshotted again (all per-commit jobs plus outdated), cron.'),
            dbSync: cron.default('0 4 * * *').describe('The advisory database sync (daily).'),
            timezone: z.string().default('UTC'),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
    advisories: z
      .object({
        database: z.string().optional().describe('Advisory database directory (default: the one `depwarden db sync` writes).'),
        source: z.string().optional().describe('OSV export base URL or file:// directory for the daily sync (default: vulns.source).'),
        ecosystems: z.array(z.enum(['PyPI', 'npm'])).default(['PyPI', 'npm']),
      })
      .strict()
      .prefault({}),
  })
  .strict();

export type ServeConfig = z.infer<typeof serveConfigSchema>;

export class ServeConfigError extends Error {}

export function loadServeConfig(file: string, required: boolean): ServeConfig {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    if (!required && (e as NodeJS.ErrnoException).code === 'ENOENT') return serveConfigSchema.parse({});
    throw new ServeConfigError(`cannot read ${file}: ${(e as Error).message}`);
  }
  let raw: unknown;
  try {
    raw = parse(text) ?? {};
  } catch (e) {
    throw new ServeConfigError(`${file}: not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  const r = serveConfigSchema.safeParse(raw);
  if (!r.success) throw new ServeConfigError(`${file}: ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  return r.data;
}
