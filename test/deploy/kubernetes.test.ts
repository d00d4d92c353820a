import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { makeRepo } from './engine.ts';

/**
 * The Kubernetes driver against a stand-in API server on 127.0.0.1 — no API server can run on these machines.
 * The stand-in is hand-written from the Kubernetes API reference (apps/v1 Deployment, v1 PodList, v1 Service,
 * JSON Patch), not recorded from a live cluster: it keeps Deployments, Services and pods in memory and "rolls"
 * a Deployment at once when its image is patched. Each pod is a small HTTP server on 127.0.0.1 (its own port)
 * whose health and page answer 200, or 500 for an image whose name contains "bad".
 */
const NS = 'default';
const GOOD1 = `registry.example/web@sha256:${'1'.repeat(64)}`;
const GOOD2 = `registry.example/web@sha256:${'2'.repeat(64)}`;
const BAD = `registry.example/web-bad@sha256:${'3'.repeat(64)}`;

interface Pod { name: string; deployment: string; image: string; labels: Record<string, string>; server: http.Server; port: number }

class StandIn {
  deployments = new Map<string, Record<string, any>>();
  services = new Map<string, Record<string, any>>();
  pods: Pod[] = [];
  requests: string[] = [];
  server = http.createServer((req, res) => void this.handle(req, res));
  seq = 0;

  async pod(deployment: string, image: string, labels: Record<string, string>): Promise<Pod> {
    const bad = image.includes('-bad@');
    const server = http.createServer((_q, r) => {
      r.writeHead(bad ? 500 : 200, { 'content-type': 'text/plain' });
      r.end(bad ? 'bad\n' : 'ok\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return { name: `${deployment}-${(this.seq++).toString(36)}`, deployment, image, labels, server, port: (server.address() as { port: number }).port };
  }

  async roll(name: string): Promise<void> {
    const d = this.deployments.get(name)!;
    for (const p of this.pods.filter((x) => x.deployment === name)) p.server.close();
    this.pods = this.pods.filter((x) => x.deployment !== name);
    const image = d.spec.template.spec.containers[0].image as string;
    for (let i = 0; i < d.spec.replicas; i++) this.pods.push(await this.pod(name, image, d.spec.template.metadata.labels));
    const ready = image.includes('-bad@') ? 0 : d.spec.replicas;
    d.status = { observedGeneration: d.metadata.generation, replicas: d.spec.replicas, updatedReplicas: d.spec.replicas, availableReplicas: ready, readyReplicas: ready, conditions: [{ type: 'Progressing', status: 'True', reason: 'NewReplicaSetAvailable' }] };
  }

  async addDeployment(name: string, image: string, replicas: number, labels: Record<string, string>): Promise<void> {
    this.deployments.set(name, { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name, namespace: NS, generation: 1, labels }, spec: { replicas, selector: { matchLabels: labels }, strategy: { type: 'RollingUpdate' }, template: { metadata: { labels }, spec: { containers: [{ name: 'web', image, ports: [{ containerPort: 8080 }] }] } } } });
    await this.roll(name);
  }

  podJson(p: Pod): Record<string, unknown> {
    const bad = p.image.includes('-bad@');
    return { metadata: { name: p.name, namespace: NS, labels: p.labels }, spec: { containers: [{ name: 'web', image: p.image, ports: [{ containerPort: p.port }] }] }, status: { phase: 'Running', podIP: '127.0.0.1', conditions: [{ type: 'Ready', status: bad ? 'False' : 'True' }] } };
  }

  async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    let body = '';
    for await (const c of req) body += c;
    const url = new URL(req.url!, 'http://x');
    this.requests.push(`${req.method} ${url.pathname}`);
    const send = (status: number, obj: unknown) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(obj));
    };
    const notFound = (what: string) => send(404, { kind: 'Status', apiVersion: 'v1', status: 'Failure', message: `${what} not found`, reason: 'NotFound', code: 404 });
    let m = /^\/apis\/apps\/v1\/namespaces\/default\/deployments(?:\/([^/]+))?$/.exec(url.pathname);
    if (m) {
      const name = m[1];
      if (!name && req.method === 'POST') {
        const d = JSON.parse(body);
        d.metadata.generation = 1;
        this.deployments.set(d.metadata.name, d);
        await this.roll(d.metadata.name);
        return send(201, d);
      }
      const d = name ? this.deployments.get(name) : undefined;
      if (!d) return notFound(`deployments.apps "${name}"`);
      if (req.method === 'GET') return send(200, d);
      if (req.method === 'PATCH') {
        for (const op of JSON.parse(body) as { op: string; path: string; value: unknown }[]) {
          const keys = op.path.split('/').slice(1).map((k) => k.replace('~1', '/'));
          let o: any = d;
          for (const k of keys.slice(0, -1)) o = o[k];
          o[keys[keys.length - 1]!] = op.value;
        }
        d.metadata.generation++;
        await this.roll(name!);
        return send(200, d);
      }
    }
    m = /^\/api\/v1\/namespaces\/default\/pods$/.exec(url.pathname);
    if (m) {
      const sel = Object.fromEntries((url.searchParams.get('labelSelector') ?? '').split(',').filter(Boolean).map((kv) => kv.split('=')));
      const items = this.pods.filter((p) => Object.entries(sel).every(([k, v]) => p.labels[k] === v)).map((p) => this.podJson(p));
      return send(200, { kind: 'PodList', apiVersion: 'v1', metadata: {}, items });
    }
    m = /^\/api\/v1\/namespaces\/default\/services\/([^/]+)$/.exec(url.pathname);
    if (m) {
      const s = this.services.get(m[1]!);
      if (!s) return notFound(`services "${m[1]}"`);
      if (req.method === 'PATCH') for (const op of JSON.parse(body) as { path: string; value: string }[]) s.spec.selector[op.path.split('/').pop()!.replace('~1', '/')] = op.value;
      return send(200, s);
    }
    notFound(url.pathname);
  }
}

