import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { stopProxy } from '../../src/deploy/proxy/haproxy.ts';
import { ComposeProxyDriver } from '../../src/deploy/drivers/compose-proxy.ts';
import type { Group, ServiceTarget } from '../../src/deploy/drivers/driver.ts';
import { runCli } from '../helpers/run-cli.ts';
import { buildImage, docker, engineMissing, freePort, INSTALL, makeRepo, startLoad } from './engine.ts';

/**
 * depwarden deploy with the compose-proxy driver: containers on one Docker engine behind a real HAProxy that
 * depwarden drains (rolling) and switches (blue/green), under a bounded loopback load.
 */
const missing = engineMissing();
const PREFIX = `dwc${process.pid}`;

describe('deploy on one Docker host behind HAProxy (compose-proxy)', { skip: missing && process.env.CI !== 'true' ? `needs ${missing}: ${INSTALL}` : false, timeout: 300_000 }, () => {
  let root: string;
  let port: number;
  let bgPort: number;
  let v1: string;
  let v2: string;
  let badHealth: string;
  const web = `${PREFIX}web`;
  const bg = `${PREFIX}bg`;
  const ref = (id: string) => `depwarden-test/app@${id}`;
  const cli = (...a: string[]) => runCli([...a, '-C', root], { env: { ...process.env } });
  const ids = (svc: string) => docker('ps', '-q', '--no-trunc', '--filter', `label=depwarden.service=${svc}`).split('\n').filter(Boolean);
  const liveImages = (svc: string) => (ids(svc).length ? [...new Set(docker('inspect', '--format', '{{.Image}}', ...ids(svc)).split('\n'))] : []);

  before(async () => {
    if (missing) throw new Error(`deploy tests need ${missing}`);
    v1 = buildImage('v1');
    v2 = buildImage('v2');
    badHealth = buildImage('v3-badhealth', { health: 500 });
    [port, bgPort] = [await freePort(), await freePort()];
    root = makeRepo(
      [
        'deploy:',
        '  probeIntervalSeconds: 0.5',
        '  readinessTimeoutSeconds: 4',
        '  blueKeepSeconds: 0',
        '  analysis: { intervalSeconds: 1, count: 2, failureLimit: 0, successCondition: { maxErrorRatio: 0.05, maxLatencyP95Ms: 1000 } }',
        '  notify: { log: notices.jsonl }',
        '  services:',
        `    ${web}: { driver: compose-proxy, port: ${port}, replicas: 3, healthPath: /cgi-bin/health, trafficPath: /cgi-bin/page, batchDelaySeconds: 0.2, drainSeconds: 0.5 }`,
        `    ${bg}: { driver: compose-proxy, strategy: blue-green, port: ${bgPort}, replicas: 2, healthPath: /cgi-bin/health, trafficPath: /cgi-bin/page }`,
        '',
      ].join('\n'),
    );
  });

  after(async () => {
    for (const s of [web, bg]) {
      const c = ids(s);
      if (c.length) docker('rm', '-f', ...c);
      if (root) await stopProxy(path.join(root, '.depwarden/deploy', s));
    }
  });

  test('rolling, 3 containers: a good update drains and replaces them with 0 failed requests', async () => {
    assert.equal((await cli('deploy', web, '--image', ref(v1))).code, 0);
    assert.deepEqual(liveImages(web), [v1]);
    const load = startLoad(`http://127.0.0.1:${port}/cgi-bin/page`, 250, 25);
    const r = await cli('deploy', web, '--image', ref(v2), '--format', 'json');
    const l = await load.done;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(l.failed, 0, JSON.stringify(l));
    assert.deepEqual(liveImages(web), [v2]);
    assert.equal(ids(web).length, 3);
    console.log(`compose rolling good: ${l.sent} requests, ${l.failed} failed, ${JSON.parse(r.stdout).durationMs} ms`);
  });

  test('rolling: a bad update (health fails) never gets traffic and is rolled back', async () => {
    const load = startLoad(`http://127.0.0.1:${port}/cgi-bin/page`, 200, 25);
    const r = await cli('deploy', web, '--image', ref(badHealth), '--format', 'json');
    const l = await load.done;
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { outcome: string; detectedAtMs: number; restoredAtMs: number };
    assert.equal(out.outcome, 'rolled_back');
    assert.deepEqual(liveImages(web), [v2]);
    assert.equal(l.failed, 0, JSON.stringify(l));
    const notices = readFileSync(path.join(root, 'notices.jsonl'), 'utf8').trim().split('\n');
    assert.equal(notices.length, 1);
    console.log(`compose rolling bad health: detected ${out.detectedAtMs} ms, restored ${out.restoredAtMs} ms, ${l.sent} requests, ${l.failed} failed`);
  });

  test('blue/green: switch with 0 failed requests, old side removed', async () => {
    assert.equal((await cli('deploy', bg, '--image', ref(v1))).code, 0);
    // Bounded (at most 750 requests, 30 s), stopped once the deploy is over: the switch happens under load however long the start takes.
    const load = startLoad(`http://127.0.0.1:${bgPort}/cgi-bin/page`, 750, 25);
    const r = await cli('deploy', bg, '--image', ref(v2), '--format', 'json');
    load.stop();
    const l = await load.done;
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.equal(l.failed, 0, JSON.stringify(l));
    assert.deepEqual(liveImages(bg), [v2]);
    assert.ok(l.bodies.v1 && l.bodies.v2, JSON.stringify(l.bodies));
    console.log(`compose blue/green good: ${l.sent} requests, ${l.failed} failed`);
  });
});

