import { z } from 'zod';

/** `http:` section of depwarden.yaml: how long and how often every HTTP call (registries, OSV, GitHub) may try. */
export const httpSection = z
  .object({
    connectTimeoutSeconds: z.number().positive().default(10).describe('Deadline for opening a connection (TCP and TLS), per attempt.'),
    firstByteTimeoutSeconds: z.number().positive().default(30).describe('Deadline for the answer\'s headers from the start of an attempt (connection included), and for any pause between bytes of the body, per attempt.'),
    totalTimeoutSeconds: z.number().positive().default(120).describe('Deadline for a whole call, retries and backoff included: no URL takes longer, however slowly a server trickles.'),
    retries: z.number().int().min(0).max(10).default(4).describe('Further attempts after a transient failure (5xx, 408, 429, a reset, a timeout), with exponential backoff and Retry-After. A host that cannot be reached (DNS, refused, TLS, deadlines) is not asked again for the rest of the run.'),
  })
  .strict()
  .describe('HTTP deadlines and retries of every network call.');

export type HttpConfig = z.infer<typeof httpSection>;

/**
 * The client's options (src/http/client.ts) from the section. Undefined (a config built before this section
 * existed, e.g. a stale schema/depwarden.defaults.json) means the defaults.
 */
export function httpOptions(section: HttpConfig | undefined): { deadlines: { connectMs: number; firstByteMs: number; totalMs: number }; retries: number } {
  const cfg = section ?? httpSection.parse({});
  return { deadlines: { connectMs: cfg.connectTimeoutSeconds * 1000, firstByteMs: cfg.firstByteTimeoutSeconds * 1000, totalMs: cfg.totalTimeoutSeconds * 1000 }, retries: cfg.retries };
}
