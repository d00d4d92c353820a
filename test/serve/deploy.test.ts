import assert from 'node:assert/strict';
import { cpSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parseAllDocuments, parse } from 'yaml';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Secret } from 'kubernetes-models/v1/Secret';
import { Service } from 'kubernetes-models/v1/Service';
import { runCli } from '../helpers/run-cli.ts';
import { serveConfigSchema } from '../../src/serve/config.ts';
import { ROOT, tempDir } from './serve-helpers.ts';

const DEPLOY = path.join(ROOT, 'deploy');
const MODELS: Record<string, new (o: any) => { validate(): void }> = { Deployment, ConfigMap, Secret, Service };

function manifests(): { file: string; doc: any }[] {
  const dir = path.join(DEPLOY, 'kubernetes');
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseAllDocuments(readFileSync(path.join(dir, f), 'utf8')).map((d) => ({ file: f, doc: d.toJS() })));
}

describe('deploy/', () => {
  it('the compose file and Dockerfile pass our own check, with the two replicas and Prometheus', async () => {
    const dir = tempDir();
    cpSync(DEPLOY, path.join(dir, 'deploy'), { recursive: true });
    const r = await runCli(['check', dir, '--format', 'json']);
    assert.equal(r.code, 0, r.stdout);
    assert.deepEqual(JSON.parse(r.stdout).findings ?? [], []);
    const compose = parse(readFileSync(path.join(DEPLOY, 'compose.yaml'), 'utf8'), { merge: true });
    assert.deepEqual(Object.keys(compose.services).sort(), ['postgres', 'prometheus', 'serve-1', 'serve-2']);
    for (const s of ['serve-1', 'serve-2']) assert.match(compose.services[s].environment.DATABASE_URL, /@postgres:5432\//);
    const prom = parse(readFileSync(path.join(DEPLOY, 'prometheus.yml'), 'utf8'));
    assert.deepEqual(prom.scrape_configs[0].static_configs[0].targets, ['serve-1:8080', 'serve-2:8080']);
    // The mounted server settings are valid for the server's own schema.
    serveConfigSchema.parse(parse(readFileSync(path.join(DEPLOY, 'serve.yaml'), 'utf8')));
  });

  it('the Kubernetes manifests validate against the Kubernetes schemas', () => {
    const all = manifests();
    assert.deepEqual(all.map((m) => m.doc.kind).sort(), ['ConfigMap', 'Deployment', 'Secret', 'Service']);
    for (const { file, doc } of all) {
      const Model = MODELS[doc.kind];
      assert.ok(Model, `${file}: no schema for ${doc.kind}`);
      new Model(doc).validate();
    }
    const dep = all.find((m) => m.doc.kind === 'Deployment')!.doc;
    assert.ok(dep.spec.replicas >= 2);
    const c = dep.spec.template.spec.containers[0];
    assert.equal(c.livenessProbe.httpGet.path, '/healthz');
    assert.equal(c.readinessProbe.httpGet.path, '/readyz');
    assert.deepEqual(c.env.find((e: { name: string }) => e.name === 'DATABASE_URL').valueFrom.secretKeyRef, { name: 'depwarden-db', key: 'DATABASE_URL' });
    serveConfigSchema.parse(parse(all.find((m) => m.doc.kind === 'ConfigMap')!.doc.data['serve.yaml']));
  });

  it('the validation can fail: a broken Deployment is refused', () => {
    const dep = structuredClone(manifests().find((m) => m.doc.kind === 'Deployment')!.doc);
    dep.spec.replicas = 'two';
    assert.throws(() => new Deployment(dep).validate());
    delete dep.spec.replicas;
    delete dep.spec.selector;
    assert.throws(() => new Deployment(dep).validate());
  });
});
