import { docker as dockerCli } from './docker-cli.ts';
import type { Driver, Group, GroupState, Instance, Route, ServiceTarget } from './driver.ts';
import { DeployError, UnhealthyError } from '../errors.ts';
import { proxyLabels, setRoutes, slots } from '../proxy/haproxy.ts';

/**
 * One Docker host, compose-style: plain containers (labelled with their service and group, each publishing its
 * port on an ephemeral 127.0.0.1 port) behind the service's HAProxy front. The driver sequences a rolling
 * update itself — start `parallelism` new containers, wait until the front routes to them, drain the old ones
 * for `drainMs`, remove them — and a blue/green side is a set of containers of its own.
 */
interface ContainerJson {
  Id: string;
  Image: string;
  Config: { Labels: Record<string, string> };
  State: { Running: boolean; Health?: { Status: string } };
  NetworkSettings: { Ports: Record<string, { HostIp: string; HostPort: string }[] | null> };
}

export class ComposeProxyDriver implements Driver {
  readonly kind = 'compose-proxy' as const;
  readonly proxyDir: string;
  readonly env: NodeJS.ProcessEnv | undefined;
  /** Containers this run is draining (observe reports them as stopping). */
  private readonly draining = new Set<string>();
  private seq = 0;
  constructor(opts: { proxyDir: string; env?: NodeJS.ProcessEnv }) {
    this.proxyDir = opts.proxyDir;
    this.env = opts.env;
  }

  private docker(args: string[]): Promise<string> {
    return dockerCli(args, this.env ? { env: this.env } : {});
  }

  private async containers(t: ServiceTarget, group?: Group): Promise<ContainerJson[]> {
    const ids = await this.docker(['ps', '-q', '--no-trunc', '--filter', `label=depwarden.service=${t.name}`, ...(group ? ['--filter', `label=depwarden.group=${group}`] : [])]);
    if (!ids) return [];
    try {
      return (await this.docker(['inspect', '--format', '{{json .}}', ...ids.split('\n')])).split('\n').map((l) => JSON.parse(l) as ContainerJson);
    } catch (e) {
      if (e instanceof DeployError && /No such object/i.test(e.message)) return this.containers(t, group); // removed meanwhile
      throw e;
    }
  }

  async current(t: ServiceTarget): Promise<GroupState[]> {
    const by = new Map<Group, GroupState>();
    for (const c of await this.containers(t)) {
      const group = c.Config.Labels['depwarden.group'] as Group;
      const g = by.get(group) ?? { group, image: c.Image, replicas: 0 };
      g.replicas++;
      // A group caught half way (two images): its spec is the image most of it runs, the first seen on a tie.
      by.set(group, g);
    }
    return [...by.values()].sort((a, b) => a.group.localeCompare(b.group));
  }

  async observe(t: ServiceTarget, group: Group): Promise<Instance[]> {
    const out: Instance[] = [];
    for (const c of await this.containers(t, group)) {
      const port = c.NetworkSettings.Ports[`${t.targetPort}/tcp`]?.[0]?.HostPort;
      if (!c.State.Running || !port) continue;
      out.push({ id: c.Id, group, image: c.Image, endpoint: `127.0.0.1:${port}`, stopping: this.draining.has(c.Id), healthy: !c.State.Health || c.State.Health.Status === 'healthy' });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  private async run(t: ServiceTarget, group: Group, image: string): Promise<string> {
    const name = `${t.name}-${group}-${Date.now().toString(36)}${(this.seq++).toString(36)}`;
    const health = t.healthCmd ? ['--health-cmd', t.healthCmd, '--health-interval', `${t.healthIntervalMs}ms`, '--health-retries', '1', '--health-timeout', '2s'] : [];
    return this.docker(['run', '-d', '--name', name, '--label', `depwarden.service=${t.name}`, '--label', `depwarden.group=${group}`, '-p', `127.0.0.1::${t.targetPort}`, '--stop-timeout', String(Math.max(1, Math.ceil(t.drainMs / 1000))), ...health, image]);
  }

  /** Waits until the front routes to every one of `ids` (HAProxy has them ready and UP). */
  private async routed(t: ServiceTarget, ids: string[], signal: AbortSignal): Promise<void> {
    const until = Date.now() + t.readinessTimeoutMs + 2000;
    while (Date.now() < until && !signal.aborted) {
      const eps = new Set((await this.observe(t, 'main').then(async (m) => [...m, ...(await this.observe(t, 'blue')), ...(await this.observe(t, 'green'))])).filter((i) => ids.includes(i.id)).map((i) => i.endpoint));
      const up = (await slots(this.proxyDir)).filter((s) => s.admin === 'ready' && s.health === 'UP' && eps.has(`${s.addr}:${s.port}`));
      if (eps.size === ids.length && up.length === ids.length) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    if (!signal.aborted) throw new UnhealthyError(`new container(s) ${ids.map((i) => i.slice(0, 12)).join(', ')} did not get traffic within ${t.readinessTimeoutMs + 2000} ms (not ready)`);
  }

  async startNew(t: ServiceTarget, group: Group, image: string, signal: AbortSignal): Promise<void> {
    if (group !== 'main') {
      for (let i = 0; i < t.replicas; i++) await this.run(t, group, image);
      return;
    }
    const old = (await this.containers(t, 'main')).filter((c) => c.Image !== image).map((c) => c.Id);
    const have = (await this.containers(t, 'main')).filter((c) => c.Image === image).length;
    let toStart = Math.max(0, t.replicas - have);
    if (!old.length) {
      const ids: string[] = [];
      for (let i = 0; i < toStart; i++) ids.push(await this.run(t, 'main', image));
      return this.routed(t, ids, signal);
    }
    for (let i = 0; i < old.length && !signal.aborted; i += t.parallelism) {
      const batch = old.slice(i, i + t.parallelism);
      const ids: string[] = [];
      for (let n = 0; n < batch.length && toStart > 0; n++, toStart--) ids.push(await this.run(t, 'main', image));
      await this.routed(t, ids, signal);
      if (signal.aborted) return;
      for (const id of batch) this.draining.add(id);
      await new Promise((r) => setTimeout(r, t.drainMs + 300)); // the sync drains them, then in-flight requests end
      await this.docker(['rm', '-f', ...batch]);
      for (const id of batch) this.draining.delete(id);
      if (i + t.parallelism < old.length) await new Promise((r) => setTimeout(r, t.batchDelayMs));
    }
  }

  async shiftTraffic(_t: ServiceTarget, routes: Route[]): Promise<void> {
    await setRoutes(this.proxyDir, routes);
  }

  metricLabels(_t: ServiceTarget, endpoints: string[]): Promise<Record<string, string>> {
    return proxyLabels(this.proxyDir, endpoints);
  }

  async stopOld(t: ServiceTarget, group: Group): Promise<void> {
    const ids = (await this.containers(t, group)).map((c) => c.Id);
    if (ids.length) await this.docker(['rm', '-f', ...ids]);
  }
}