describe('deploy --change: one change, three services, in waves', { skip: missing && process.env.CI !== 'true' ? `needs ${missing}: ${INSTALL}` : false, timeout: 300_000 }, () => {
  const names = ['a', 'b', 'c'].map((x) => `${PREFIX}w${x}`);
  let root: string;
  const ref = (id: string) => `depwarden-test/app@${id}`;
  const ids = (svc: string) => docker('ps', '-q', '--no-trunc', '--filter', `label=depwarden.service=${svc}`).split('\n').filter(Boolean);
  const liveImage = (svc: string) => docker('inspect', '--format', '{{.Image}}', ...ids(svc));

  after(async () => {
    for (const s of names) {
      const c = ids(s);
      if (c.length) docker('rm', '-f', ...c);
      if (root) await stopProxy(path.join(root, '.depwarden/deploy', s));
    }
  });

  test('the third service fails its gate: all three end on their known-good digests, one notice naming the dependency change, the change rolled back', async () => {
    const v1 = buildImage('v1');
    const v2 = buildImage('v2');
    const bad = buildImage('v3-badhealth', { health: 500 });
    const ports = [await freePort(), await freePort(), await freePort()];
    const lock = (v: string) => `[[package]]\nname = "requests"\nversion = "${v}"\ndescription = ""\noptional = false\npython-versions = ">=3.8"\nfiles = []\n\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "0"\n`;
    root = makeRepo(
      [
        'deploy:',
        '  probeIntervalSeconds: 0.5',
        '  readinessTimeoutSeconds: 3',
        '  waves: { first: 1 }',
        '  analysis: { intervalSeconds: 0.5, count: 2 }',
        '  notify: { log: notices.jsonl }',
        '  services:',
        ...names.map((n, i) => `    ${n}: { driver: compose-proxy, port: ${ports[i]}, replicas: 1, healthPath: /cgi-bin/health, trafficPath: /cgi-bin/page, drainSeconds: 0.3 }`),
        '',
      ].join('\n'),
    );
    const { writeFileSync, mkdirSync } = await import('node:fs');
    const { execFileSync } = await import('node:child_process');
    const git = (...a: string[]) => execFileSync('git', ['-C', root, '-c', 'user.email=t@t', '-c', 'user.name=t', ...a], { encoding: 'utf8' }).trim();
    mkdirSync(path.join(root, 'agent'));
    writeFileSync(path.join(root, 'agent/poetry.lock'), lock('2.31.0'));
    git('add', '.');
    git('commit', '-q', '-m', 'lock');
    for (const n of names) assert.equal((await runCli(['deploy', n, '--image', ref(v1), '-C', root])).code, 0);
    writeFileSync(path.join(root, 'agent/poetry.lock'), lock('2.32.3'));
    git('commit', '-q', '-am', 'requests 2.32.3');
    const commit = git('rev-parse', 'HEAD');
    const { openRepositoryStore } = await import('../../src/store/store.ts');
    const store = await openRepositoryStore(root, {});
    // The change as the gate leaves it: approved (the signed steps are governance's own tests).
    await store.query("INSERT INTO changes (id, title, class, author, digest, commit, state, tests, impact, created) VALUES ('c-req', 'requests 2.32.3', 'minor', 'alice', 'sha256:00', $1, 'approved', true, false, '2026-01-01T00:00:00Z')", [commit]);
    await store.close();
    const r = await runCli(['deploy', '--change', 'c-req', '--image', `${names[0]}=${ref(v2)}`, '--image', `${names[1]}=${ref(v2)}`, '--image', `${names[2]}=${ref(bad)}`, '--format', 'json', '-C', root]);
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const out = JSON.parse(r.stdout) as { ok: boolean; waves: string[][]; failed: { service: string }; postmortem: string };
    assert.deepEqual(out.waves, [[names[0]], [names[1], names[2]]]);
    assert.equal(out.failed.service, names[2]);
    for (const n of names) assert.equal(liveImage(n), v1, n);
    const notices = readFileSync(path.join(root, 'notices.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { text: string; fields: Record<string, string> });
    assert.equal(notices.length, 1);
    assert.match(notices[0]!.fields.dependencies!, /requests 2\.31\.0 → 2\.32\.3 \(agent\/poetry\.lock\)/);
    assert.equal(notices[0]!.fields.rolledBack, `${names[2]}, ${names[1]}, ${names[0]}`);
    assert.match(readFileSync(path.join(root, out.postmortem), 'utf8'), /requests 2\.31\.0 → 2\.32\.3/);
    const list = await runCli(['changes', 'list', '-C', root]);
    assert.match(list.stdout, /^c-req\s+rolled_back/m);
    const deploys = JSON.parse((await runCli(['deploys', 'list', '--format', 'json', '-C', root])).stdout) as { outcome: string; change: string | null }[];
    assert.deepEqual(deploys.filter((d) => d.change === 'c-req').map((d) => d.outcome), ['rolled_back', 'rolled_back', 'rolled_back']);
    assert.equal((await runCli(['audit-log', 'verify', root])).code, 0);
  });
});

describe('a driver error half way', { skip: missing && process.env.CI !== 'true' ? `needs ${missing}: ${INSTALL}` : false, timeout: 120_000 }, () => {
  test('a clear error, the service left on its previous version, an audit event saying what happened', async () => {
    const v1 = buildImage('v1');
    const v2 = buildImage('v2');
    const svc = `${PREFIX}half`;
    const p = await freePort();
    const root = makeRepo(`deploy:\n  probeIntervalSeconds: 0.5\n  readinessTimeoutSeconds: 3\n  analysis: { intervalSeconds: 0.5, count: 2 }\n  notify: { log: notices.jsonl }\n  services:\n    ${svc}: { driver: compose-proxy, port: ${p}, replicas: 2, healthPath: /cgi-bin/health, trafficPath: /cgi-bin/page, drainSeconds: 0.3 }\n`);
    const { deploy } = await import('../../src/deploy/deploy.ts');
    const { loadConfig } = await import('../../src/config/load.ts');
    const { openRepositoryStore } = await import('../../src/store/store.ts');
    const { readLog } = await import('../../src/governance/audit-log.ts');
    const { LogChannel } = await import('../../src/alerts/channels/log.ts');
    const ids = () => docker('ps', '-q', '--no-trunc', '--filter', `label=depwarden.service=${svc}`).split('\n').filter(Boolean);
    const store = await openRepositoryStore(root, {});
    try {
      const { config } = await loadConfig(root);
      const env = { root, config, store, notifier: new LogChannel({ file: path.join(root, 'notices.jsonl') }), actor: 'ci' };
      assert.equal((await deploy(env, { service: svc, image: ref(v1) })).result.ok, true);
      // The engine fails once the new version's first container is up: the rest of the update never happens.
      class Failing extends ComposeProxyDriver {
        calls = 0;
        override async startNew(t: ServiceTarget, group: Group, image: string, signal: AbortSignal): Promise<void> {
          if (this.calls++ === 0) {
            await new Promise((r) => setTimeout(r, 10));
            const { docker: run } = await import('../../src/deploy/drivers/docker-cli.ts');
            await run(['run', '-d', '--label', `depwarden.service=${svc}`, '--label', 'depwarden.group=main', '-p', '127.0.0.1::8080', image]);
            throw new Error('engine error: no space left on device (injected)');
          }
          return super.startNew(t, group, image, signal);
        }
      }
      const out = await deploy({ ...env, driverFor: (_n, _s, dir) => new Failing({ proxyDir: dir }) }, { service: svc, image: ref(v2) });
      assert.equal(out.result.ok, false);
      assert.equal(out.result.failed, 'driver');
      assert.match(out.result.reason!, /no space left on device/);
      assert.equal(out.record.outcome, 'rolled_back');
      assert.deepEqual([...new Set(docker('inspect', '--format', '{{.Image}}', ...ids()).split('\n'))], [v1]);
      const kinds = (await readLog(store)).map((e) => e.kind);
      assert.ok(kinds.includes('deploy_rolled_back') && kinds.includes('rollback_applied'), kinds.join(','));
    } finally {
      await store.close();
      const c = ids();
      if (c.length) docker('rm', '-f', ...c);
      await stopProxy(path.join(root, '.depwarden/deploy', svc));
    }
  });
});

function ref(id: string): string {
  return `depwarden-test/app@${id}`;
}
