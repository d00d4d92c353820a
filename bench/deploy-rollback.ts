/**
 * depwarden deploy on the real Docker Swarm with the production-like 2 s probe interval: time from the start of
 * a bad rollout to its detection and to restored service, and failed requests under a bounded loopback load
 * (25 requests/s), per scenario. Uses the deploy tests' image builder and load (test/deploy/engine.ts).
 *
 *   node bench/deploy-rollback.ts [--runs N]
 */
import path from 'node:path';
import { stopProxy } from '../src/deploy/proxy/haproxy.ts';
import { runCli } from '../test/helpers/run-cli.ts';
import { buildImage, docker, engineMissing, freePort, makeRepo, removeServices, startLoad } from '../test/deploy/engine.ts';

const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 1) || 1;
const missing = engineMissing();
if (missing) {
  console.error(`needs ${missing}`);
  process.exit(2);
}
const v1 = buildImage('v1');
const v2 = buildImage('v2');
const badHealth = buildImage('v3-badhealth', { health: 500 });
const bad5xx = buildImage('v4-500', { page: 500 });
const port = await freePort();
const svc = `bench${process.pid}`;
const root = makeRepo(
  [
    'deploy:',
    '  probeIntervalSeconds: 2',
    '  readinessTimeoutSeconds: 6',
    '  analysis: { intervalSeconds: 2, count: 3, failureLimit: 0, successCondition: { maxErrorRatio: 0.05, maxLatencyP95Ms: 1000 } }',
    '  services:',
    `    ${svc}: { driver: swarm, port: ${port}, replicas: 3, healthPath: /cgi-bin/health, healthCmd: 'wget -q -O /dev/null http://127.0.0.1:8080/cgi-bin/health', trafficPath: /cgi-bin/page, batchDelaySeconds: 2 }`,
    '',
  ].join('\n'),
);
const ref = (id: string) => `depwarden-test/app@${id}`;
const rows: string[] = [];
try {
  await runCli(['deploy', svc, '--image', ref(v1), '-C', root]);
  for (let run = 0; run < runs; run++) {
    for (const [name, image, good] of [['good update (v1 → v2)', v2, true], ['bad: health fails', badHealth, false], ['bad: healthy, 5xx', bad5xx, false], ['good update (back to v1)', v1, true]] as const) {
      const load = startLoad(`http://127.0.0.1:${port}/cgi-bin/page`, 100_000, 25);
      const r = await runCli(['deploy', svc, '--image', ref(image), '--format', 'json', '-C', root]);
      load.stop();
      const l = await load.done;
      const o = JSON.parse(r.stdout) as { outcome: string; durationMs: number; detectedAtMs: number | null; restoredAtMs: number | null };
      if ((o.outcome === 'succeeded') !== good) throw new Error(`${name}: ${r.stdout}${r.stderr}`);
      rows.push(`| ${name} | ${o.outcome} | ${o.detectedAtMs === null ? '–' : (o.detectedAtMs / 1000).toFixed(1) + ' s'} | ${o.restoredAtMs === null ? '–' : (o.restoredAtMs / 1000).toFixed(1) + ' s'} | ${(o.durationMs / 1000).toFixed(1)} s | ${l.sent} | ${l.failed} |`);
      console.log(rows[rows.length - 1]);
    }
  }
} finally {
  removeServices(svc);
  await stopProxy(path.join(root, '.depwarden/deploy', svc));
  void docker;
}
console.log('\n| scenario | outcome | detected | restored | deploy took | requests | failed |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |');
console.log(rows.join('\n'));
