import { AppsV1Api, CoreV1Api, KubeConfig, PatchStrategy, setHeaderOptions, type V1Deployment } from '@kubernetes/client-node';
import type { Driver, Group, GroupState, Instance, Route, ServiceTarget } from './driver.ts';
import { DeployError, EngineUnreachableError, UnhealthyError } from '../errors.ts';

/**
 * Kubernetes through @kubernetes/client-node (the official client; it speaks the API server's own auth and
 * kubeconfig, which the one HTTP client of src/http/ does not). Nothing here is Swarm- or HAProxy-specific:
 *
 * - rolling: the Deployment's image is patched, with a RollingUpdate strategy of maxSurge = parallelism and
 *   maxUnavailable = 0 (start-first); Kubernetes routes only to Ready pods, so shiftTraffic has nothing to do;
 * - blue/green: two Deployments `<deployment>-blue` / `-green` whose pods carry `depwarden.dev/group`, and the
 *   Service's selector switched from one group to the other (shiftTraffic).
 *
 * The Deployments (and the Service) come from the user's manifests: depwarden changes images, replicas and
 * selectors, and creates a blue/green side only by copying the other one.
 */
export interface KubernetesOptions {
  namespace: string;
  deployment: string;
  service: string;
  /** kubeconfig file (default: KUBECONFIG, then ~/.kube/config). */
  kubeconfig?: string;
  pollMs?: number;
  timeoutMs?: number;
}

const GROUP_LABEL = 'depwarden.dev/group';

export class KubernetesDriver implements Driver {
  readonly kind = 'kubernetes' as const;
  private readonly apps: AppsV1Api;
  private readonly core: CoreV1Api;
  private readonly o: KubernetesOptions;
  private endpointsByGroup = new Map<string, Group>();
  constructor(o: KubernetesOptions) {
    this.o = o;
    const kc = new KubeConfig();
    if (o.kubeconfig) kc.loadFromFile(o.kubeconfig);
    else kc.loadFromDefault();
    this.apps = kc.makeApiClient(AppsV1Api);
    this.core = kc.makeApiClient(CoreV1Api);
  }

  private name(group: Group): string {
    return group === 'main' ? this.o.deployment : `${this.o.deployment}-${group}`;
  }

  /** API calls with the driver's error classes: no answer → unreachable, 404 → undefined where asked. */
  private async call<T>(what: string, f: () => Promise<T>, missingOk = false): Promise<T | undefined> {
    try {
      return await f();
    } catch (e) {
      const code = (e as { code?: number; statusCode?: number }).code ?? (e as { statusCode?: number }).statusCode;
      if (missingOk && code === 404) return undefined;
      const msg = e instanceof Error ? e.message : String(e);
      if (/ECONNREFUSED|ENOTFOUND|EHOSTUNREACH|ETIMEDOUT|fetch failed/i.test(msg)) throw new EngineUnreachableError(`the Kubernetes API server is unreachable (${what}): ${msg.split('\n')[0]}`);
      throw new DeployError(`Kubernetes refused ${what}: ${msg.split('\n')[0]}`, 3);
    }
  }

  private read(group: Group): Promise<V1Deployment | undefined> {
    return this.call(`reading deployment ${this.name(group)}`, () => this.apps.readNamespacedDeployment({ name: this.name(group), namespace: this.o.namespace }), true);
  }

  async current(_t: ServiceTarget): Promise<GroupState[]> {
    const out: GroupState[] = [];
    for (const group of ['main', 'blue', 'green'] as const) {
      const d = await this.read(group);
      const image = d?.spec?.template.spec?.containers[0]?.image;
      if (d && image && (group === 'main' || (d.spec?.replicas ?? 0) > 0)) out.push({ group, image, replicas: d.spec?.replicas ?? 0 });
    }
    return out;
  }

  async observe(t: ServiceTarget, group: Group): Promise<Instance[]> {
    const d = await this.read(group);
    if (!d) return [];
    const sel = Object.entries(d.spec?.selector.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await this.call(`listing the pods of ${this.name(group)}`, () => this.core.listNamespacedPod({ namespace: this.o.namespace, labelSelector: sel }));
    const out: Instance[] = [];
    for (const p of pods?.items ?? []) {
      if (p.status?.phase !== 'Running' || !p.status.podIP) continue;
      // The pod's own declared port (its first container's first port), else the service's target port.
      const endpoint = `${p.status.podIP}:${p.spec?.containers[0]?.ports?.[0]?.containerPort ?? t.targetPort}`;
      this.endpointsByGroup.set(endpoint, group);
      out.push({ id: p.metadata?.name ?? '', group, image: p.spec?.containers[0]?.image ?? '', endpoint, stopping: Boolean(p.metadata?.deletionTimestamp), healthy: (p.status.conditions ?? []).some((c) => c.type === 'Ready' && c.status === 'True') });
    }
    return out.sort((a, b) => a.id.localeCompare(b.id));
  }

  private patch(name: string, ops: unknown[]): Promise<unknown> {
    return this.call(`patching deployment ${name}`, () => this.apps.patchNamespacedDeployment({ name, namespace: this.o.namespace, body: ops }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)));
  }

