/**
 * What a deploy driver must do — small on purpose, so that Swarm, one Docker host behind a proxy and Kubernetes
 * are each one module, and the strategies, gates and rollback above them are the same code for every engine:
 * tell what runs (current, observe), start a new version (startNew), move traffic (shiftTraffic), and stop the
 * old version (stopOld).
 *
 * A service runs in one or two groups: `main` for a rolling service (updated in place), `blue` and `green` for a
 * blue/green service (two copies, one of them receiving traffic).
 */
export type Group = 'main' | 'blue' | 'green';

export interface Instance {
  /** Engine id (task, container, pod). */
  id: string;
  group: Group;
  /** Content digest of the image the instance runs (`sha256:…`). */
  image: string;
  /** host:port where the instance itself answers (probes go here, the proxy routes here). */
  endpoint: string;
  /** The engine is stopping it: traffic must drain away from it. */
  stopping: boolean;
  /** The engine considers it started (its own health check, if any, passed). */
  healthy: boolean;
}

export interface GroupState {
  group: Group;
  /** The image the group is meant to run (its spec), `sha256:…`. */
  image: string;
  replicas: number;
}

export interface ServiceTarget {
  /** The service's name in depwarden.yaml `deploy.services`. */
  name: string;
  replicas: number;
  /** Port the application listens on inside its container. */
  targetPort: number;
  /** Instances replaced at once (rolling). */
  parallelism: number;
  /** Pause between two batches of a rolling update, so the readiness gate sees a batch before the next starts. */
  batchDelayMs: number;
  /** How long an instance leaving traffic is drained before it is stopped. */
  drainMs: number;
  /** How long the readiness gate waits for a new instance. */
  readinessTimeoutMs: number;
  /** A command the engine runs inside the container as its own health check (optional). */
  healthCmd?: string;
  /** Seconds between the engine's own health checks. */
  healthIntervalMs: number;
}

/** One route of the traffic front: an endpoint that receives new requests (ready) or finishes its own (drain). */
export interface Route {
  endpoint: string;
  state: 'ready' | 'drain';
}

export interface Driver {
  readonly kind: 'swarm' | 'compose-proxy' | 'kubernetes';
  /** The groups that exist and what they are meant to run; [] when the service was never deployed. */
  current(t: ServiceTarget): Promise<GroupState[]>;
  /** Instances of a group as the engine reports them now. */
  observe(t: ServiceTarget, group: Group): Promise<Instance[]>;
  /**
   * Starts `image` in `group`: a rolling update in place for `main` (the engine's or the driver's own order,
   * start-first, `parallelism` at a time), or a new copy for `blue`/`green`. Resolves when the engine has
   * converged (every instance of the group runs `image`), or rejects.
   */
  startNew(t: ServiceTarget, group: Group, image: string, signal: AbortSignal): Promise<void>;
  /** Makes the traffic front route to exactly these endpoints. */
  shiftTraffic(t: ServiceTarget, routes: Route[]): Promise<void>;
  /** Stops a group (blue/green: the side that no longer receives traffic). */
  stopOld(t: ServiceTarget, group: Group): Promise<void>;
  /** How the metrics name these endpoints (filled into the PromQL queries: {{backend}}, {{servers}}). */
  metricLabels(t: ServiceTarget, endpoints: string[]): Promise<Record<string, string>>;
}
