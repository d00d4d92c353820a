import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { openRepositoryStore } from '../../src/store/store.ts';
import { readLog } from '../../src/governance/audit-log.ts';
import { runCli } from '../helpers/run-cli.ts';
import { makeRepo } from './engine.ts';

/** Refusals before anything starts: a clear error, the exit code, and an audit event saying what happened. */
const yaml = 'deploy:\n  services:\n    web: { driver: swarm, port: 18999, replicas: 1 }\n';
const DIGEST = `sha256:${'a'.repeat(64)}`;

async function failedEvents(root: string): Promise<{ reason: string }[]> {
  const store = await openRepositoryStore(root, {});
  try {
    return (await readLog(store)).filter((e) => e.kind === 'deploy_failed').map((e) => e.payload as { reason: string });
  } finally {
    await store.close();
  }
}

test('an unknown service is refused with the configured names and an audit event', async () => {
  const root = makeRepo(yaml);
  try {
    const r = await runCli(['deploy', 'nope', '--image', `x@${DIGEST}`, '-C', root]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /unknown service nope: deploy.services in depwarden.yaml names web/);
    assert.match((await failedEvents(root))[0]!.reason, /unknown service nope/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an image without a digest is refused before the engine is asked', async () => {
  const root = makeRepo(yaml);
  try {
    const r = await runCli(['deploy', 'web', '--image', 'app:latest', '-C', root], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    assert.equal(r.code, 2);
    assert.match(r.stderr, /app:latest is not pinned by digest: deploy images as NAME@sha256:<64 hex>/);
    assert.equal((await failedEvents(root)).length, 1);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('an unreachable engine is exit 5 with what failed, and the service is not touched', async () => {
  const root = makeRepo(yaml);
  try {
    const r = await runCli(['deploy', 'web', '--image', `app@${DIGEST}`, '-C', root], { env: { DOCKER_HOST: 'unix:///nonexistent/docker.sock' } });
    assert.equal(r.code, 5, r.stderr);
    assert.match(r.stderr, /the Docker engine is unreachable|the docker CLI is not installed/);
    const ev = await failedEvents(root);
    assert.match(ev[0]!.reason, /unreachable/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('a deploy config error names file:line and key before anything starts', async () => {
  const root = makeRepo(yaml);
  try {
    writeFileSync(path.join(root, 'depwarden.yaml'), 'deploy:\n  analysis:\n    count: 0\n  services:\n    web: { port: http }\n');
    const r = await runCli(['deploy', 'web', '--image', `app@${DIGEST}`, '-C', root]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /depwarden\.yaml:3: deploy\.analysis\.count/);
    assert.match(r.stderr, /depwarden\.yaml:5: deploy\.services\.web\.port/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('deploys list on a repository without a store is empty JSON, and deploy --help names its contract', async () => {
  const root = makeRepo(yaml);
  try {
    const r = await runCli(['deploys', 'list', '--format', 'json', '-C', root]);
    assert.equal(r.code, 0);
    assert.deepEqual(JSON.parse(r.stdout), []);
    const h = await runCli(['deploy', '--help']);
    assert.match(h.stdout, /--image <ref>/);
    assert.match(h.stdout, /--strategy <name>/);
    assert.match(h.stdout, /--change <id>/);
    assert.match(h.stdout, /--resume/);
    const schema = await runCli(['config', 'schema']);
    assert.match(schema.stdout, /"rollback"/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});
