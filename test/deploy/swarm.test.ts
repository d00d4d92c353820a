import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { openRepositoryStore } from '../../src/store/store.ts';
import { lastKnownGood } from '../../src/governance/rollback.ts';
import { stopProxy } from '../../src/deploy/proxy/haproxy.ts';
import { runCli } from '../helpers/run-cli.ts';
import { buildImage, docker, engineMissing, freePort, INSTALL, makeRepo, needEngine, removeServices, startLoad, startPrometheus } from './engine.ts';

/**
 * depwarden deploy on the real Docker Swarm: rolling (3 replicas, start-first) and blue/green behind the HAProxy
 * front, under a bounded loopback load that counts failed requests.
 */
const missing = engineMissing();
const PREFIX = `dwt${process.pid}`;

describe('deploy on Docker Swarm', { skip: missing && process.env.CI !== 'true' ? `needs ${missing}: ${INSTALL}` : false, timeout: 600_000 }, () => {
  let root: string;
  let port: number;
  let bgPort: number;
  let metricsPort: number;
  let v1: string;
  let v2: string;
  let badHealth: string;
  let bad5xx: string;
  let prom: { url: string; stop: () => void } | undefined;
  const web = `${PREFIX}web`;
  const bg = `${PREFIX}bg`;
  const ref = (id: string) => `depwarden-test/app@${id}`;
  const cli = (...a: string[]) => runCli([...a, '-C', root], { env: { ...process.env } });

  before(async () => {
    if (missing) throw new Error(`deploy tests need ${missing}`);
    v1 = buildImage('v1');
    v2 = buildImage('v2');
    badHealth = buildImage('v3-badhealth', { health: 500 });
    bad5xx = buildImage('v4-500', { page: 500 });
    [port, bgPort, metricsPort] = [await freePort(), await freePort(), await freePort()];
    prom = await startPrometheus([`127.0.0.1:${metricsPort}`]);
    root = makeRepo(
      [
        'deploy:',
        '  probeIntervalSeconds: 0.5',
        '  readinessTimeoutSeconds: 5',
        '  blueKeepSeconds: 0',
        '  analysis: { intervalSeconds: 1, count: 3, failureLimit: 0, successCondition: { maxErrorRatio: 0.05, maxLatencyP95Ms: 1000 } }',
        '  notify: { log: notices.jsonl }',
        '  services:',
        `    ${web}: { driver: swarm, port: ${port}, metricsPort: ${metricsPort}, replicas: 3, healthPath: /cgi-bin/health, healthCmd: 'wget -q -O /dev/null http://127.0.0.1:8080/cgi-bin/health', trafficPath: /cgi-bin/page, batchDelaySeconds: 1, drainSeconds: 1 }`,
        `    ${bg}: { driver: swarm, strategy: blue-green, port: ${bgPort}, replicas: 2, healthPath: /cgi-bin/health, trafficPath: /cgi-bin/page }`,
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    removeServices(PREFIX);
    prom?.stop();
    if (root) for (const s of [web, bg]) await stopProxy(path.join(root, '.depwarden/deploy', s));
  });

  test('a first rolling deploy, then a good update of 3 replicas under load: 0 failed requests, new digest live, known good updated', async () => {
    const first = await cli('deploy', web, '--image', ref(v1));
    assert.equal(first.code, 0, first.stderr + first.stdout);
    const load = startLoad(`http://127.0.0.1:${port}/cgi-bin/page`, 1500, 25);
    const r = await cli('deploy', web, '--image', ref(v2), '--format', 'json');
    load.stop();
    const l = await load.done;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(l.failed, 0, JSON.stringify(l));
    assert.ok(l.bodies.v2 && l.bodies.v1, `both versions answered during the rollout: ${JSON.stringify(l.bodies)}`);
    const spec = docker('service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', web);
    assert.equal(spec, v2);
    const store = await openRepositoryStore(root, {});
    try {
      assert.deepEqual((await lastKnownGood(store, web))?.images, [v2]);
    } finally {
      await store.close();
    }
    console.log(`rolling good: ${l.sent} requests, ${l.failed} failed, ${JSON.parse(r.stdout).durationMs} ms`);
  });

  test('a bad update (health fails) is rolled back automatically: old digest live, notice, post-mortem, change rolled_back, audit chain verifies', async () => {
    const store = await openRepositoryStore(root, {});
    // The change this image ships, merged (the state a change has once it went through the gate).
    await store.query("INSERT INTO changes (id, title, class, author, digest, commit, state, tests, impact, created) VALUES ('c-requests', 'requests 2.32.3', 'minor', 'alice', 'sha256:00', '', 'merged', true, false, '2026-01-01T00:00:00Z')");
    await store.close();
    const load = startLoad(`http://127.0.0.1:${port}/cgi-bin/page`, 300, 25);
    const r = await cli('deploy', web, '--image', ref(badHealth), '--change', 'c-requests', '--format', 'json');
    const l = await load.done;
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { outcome: string; postmortem: string; detectedAtMs: number; restoredAtMs: number; rollbackChange: string };
    assert.equal(out.outcome, 'rolled_back');
    assert.equal(docker('service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', web), v2);
    const notices = readFileSync(path.join(root, 'notices.jsonl'), 'utf8').trim().split('\n').map((x) => JSON.parse(x) as { kind: string; fields: Record<string, string> });
    assert.equal(notices.length, 1);
    assert.equal(notices[0]!.kind, 'deploy.rolled_back');
    assert.equal(notices[0]!.fields.gate, 'readiness');
    assert.equal(notices[0]!.fields.change, 'c-requests');
    const pm = readFileSync(path.join(root, out.postmortem), 'utf8');
    assert.match(pm, /Failed gate: \*\*readiness\*\*/);
    assert.match(pm, /\| .* \| deploy_started \|/);
    assert.match(pm, /## Root cause\n\n_to fill in_/);
    const changes = await cli('changes', 'list');
    assert.match(changes.stdout, /^c-requests\s+rolled_back/m);
    assert.match(changes.stdout, new RegExp(`^${out.rollbackChange}\\s+merged\\s+rollback`, 'm'));
    const verify = await runCli(['audit-log', 'verify', root]);
    assert.equal(verify.code, 0, verify.stdout + verify.stderr);
    console.log(`rolling bad health: detected ${out.detectedAtMs} ms, restored ${out.restoredAtMs} ms, ${l.sent} requests, ${l.failed} failed ${JSON.stringify(l.statuses)}`);
  });

  test('an update that is healthy but serves 5xx is caught by the error-rate gate (PromQL) and rolled back', async (t) => {
    if (!prom) {
      if (process.env.CI === 'true') throw new Error('needs prometheus: apt-get install -y prometheus');
      return t.skip('needs prometheus: apt-get install -y prometheus');
    }
    const yaml = readFileSync(path.join(root, 'depwarden.yaml'), 'utf8');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(path.join(root, 'depwarden.yaml'), yaml.replace('  notify:', `  prometheus: { url: '${prom.url}', window: 3s }\n  notify:`));
    const load = startLoad(`http://127.0.0.1:${port}/cgi-bin/page`, 500, 25);
    const r = await cli('deploy', web, '--image', ref(bad5xx), '--format', 'json');
    const l = await load.done;
    writeFileSync(path.join(root, 'depwarden.yaml'), yaml);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { outcome: string; gates: { gate: string; ok: boolean; measurements?: { source: string; errorRatio: number }[] }[]; detectedAtMs: number; restoredAtMs: number };
    assert.equal(out.outcome, 'rolled_back');
    const analysis = out.gates.find((g) => g.gate === 'analysis')!;
    assert.equal(analysis.ok, false);
    assert.equal(analysis.measurements![0]!.source, 'prometheus');
    assert.ok(analysis.measurements!.some((m) => m.errorRatio > 0.05), JSON.stringify(analysis));
    assert.equal(docker('service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', web), v2);
    console.log(`rolling 5xx: detected ${out.detectedAtMs} ms, restored ${out.restoredAtMs} ms, ${l.sent} requests, ${l.failed} failed ${JSON.stringify(l.statuses)}`);
  });

  test('blue/green: a good update switches with 0 failed requests; the old side is stopped', async () => {
    assert.equal((await cli('deploy', bg, '--image', ref(v1))).code, 0);
    const load = startLoad(`http://127.0.0.1:${bgPort}/cgi-bin/page`, 750, 25);
    const r = await cli('deploy', bg, '--image', ref(v2), '--format', 'json');
    load.stop();
    const l = await load.done;
    assert.ok(l.bodies.v1 && l.bodies.v2, `the switch happened under load: ${JSON.stringify(l.bodies)}`);
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(l.failed, 0, JSON.stringify(l));
    const names = docker('service', 'ls', '--format', '{{.Name}}').split('\n').filter((n) => n.startsWith(bg));
    assert.deepEqual(names, [`${bg}-green`]);
    console.log(`blue/green good: ${l.sent} requests, ${l.failed} failed, ${JSON.parse(r.stdout).durationMs} ms`);
  });

  test('deploys list --format json shows every deploy', async () => {
    const r = await cli('deploys', 'list', '--format', 'json');
    const rows = JSON.parse(r.stdout) as { service: string; outcome: string }[];
    assert.deepEqual(rows.map((x) => `${x.service}:${x.outcome}`), [`${web}:succeeded`, `${web}:succeeded`, `${web}:rolled_back`, ...(prom ? [`${web}:rolled_back`] : []), `${bg}:succeeded`, `${bg}:succeeded`]);
    assert.ok(existsSync(path.join(root, 'docs/postmortems')));
  });
  test('kill -9 in the middle of a deploy, then deploy --resume: one consistent version, with a record', async () => {
    const { spawn } = await import('node:child_process');
    const child = spawn(process.execPath, [path.resolve('bin/depwarden.js'), 'deploy', web, '--image', ref(v1), '-C', root], { stdio: 'ignore', env: { ...process.env } });
    // Killed once Swarm has started replacing tasks: the service is half way between v2 and v1.
    for (let i = 0; i < 200; i++) {
      if (docker('service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', web) === v1) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await new Promise((r) => setTimeout(r, 700));
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    const next = await cli('deploy', web, '--image', ref(v1));
    assert.equal(next.code, 2);
    assert.match(next.stderr, /was interrupted .*run `depwarden deploy --resume` first/);
    const r = await cli('deploy', '--resume', '--format', 'json');
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.deepEqual((JSON.parse(r.stdout) as { outcome: string; live: string }[]).map((x) => [x.outcome, x.live]), [['interrupted', v2]]);
    assert.equal(docker('service', 'inspect', '--format', '{{.Spec.TaskTemplate.ContainerSpec.Image}}', web), v2);
    const running = docker('service', 'ps', web, '--filter', 'desired-state=running', '--format', '{{.Image}}').split('\n');
    assert.deepEqual([...new Set(running)], [v2]);
    const rows = JSON.parse((await cli('deploys', 'list', '--format', 'json')).stdout) as { outcome: string }[];
    assert.equal(rows[rows.length - 1]!.outcome, 'interrupted');
    const l = await startLoad(`http://127.0.0.1:${port}/cgi-bin/page`, 20, 20).done;
    assert.deepEqual(Object.keys(l.bodies), ['v2']);
  });
});
