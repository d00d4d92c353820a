import { z } from 'zod';
import { sendWithRetries } from '../../http/client.ts';
import type { ServiceHealthConfig } from '../../config/sections/health.ts';
import type { CheckResult } from '../status.ts';

/** The part of the Docker Engine API's `GET /containers/{id}/json` read here (API v1.41+). */
const inspect = z.object({
  Name: z.string().optional(),
  State: z.object({
    Status: z.string(),
    Running: z.boolean(),
    ExitCode: z.number().optional(),
    Health: z
      .object({
        Status: z.enum(['starting', 'healthy', 'unhealthy', 'none']),
        FailingStreak: z.number().optional(),
        Log: z.array(z.object({ ExitCode: z.number(), Output: z.string() })).nullable().optional(),
      })
      .optional()
      .nullable(),
  }),
});

/** The socket's HTTP host name: the Engine ignores it; it only fills the URL for the client's allow-list. */
const HOST = 'docker';

/**
 * The container's own HEALTHCHECK as the Docker Engine reports it, read through the unix socket with the one
 * HTTP client: healthy → up, unhealthy → down (with the last check's output), starting → unknown. A container
 * without a HEALTHCHECK is up while running. The Engine unreachable → unknown (it is not the service that failed).
 */
export async function probeDocker(cfg: NonNullable<ServiceHealthConfig['docker']>): Promise<CheckResult> {
  const timeoutMs = cfg.timeoutSeconds * 1000;
  const started = performance.now();
  let res;
  try {
    res = await sendWithRetries(`http://${HOST}/containers/${encodeURIComponent(cfg.container)}/json`, { allowHosts: [HOST], socketPath: cfg.socket, retries: 0, deadlines: { connectMs: timeoutMs, firstByteMs: timeoutMs, totalMs: timeoutMs }, maxBytes: 4 * 1024 * 1024 });
  } catch (e) {
    return { check: 'docker', status: 'unknown', reason: `Docker Engine API at ${cfg.socket} unreachable: ${e instanceof Error ? e.message : String(e)}` };
  }
  const latencyMs = Math.round(performance.now() - started);
  if (res.status === 404) return { check: 'docker', status: 'down', reason: `no container ${cfg.container}`, latencyMs };
  if (res.status !== 200) return { check: 'docker', status: 'unknown', reason: `Docker Engine API answered HTTP ${res.status}`, latencyMs };
  let body;
  try {
    body = inspect.parse(JSON.parse(Buffer.from(res.body).toString('utf8')));
  } catch {
    return { check: 'docker', status: 'unknown', reason: 'Docker Engine API answered something that is not a container inspect', latencyMs };
  }
  const s = body.State;
  if (!s.Running) return { check: 'docker', status: 'down', reason: `container ${cfg.container} is ${s.Status}${s.ExitCode !== undefined ? ` (exit code ${s.ExitCode})` : ''}`, latencyMs };
  const h = s.Health;
  if (!h || h.Status === 'none') return { check: 'docker', status: 'up', reason: `container running (it has no HEALTHCHECK)`, latencyMs };
  const last = h.Log?.[h.Log.length - 1];
  // The last line the failing check printed (curl and friends end with the error), without control characters.
  const lastLine = last?.Output.split(/[\r\n]+/).map((l) => l.replace(/[\u0000-\u001f\u007f]/g, '').trim()).filter(Boolean).pop();
  const output = lastLine ? `: ${lastLine.slice(0, 200)}` : '';
  if (h.Status === 'healthy') return { check: 'docker', status: 'up', reason: 'healthy', latencyMs };
  if (h.Status === 'starting') return { check: 'docker', status: 'unknown', reason: 'healthcheck still starting', latencyMs };
  return { check: 'docker', status: 'down', reason: `unhealthy (${h.FailingStreak ?? '?'} failed checks in a row)${output}`, latencyMs };
}
