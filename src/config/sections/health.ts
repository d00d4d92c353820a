import { z } from 'zod';

/**
 * `health:` section of depwarden.yaml: how `depwarden serve` (and `depwarden health check`) probes each running
 * service, keyed by service name. A service has any of an HTTP probe, a TCP probe, its container's own Docker
 * healthcheck, and Prometheus queries; its status is the worst of them (docs/health.md).
 */
const seconds = (def: number, what: string) => z.number().positive().max(300).default(def).describe(what);

const httpProbe = z
  .object({
    url: z.url({ protocol: /^https?$/ }).describe('URL to GET (http or https). Its host is the only one this probe may reach.'),
    expectStatus: z.union([z.number().int().min(100).max(599), z.array(z.number().int().min(100).max(599)).min(1)]).default(200).describe('Status (or statuses) meaning up.'),
    expectBody: z.string().optional().describe('Text the body must contain to be up (a body over 1 MiB is down).'),
    timeoutSeconds: seconds(5, 'Deadline of the whole request; a slower answer is down.'),
    degradedAboveSeconds: z.number().positive().optional().describe('A correct answer slower than this is degraded.'),
  })
  .strict();

const tcpProbe = z
  .object({
    host: z.string().min(1).describe('Host name or address to connect to.'),
    port: z.number().int().min(1).max(65535),
    timeoutSeconds: seconds(3, 'Deadline for the connection.'),
  })
  .strict();

const dockerProbe = z
  .object({
    container: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_.-]{0,254}$/, 'a container name or id').describe('Container name or id whose HEALTHCHECK state is read.'),
    socket: z.string().default('/var/run/docker.sock').describe('Docker Engine API unix socket.'),
    timeoutSeconds: seconds(5, 'Deadline of the API call.'),
  })
  .strict();

const above = z
  .object({
    query: z.string().min(1).describe('PromQL instant query; its first sample is the value.'),
    degradedAbove: z.number().optional().describe('Degraded when the value is above this.'),
    downAbove: z.number().optional().describe('Down when the value is above this.'),
  })
  .strict();

const below = z
  .object({
    query: z.string().min(1).describe('PromQL instant query; its first sample is the value.'),
    degradedBelow: z.number().optional().describe('Degraded when the value is below this.'),
    downBelow: z.number().optional().describe('Down when the value is below this.'),
  })
  .strict();

const prometheusProbe = z
  .object({
    url: z.url({ protocol: /^https?$/ }).describe('Base URL of the Prometheus server (its /api/v1/query is asked).'),
    timeoutSeconds: seconds(10, 'Deadline of each query.'),
    latencyP95: above.optional().describe('Latency p95 in seconds, e.g. histogram_quantile(0.95, sum by (le) (rate(http_request_duration_seconds_bucket{service="api"}[5m]))).'),
    errorRatio: above.optional().describe('Share of failed requests (0..1), e.g. sum(rate(http_requests_total{code=~"5.."}[5m])) / sum(rate(http_requests_total[5m])).'),
    requestRate: below.optional().describe('Requests per second; too little traffic can mean the service is unreachable.'),
  })
  .strict()
  .refine((p) => p.latencyP95 || p.errorRatio || p.requestRate, 'give at least one of latencyP95, errorRatio, requestRate');

export const serviceHealth = z
  .object({
    intervalSeconds: z.number().int().min(5).max(86_400).default(60).describe('How often `depwarden serve` probes this service.'),
    http: httpProbe.optional(),
    tcp: tcpProbe.optional(),
    docker: dockerProbe.optional(),
    prometheus: prometheusProbe.optional(),
  })
  .strict()
  .refine((s) => s.http || s.tcp || s.docker || s.prometheus, 'give at least one probe: http, tcp, docker or prometheus');

export const healthSection = z.record(z.string().min(1), serviceHealth).default({}).describe('Runtime health probes per service name: HTTP, TCP, Docker healthcheck, Prometheus queries.');

export type HealthConfig = z.infer<typeof healthSection>;
export type ServiceHealthConfig = z.infer<typeof serviceHealth>;
