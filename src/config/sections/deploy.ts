import { z } from 'zod';

const seconds = (def: number, doc: string) => z.number().positive().default(def).describe(doc);

/** The default queries read HAProxy's exporter (the front of the swarm and compose-proxy drivers). */
export const DEFAULT_ERROR_RATIO_QUERY =
  'sum(rate(haproxy_server_http_responses_total{proxy="{{backend}}",server=~"{{servers}}",code="5xx"}[{{window}}])) / clamp_min(sum(rate(haproxy_server_http_responses_total{proxy="{{backend}}",server=~"{{servers}}"}[{{window}}])), 1e-9)';
/** HAProxy exports response-time averages, not histograms: with an application histogram use histogram_quantile(0.95, …). */
export const DEFAULT_LATENCY_QUERY = 'max(haproxy_server_response_time_average_seconds{proxy="{{backend}}",server=~"{{servers}}"}) or vector(0)';

const service = z
  .object({
    driver: z.enum(['swarm', 'compose-proxy', 'kubernetes']).default('swarm').describe('Engine that runs the service.'),
    strategy: z.enum(['rolling', 'blue-green']).optional().describe('Overrides deploy.strategy for this service.'),
    port: z.number().int().min(1).max(65535).describe('Port on 127.0.0.1 where the service answers (the traffic front: HAProxy for swarm and compose-proxy).'),
    metricsPort: z.number().int().min(0).max(65535).default(0).describe("Port of the front's Prometheus exporter (/metrics on 127.0.0.1); 0: none."),
    replicas: z.number().int().min(1).max(32).default(3).describe('Instances.'),
    targetPort: z.number().int().min(1).max(65535).default(8080).describe('Port the application listens on inside its container.'),
    healthPath: z.string().startsWith('/').default('/health').describe('Readiness probe path (HTTP).'),
    healthCmd: z.string().min(1).optional().describe('A command the engine runs inside the container as its own health check (e.g. `wget -q -O /dev/null http://127.0.0.1:8080/health`): Swarm then replaces an old instance only once the new one is healthy. Without it a rolling batch waits at least readinessTimeoutSeconds before the next.'),
    probe: z.enum(['http', 'tcp']).default('http').describe('Readiness probe kind.'),
    trafficPath: z.string().startsWith('/').default('/').describe('Path the analysis probes request when no Prometheus is configured.'),
    parallelism: z.number().int().min(1).default(1).describe('Rolling: instances replaced at once.'),
    batchDelaySeconds: seconds(2, 'Rolling: pause between two batches, so readiness judges a batch before the next one starts.'),
    drainSeconds: seconds(1, 'How long an instance leaving traffic is drained before it is stopped.'),
    packages: z.array(z.string()).default([]).describe('Packages this service ships (for notices of a change: which dependency moved).'),
    kubernetes: z
      .object({ namespace: z.string().default('default'), deployment: z.string().optional(), service: z.string().optional() })
      .strict()
      .optional()
      .describe('Kubernetes: the Deployment(s) and the Service whose selector blue/green switches.'),
  })
  .strict();

/** `deploy:` section of depwarden.yaml: how `depwarden deploy` rolls a new image out and when it rolls back. */
export const deploySection = z
  .object({
    strategy: z.enum(['rolling', 'blue-green']).default('rolling').describe('Default rollout strategy.'),
    probeIntervalSeconds: seconds(2, 'Seconds between readiness probes (and HAProxy health checks).'),
    readinessTimeoutSeconds: seconds(20, 'A new instance that is not ready this long fails the readiness gate.'),
    analysis: z
      .object({
        intervalSeconds: seconds(2, 'Seconds between two measurements of the analysis window.'),
        count: z.number().int().min(1).default(3).describe('Measurements in the window.'),
        failureLimit: z.number().int().min(0).default(0).describe('Failed measurements tolerated; one more fails the gate.'),
        successCondition: z
          .object({
            maxErrorRatio: z.number().min(0).max(1).default(0.01).describe('Highest ratio of 5xx (or failed probe) answers of the new version.'),
            maxLatencyP95Ms: z.number().positive().default(1000).describe('Highest latency p95 of the new version, in milliseconds.'),
          })
          .strict()
          .prefault({})
          .describe('What a measurement must show to pass.'),
        probesPerMeasurement: z.number().int().min(1).max(100).default(5).describe('Without Prometheus: requests per new instance per measurement.'),
      })
      .strict()
      .prefault({})
      .describe('The analysis window after readiness.'),
    prometheus: z
      .object({
        url: z.string().url().describe('Base URL of Prometheus (its /api/v1/query is asked).'),
        errorRatio: z.string().default(DEFAULT_ERROR_RATIO_QUERY).describe('PromQL giving the error ratio of the new version; {{service}}, {{backend}}, {{servers}} (regex of the new instances) and {{window}} are filled in.'),
        latencyP95Seconds: z.string().default(DEFAULT_LATENCY_QUERY).describe('PromQL giving the latency p95 of the new version, in seconds.'),
        window: z.string().regex(/^\d+[smh]$/).default('10s').describe('Range of the rate() windows ({{window}}).'),
      })
      .strict()
      .optional()
      .describe('Gate metrics from Prometheus; without it the gates measure with their own probes.'),
    blueKeepSeconds: z.number().min(0).default(300).describe('Blue/green: how long the old side keeps running after a switch, for an instant switch-back.'),
    waves: z
      .object({ first: z.number().int().min(1).default(1).describe('Services in the first wave of a change; the rest follow once it passed.') })
      .strict()
      .prefault({})
      .describe('`deploy --change`: the order services of one change are rolled out in.'),
    postmortems: z.string().default('docs/postmortems').describe('Folder (in the repository) of the post-mortems written after a rollback.'),
    notify: z
      .object({ log: z.string().optional().describe('File the log channel appends notices to (one JSON line each); default stderr.') })
      .strict()
      .prefault({})
      .describe('Where deploy notices go until an alerts channel is configured.'),
    stateDir: z.string().default('.depwarden/deploy').describe('Folder (in the repository) for the traffic fronts\' configuration and sockets.'),
    services: z.record(z.string().regex(/^[a-z0-9][a-z0-9_.-]*$/, 'service names are lower-case letters, digits, . _ -'), service).default({}).describe('Services depwarden deploys, by name.'),
  })
  .strict()
  .describe('Zero-downtime rollout with gates and automatic rollback (`depwarden deploy`).');

export type DeployConfig = z.infer<typeof deploySection>;
export type DeployServiceConfig = DeployConfig['services'][string];
