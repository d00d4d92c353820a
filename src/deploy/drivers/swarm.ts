import { docker as dockerCli } from './docker-cli.ts';
import type { Driver, Group, GroupState, Instance, Route, ServiceTarget } from './driver.ts';
import { DeployError, UnhealthyError } from '../errors.ts';
import { proxyLabels, setRoutes } from '../proxy/haproxy.ts';

/**
 * Docker Swarm through the real engine. A rolling service is one Swarm service updated with `start-first` order
 * and the configured parallelism; a blue/green service is two Swarm services (`<name>-blue`, `<name>-green`).
 * Tasks publish their port in host mode on an ephemeral port (Swarm's ingress mesh does not answer on loopback
 * here), and the service's HAProxy front routes to them: depwarden, not the mesh, decides who gets traffic.
 *
 * Images are given to Swarm by their content digest (the image ID, `sha256:…`): Swarm records no registry digest
 * for a local image, so depwarden passes and records the ID itself and checks each task runs it.
 */
interface TaskJson {
  ID: string;
  DesiredState: string;
  Status: { State: string; PortStatus?: { Ports?: { TargetPort: number; PublishedPort: number }[] } };
  Spec: { ContainerSpec: { Image: string } };
}

export class SwarmDriver implements Driver {
  readonly kind = 'swarm' as const;
  readonly proxyDir: string;
  readonly pollMs: number;
  readonly env: NodeJS.ProcessEnv | undefined;
  constructor(opts: { proxyDir: string; pollMs?: number; env?: NodeJS.ProcessEnv }) {
    this.proxyDir = opts.proxyDir;
    this.pollMs = opts.pollMs ?? 250;
    this.env = opts.env;
  }

  private docker(args: string[]): Promise<string> {
    return dockerCli(args, this.env ? { env: this.env } : {});
  }

  serviceName(t: ServiceTarget, group: Group): string {
    return group === 'main' ? t.name : `${t.name}-${group}`;
  }

  async current(t: ServiceTarget): Promise<GroupState[]> {
    const out: GroupState[] = [];
    for (const group of ['main', 'blue', 'green'] as const) {
      const spec = await this.spec(this.serviceName(t, group));
      if (spec) out.push({ group, ...spec });
    }
    return out;
  }

  private async spec(name: string): Promise<{ image: string; replicas: number } | undefined> {
    const ids = await this.docker(['service', 'ls', '-q', '--filter', `name=${name}`]);
    if (!ids) return undefined;
    const raw = await this.docker(['service', 'inspect', '--format', '{{json .Spec}}', ...ids.split('\n')]);
    for (const line of raw.split('\n')) {
      const s = JSON.parse(line) as { Name: string; TaskTemplate: { ContainerSpec: { Image: string } }; Mode: { Replicated?: { Replicas: number } } };
      if (s.Name === name) return { image: s.TaskTemplate.ContainerSpec.Image.replace(/^.*@(?=sha256:)/, ''), replicas: s.Mode.Replicated?.Replicas ?? 0 };
    }
    return undefined;
  }