describe('deploy on Kubernetes (stand-in API server on 127.0.0.1)', { timeout: 120_000 }, () => {
  const api = new StandIn();
  let root: string;
  let kubeconfig: string;
  const cli = (...a: string[]) => runCli([...a, '-C', root], { env: { KUBECONFIG: kubeconfig } });

  before(async () => {
    await new Promise<void>((r) => api.server.listen(0, '127.0.0.1', r));
    const port = (api.server.address() as { port: number }).port;
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-kube-'));
    kubeconfig = path.join(dir, 'config');
    writeFileSync(kubeconfig, `apiVersion: v1\nkind: Config\nclusters:\n- name: standin\n  cluster:\n    server: http://127.0.0.1:${port}\n    insecure-skip-tls-verify: true\nusers:\n- name: u\n  user:\n    token: t0k3n\ncontexts:\n- name: c\n  context:\n    cluster: standin\n    user: u\n    namespace: default\ncurrent-context: c\n`);
    await api.addDeployment('web', GOOD1, 3, { app: 'web' });
    await api.addDeployment('shop-blue', GOOD1, 2, { app: 'shop', 'depwarden.dev/group': 'blue' });
    api.services.set('shop', { apiVersion: 'v1', kind: 'Service', metadata: { name: 'shop', namespace: NS }, spec: { selector: { app: 'shop', 'depwarden.dev/group': 'blue' } } });
    root = makeRepo(
      [
        'deploy:',
        '  probeIntervalSeconds: 0.2',
        '  readinessTimeoutSeconds: 2',
        '  analysis: { intervalSeconds: 0.2, count: 2 }',
        '  blueKeepSeconds: 0',
        '  notify: { log: notices.jsonl }',
        '  services:',
        '    web: { driver: kubernetes, port: 1, replicas: 3, healthPath: /health, kubernetes: { deployment: web, service: web } }',
        '    shop: { driver: kubernetes, strategy: blue-green, port: 1, replicas: 2, healthPath: /health, kubernetes: { deployment: shop, service: shop } }',
        '',
      ].join('\n'),
    );
  });

  after(() => {
    api.server.close();
    for (const p of api.pods) p.server.close();
  });

  test('rolling: the Deployment image is patched with maxSurge = parallelism, maxUnavailable 0; gates pass', async () => {
    const r = await cli('deploy', 'web', '--image', GOOD2, '--format', 'json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const d = api.deployments.get('web')!;
    assert.equal(d.spec.template.spec.containers[0].image, GOOD2);
    assert.deepEqual(d.spec.strategy, { type: 'RollingUpdate', rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } });
    assert.ok(api.requests.includes('PATCH /apis/apps/v1/namespaces/default/deployments/web'));
  });

  test('rolling: a bad image fails readiness and the Deployment goes back to the known-good image', async () => {
    const r = await cli('deploy', 'web', '--image', BAD, '--format', 'json');
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.equal((JSON.parse(r.stdout) as { outcome: string }).outcome, 'rolled_back');
    assert.equal(api.deployments.get('web')!.spec.template.spec.containers[0].image, GOOD2);
  });

  test('blue/green: the green side is created from blue, the Service selector switched, blue scaled to 0', async () => {
    const r = await cli('deploy', 'shop', '--image', GOOD2, '--format', 'json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(api.services.get('shop')!.spec.selector['depwarden.dev/group'], 'green');
    assert.equal(api.deployments.get('shop-green')!.spec.template.spec.containers[0].image, GOOD2);
    assert.equal(api.deployments.get('shop-blue')!.spec.replicas, 0);
  });

  test('an unreachable API server is exit 5', async () => {
    const dead = path.join(path.dirname(kubeconfig), 'dead');
    writeFileSync(dead, (await import('node:fs')).readFileSync(kubeconfig, 'utf8').replace(/server: .*/, 'server: http://127.0.0.1:1'));
    const r = await runCli(['deploy', 'web', '--image', GOOD1, '-C', root], { env: { KUBECONFIG: dead } });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /Kubernetes API server is unreachable/);
  });
});