  async startNew(t: ServiceTarget, group: Group, image: string, signal: AbortSignal): Promise<void> {
    let d = await this.read(group);
    if (!d && group === 'main') throw new DeployError(`deployment ${this.o.deployment} does not exist in namespace ${this.o.namespace}: apply the service's manifests first (depwarden updates images, it does not write manifests)`);
    if (!d) {
      // A blue/green side is a copy of the other side with its own name and group label.
      const src = (await this.read(group === 'blue' ? 'green' : 'blue')) ?? (await this.read('main'));
      if (!src?.spec) throw new DeployError(`neither ${this.name('blue')}, ${this.name('green')} nor ${this.o.deployment} exists in namespace ${this.o.namespace}: apply one first`);
      const labels = { ...(src.spec.selector.matchLabels ?? {}), [GROUP_LABEL]: group };
      const body: V1Deployment = {
        apiVersion: 'apps/v1',
        kind: 'Deployment',
        metadata: { name: this.name(group), namespace: this.o.namespace, labels: { ...(src.metadata?.labels ?? {}), [GROUP_LABEL]: group } },
        spec: { ...src.spec, replicas: t.replicas, selector: { matchLabels: labels }, template: { ...src.spec.template, metadata: { ...(src.spec.template.metadata ?? {}), labels: { ...(src.spec.template.metadata?.labels ?? {}), ...labels } }, spec: { ...src.spec.template.spec!, containers: src.spec.template.spec!.containers.map((c, i) => (i === 0 ? { ...c, image } : c)) } } },
      };
      await this.call(`creating deployment ${this.name(group)}`, () => this.apps.createNamespacedDeployment({ namespace: this.o.namespace, body }));
    } else {
      await this.patch(this.name(group), [
        { op: 'replace', path: '/spec/template/spec/containers/0/image', value: image },
        { op: 'replace', path: '/spec/replicas', value: t.replicas },
        ...(group === 'main' ? [{ op: 'replace', path: '/spec/strategy', value: { type: 'RollingUpdate', rollingUpdate: { maxSurge: t.parallelism, maxUnavailable: 0 } } }] : []),
      ]);
    }
    const until = Date.now() + (this.o.timeoutMs ?? 300_000);
    while (Date.now() < until && !signal.aborted) {
      d = await this.read(group);
      const s = d?.status;
      const failed = (s?.conditions ?? []).find((c) => c.type === 'Progressing' && c.status === 'False');
      if (failed) throw new UnhealthyError(`deployment ${this.name(group)} stopped progressing: ${failed.reason ?? ''} ${failed.message ?? ''}`.trim());
      if (d && (s?.observedGeneration ?? 0) >= (d.metadata?.generation ?? 0) && s?.updatedReplicas === t.replicas && s?.availableReplicas === t.replicas && (s?.replicas ?? 0) === t.replicas) return;
      await new Promise((r) => setTimeout(r, this.o.pollMs ?? 1000));
    }
    if (!signal.aborted) throw new DeployError(`deployment ${this.name(group)} did not roll out ${image} within ${(this.o.timeoutMs ?? 300_000) / 1000} s`);
  }

  async shiftTraffic(_t: ServiceTarget, routes: Route[]): Promise<void> {
    // Rolling: the Service routes to Ready pods by itself. Blue/green: the selector names the side to route to.
    const groups = new Set(routes.filter((r) => r.state === 'ready').map((r) => this.endpointsByGroup.get(r.endpoint)).filter((g): g is Group => g !== undefined && g !== 'main'));
    if (groups.size !== 1) return;
    const [group] = [...groups];
    await this.call(`switching service ${this.o.service} to ${group}`, () => this.core.patchNamespacedService({ name: this.o.service, namespace: this.o.namespace, body: [{ op: 'add', path: `/spec/selector/${GROUP_LABEL.replace('/', '~1')}`, value: group }] }, setHeaderOptions('Content-Type', PatchStrategy.JsonPatch)));
  }

  async stopOld(_t: ServiceTarget, group: Group): Promise<void> {
    if (group === 'main') return; // the Deployment is the user's; a rolling service is never removed
    if (await this.read(group)) await this.patch(this.name(group), [{ op: 'replace', path: '/spec/replicas', value: 0 }]);
  }

  async metricLabels(t: ServiceTarget, endpoints: string[]): Promise<Record<string, string>> {
    const pods = (await Promise.all((['main', 'blue', 'green'] as const).map((g) => this.observe(t, g)))).flat().filter((i) => endpoints.includes(i.endpoint));
    return { namespace: this.o.namespace, deployment: this.o.deployment, backend: this.o.service, servers: pods.map((p) => p.id).join('|') || 'none' };
  }
}