  async observe(t: ServiceTarget, group: Group): Promise<Instance[]> {
    const name = this.serviceName(t, group);
    let tasks: TaskJson[] | undefined;
    // Swarm prunes old tasks at any time: one listed a moment ago may be gone when inspected. List again then.
    for (let attempt = 0; !tasks; attempt++) {
      let ids: string;
      try {
        ids = await this.docker(['service', 'ps', '-q', '--no-trunc', name]);
      } catch (e) {
        if (e instanceof DeployError && /no such service/i.test(e.message)) return [];
        throw e;
      }
      if (!ids) return [];
      try {
        tasks = (await this.docker(['inspect', '--format', '{{json .}}', ...ids.split('\n')])).split('\n').map((l) => JSON.parse(l) as TaskJson);
      } catch (e) {
        if (!(e instanceof DeployError && /No such object/i.test(e.message)) || attempt >= 4) throw e;
      }
    }
    const out: Instance[] = [];
    for (const task of tasks) {
      // `starting`: the container runs but its health command has not passed yet — depwarden probes it too.
      if (task.Status.State !== 'running' && task.Status.State !== 'starting') continue;
      if (task.Status.State === 'starting' && task.DesiredState !== 'running') continue;
      const port = task.Status.PortStatus?.Ports?.find((p) => p.TargetPort === t.targetPort)?.PublishedPort;
      if (!port) continue;
      out.push({ id: task.ID, group, healthy: task.Status.State === 'running', image: task.Spec.ContainerSpec.Image.replace(/^.*@(?=sha256:)/, ''), endpoint: `127.0.0.1:${port}`, stopping: task.DesiredState !== 'running' });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  async startNew(t: ServiceTarget, group: Group, image: string, signal: AbortSignal): Promise<void> {
    const name = this.serviceName(t, group);
    // Start-first stops an old task as soon as its replacement is "running". With a health command Swarm waits for
    // the replacement to be healthy; without one, a batch waits at least the readiness timeout before the next
    // starts, so a bad version cannot replace every old task before the readiness gate has judged the first batch.
    const delayMs = t.healthCmd ? t.batchDelayMs : Math.max(t.batchDelayMs, t.readinessTimeoutMs);
    const health = t.healthCmd ? ['--health-cmd', t.healthCmd, '--health-interval', `${t.healthIntervalMs}ms`, '--health-timeout', '2s', '--health-retries', '1', '--health-start-period', '0s'] : [];
    const update = ['--update-order', 'start-first', '--update-parallelism', String(t.parallelism), '--update-delay', `${delayMs}ms`, '--update-failure-action', 'pause', '--stop-grace-period', `${Math.max(t.drainMs, 1000)}ms`, ...health];
    if (await this.spec(name)) {
      await this.docker(['service', 'update', '--detach', '--no-resolve-image', '--image', image, '--replicas', String(t.replicas), ...update, name]);
    } else {
      await this.docker(['service', 'create', '--detach', '--no-resolve-image', '--name', name, '--label', `depwarden.service=${t.name}`, '--replicas', String(t.replicas), '--publish', `mode=host,target=${t.targetPort}`, ...update, image]);
    }
    await this.converge(t, group, image, signal);
  }

  /** Waits until every running task of the group runs `image`, none is stopping, and there are `replicas`. */
  private async converge(t: ServiceTarget, group: Group, image: string, signal: AbortSignal, timeoutMs = 180_000): Promise<void> {
    const until = Date.now() + timeoutMs;
    while (Date.now() < until) {
      if (signal.aborted) return;
      const state = await this.docker(['service', 'inspect', '--format', '{{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}', this.serviceName(t, group)]);
      if (state === 'paused') throw new UnhealthyError(`Swarm paused the update of ${this.serviceName(t, group)}: a new task failed (its health command or its process)`);
      const inst = await this.observe(t, group);
      if ((state === '' || state === 'completed') && inst.length === t.replicas && inst.every((i) => i.image === image && !i.stopping && i.healthy)) return;
      await new Promise((r) => setTimeout(r, this.pollMs));
    }
    throw new DeployError(`${this.serviceName(t, group)} did not converge on ${image.slice(0, 19)}… within ${timeoutMs / 1000} s`);
  }

  async shiftTraffic(_t: ServiceTarget, routes: Route[]): Promise<void> {
    await setRoutes(this.proxyDir, routes);
  }

  metricLabels(_t: ServiceTarget, endpoints: string[]): Promise<Record<string, string>> {
    return proxyLabels(this.proxyDir, endpoints);
  }

  async stopOld(t: ServiceTarget, group: Group): Promise<void> {
    const name = this.serviceName(t, group);
    if (await this.spec(name)) await this.docker(['service', 'rm', name]);
  }
}
