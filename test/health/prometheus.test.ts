import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { serviceHealth } from '../../src/config/sections/health.ts';
import { probeService } from '../../src/health/probe.ts';
import { probePrometheus, queryValue } from '../../src/health/probes/prometheus.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { needTool } from '../helpers/system-tool.ts';

const skip = needTool('prometheus', 'apt-get install prometheus');

/**
 * A real Prometheus (Debian's package) on a loopback port scrapes a loopback exporter whose values the test sets;
 * the probe then asks Prometheus' query API, as it does in production.
 */
describe('Prometheus probe against a real Prometheus', { skip }, () => {
  let dir: string;
  let exporter: Server;
  let prom: ChildProcess;
  let promUrl: string;
  let promLog = '';
  const metrics = { p95: 0.12, errors: 1, requests: 0 };
  let ticker: NodeJS.Timeout;

  before(async () => {
    dir = mkdtempSync(path.join(tmpdir(), 'dw-prom-'));
    exporter = createServer((req, res) => {
      if (req.url !== '/metrics') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(
        [
          '# TYPE demo_latency_p95_seconds gauge',
          `demo_latency_p95_seconds{service="api"} ${metrics.p95}`,
          '# TYPE demo_requests_total counter',
          `demo_requests_total{service="api",code="200"} ${metrics.requests}`,
          `demo_requests_total{service="api",code="500"} ${metrics.errors}`,
          '',
        ].join('\n'),
      );
    });
    await new Promise<void>((r) => exporter.listen(0, '127.0.0.1', r));
    const target = `127.0.0.1:${(exporter.address() as AddressInfo).port}`;
    // 100 requests a second, 1 % of them failing, until the test changes it.
    ticker = setInterval(() => {
      metrics.requests += 10;
      metrics.errors += 0.1;
    }, 100);
    writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: demo\n    static_configs:\n      - targets: ['${target}']\n`);
    const port = await closedPort();
    promUrl = `http://127.0.0.1:${port}`;
    prom = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'], { stdio: ['ignore', 'ignore', 'pipe'] });
    prom.stderr!.on('data', (d) => (promLog += d));
    // Ready once the series has a few samples (rate() needs two in its window).
    const deadline = Date.now() + 30_000;
    for (;;) {
      try {
        if ((await queryValue(promUrl, 'count_over_time(demo_requests_total{code="200"}[10s])', 1000)) >= 3) break;
      } catch {
        /* not up yet */
      }
      if (Date.now() > deadline) throw new Error(`Prometheus did not scrape the exporter within 30 s:\n${promLog}`);
      await new Promise((r) => setTimeout(r, 250));
    }
  });
  after(async () => {
    clearInterval(ticker);
    prom?.kill('SIGTERM');
    await new Promise((r) => (prom?.exitCode !== null ? r(undefined) : prom.once('exit', r)));
    exporter?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const config = (url: string) =>
    serviceHealth.parse({
      prometheus: {
        url,
        timeoutSeconds: 3,
        latencyP95: { query: 'max(demo_latency_p95_seconds{service="api"})', degradedAbove: 0.5, downAbove: 2 },
        errorRatio: { query: 'sum(rate(demo_requests_total{service="api",code=~"5.."}[5s])) / sum(rate(demo_requests_total{service="api"}[5s]))', degradedAbove: 0.05, downAbove: 0.25 },
        requestRate: { query: 'sum(rate(demo_requests_total{service="api"}[5s]))', degradedBelow: 20, downBelow: 1 },
      },
    });

  it('healthy values → up, with the measured values', async () => {
    const checks = await probePrometheus(config(promUrl).prometheus!);
    assert.deepEqual(checks.map((c) => `${c.check}=${c.status}`), ['prometheus.latencyP95=up', 'prometheus.errorRatio=up', 'prometheus.requestRate=up']);
    assert.equal(checks[0]!.value, 0.12);
    assert.ok(checks[1]!.value! > 0.005 && checks[1]!.value! < 0.02, `error ratio ${checks[1]!.value}`);
    // The exporter counts ~100 requests a second (timer-driven, so loosely): well above the degraded threshold of 20.
    assert.ok(checks[2]!.value! > 20 && checks[2]!.value! < 200, `request rate ${checks[2]!.value}`);
  });

  it('latency above the degraded threshold → degraded; above down → down (after Prometheus scrapes the change)', async () => {
    metrics.p95 = 0.8;
    await waitFor(async () => (await queryValue(promUrl, 'max(demo_latency_p95_seconds)', 1000)) === 0.8);
    const h = await probeService('shop', 'api', config(promUrl));
    assert.equal(h.status, 'degraded');
    assert.match(h.reason, /^prometheus\.latencyP95: 0\.8s is above the degraded threshold 0\.5s$/);
    metrics.p95 = 3;
    await waitFor(async () => (await queryValue(promUrl, 'max(demo_latency_p95_seconds)', 1000)) === 3);
    assert.equal((await probeService('shop', 'api', config(promUrl))).status, 'down');
    metrics.p95 = 0.12;
  });

  it('a failing query, a series with no samples, Prometheus down → unknown with the reason, never a crash', async () => {
    const bad = await probePrometheus(serviceHealth.parse({ prometheus: { url: promUrl, latencyP95: { query: 'sum(rate(', downAbove: 1 } } }).prometheus!);
    assert.equal(bad[0]!.status, 'unknown');
    assert.match(bad[0]!.reason, /^the query failed: .*parse error/);
    const none = await probePrometheus(serviceHealth.parse({ prometheus: { url: promUrl, latencyP95: { query: 'demo_latency_p95_seconds{service="nope"}', downAbove: 1 } } }).prometheus!);
    assert.match(none[0]!.reason, /no samples/);
    const h = await probeService('shop', 'api', config(`http://127.0.0.1:${await closedPort()}`));
    assert.equal(h.status, 'unknown');
    assert.equal(h.checks.length, 3);
    assert.ok(h.checks.every((c) => c.status === 'unknown' && /^Prometheus unreachable: .*ECONNREFUSED/.test(c.reason)), JSON.stringify(h.checks));
  });
});

async function waitFor(cond: () => Promise<boolean>, ms = 15_000): Promise<void> {
  const until = Date.now() + ms;
  while (!(await cond().catch(() => false))) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 200));
  }
}
