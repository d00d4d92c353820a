import assert from 'node:assert/strict';
import http from 'node:http';
import { after, before, describe, test } from 'node:test';
import { type AnalysisSpec, runAnalysis } from '../../src/deploy/gates/analysis.ts';
import { queryScalar } from '../../src/deploy/gates/promql.ts';
import { readiness } from '../../src/deploy/gates/readiness.ts';
import { p95 } from '../../src/deploy/gates/probe.ts';

/**
 * The gates without an engine: a Prometheus stand-in on 127.0.0.1 answering /api/v1/query in the shape of
 * Prometheus 2.42's HTTP API (vector results, and an empty one for "no data yet"), and instances that are plain
 * HTTP servers.
 */
describe('gates', () => {
  let prom: http.Server;
  let app: http.Server;
  let promUrl = '';
  let appEp = '';
  /** Error ratios the stand-in answers, one per query of the error-ratio kind; undefined = no sample. */
  let ratios: (number | undefined)[] = [];
  let appStatus = 200;
  const queries: string[] = [];

  before(async () => {
    prom = http.createServer((req, res) => {
      const q = new URL(req.url!, 'http://x').searchParams.get('query') ?? '';
      queries.push(q);
      const v = q.includes('5xx') ? ratios.shift() : 0.02;
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'success', data: { resultType: 'vector', result: v === undefined ? [] : [{ metric: {}, value: [1733500000.1, String(v)] }] } }));
    });
    app = http.createServer((_q, res) => {
      res.writeHead(appStatus);
      res.end('x');
    });
    await Promise.all([new Promise<void>((r) => prom.listen(0, '127.0.0.1', r)), new Promise<void>((r) => app.listen(0, '127.0.0.1', r))]);
    promUrl = `http://127.0.0.1:${(prom.address() as { port: number }).port}`;
    appEp = `127.0.0.1:${(app.address() as { port: number }).port}`;
  });
  after(() => {
    prom.close();
    app.close();
  });

  const spec = (o: Partial<AnalysisSpec> = {}): AnalysisSpec => ({
    intervalMs: 5,
    count: 3,
    failureLimit: 0,
    success: { maxErrorRatio: 0.05, maxLatencyP95Ms: 1000 },
    prometheus: { url: promUrl, errorRatio: 'sum(rate(x{code="5xx",server=~"{{servers}}"}[{{window}}]))', latencyP95Seconds: 'max(y)', window: '3s' },
    probe: { kind: 'http', path: '/', timeoutMs: 500, perMeasurement: 3 },
    ...o,
  });
  const vars = async () => ({ servers: 's1|s2', backend: 'be_app' });

  test('PromQL: placeholders filled, a passing window takes count measurements', async () => {
    ratios = [0, 0.01, 0.02];
    const r = await runAnalysis(spec(), async () => [], vars);
    assert.equal(r.ok, true);
    assert.equal(r.measurements.length, 3);
    assert.ok(queries.some((q) => q.includes('server=~"s1|s2"') && q.includes('[3s]')), queries.join('\n'));
    assert.equal(r.measurements[0]!.latencyP95Ms, 20);
  });

  test('PromQL: no data is inconclusive, not a pass; a ratio above the condition fails at once with failureLimit 0', async () => {
    ratios = [undefined, undefined, 0.2];
    const r = await runAnalysis(spec(), async () => [], vars);
    assert.equal(r.ok, false);
    assert.deepEqual(r.measurements.map((m) => [m.inconclusive ?? false, m.ok]), [[true, false], [true, false], [false, false]]);
    assert.match(r.reason!, /1 of 3 measurements failed \(failure limit 0\): error ratio 0.2 > 0.05/);
  });

  test('failureLimit tolerates that many failed measurements; a window that never gets data fails', async () => {
    ratios = [0.2, 0, 0];
    assert.equal((await runAnalysis(spec({ failureLimit: 1 }), async () => [], vars)).ok, true);
    ratios = [];
    const r = await runAnalysis(spec({ count: 2 }), async () => [], vars);
    assert.equal(r.ok, false);
    assert.match(r.reason!, /only 0 of 2 measurements had data \(4 taken\)/);
  });

  test('a Prometheus that is down is a failed measurement naming it', async () => {
    const r = await runAnalysis(spec({ count: 1, prometheus: { ...spec().prometheus!, url: 'http://127.0.0.1:1' } }), async () => [], vars);
    assert.equal(r.ok, false);
    assert.match(r.reason!, /Prometheus at http:\/\/127.0.0.1:1 could not be queried/);
    await assert.rejects(queryScalar(promUrl.replace('http', 'ftp'), 'up'), /could not be queried/);
  });

  test('probes: error ratio and p95 from the instances themselves', async () => {
    appStatus = 200;
    const ok = await runAnalysis(spec({ prometheus: undefined, count: 2 }), async () => [appEp], vars);
    assert.equal(ok.ok, true);
    assert.equal(ok.measurements[0]!.source, 'probes');
    appStatus = 503;
    const bad = await runAnalysis(spec({ prometheus: undefined, count: 2 }), async () => [appEp], vars);
    assert.equal(bad.ok, false);
    assert.equal(bad.measurements[0]!.errorRatio, 1);
  });

  test('readiness: ready instances pass; one answering 500 fails with its status, within the timeout', async () => {
    appStatus = 200;
    assert.equal((await readiness({ kind: 'http', path: '/health', intervalMs: 20, timeoutMs: 200, probeTimeoutMs: 100 }, [appEp])).ok, true);
    appStatus = 500;
    const t0 = Date.now();
    const r = await readiness({ kind: 'http', path: '/health', intervalMs: 20, timeoutMs: 200, probeTimeoutMs: 100 }, [appEp]);
    assert.equal(r.ok, false);
    assert.match(r.reason!, /not ready within 200 ms: .* HTTP 500/);
    assert.ok(Date.now() - t0 < 1000);
    assert.equal((await readiness({ kind: 'tcp', path: '/', intervalMs: 20, timeoutMs: 100, probeTimeoutMs: 50 }, ['127.0.0.1:1'])).ok, false);
    assert.equal((await readiness({ kind: 'http', path: '/', intervalMs: 20, timeoutMs: 100, probeTimeoutMs: 50 }, [])).reason, 'no new instance is running');
  });

  test('p95 is the nearest rank', () => {
    assert.equal(p95([]), 0);
    assert.equal(p95(Array.from({ length: 100 }, (_, i) => i + 1)), 95);
    assert.equal(p95([5, 1]), 5);
  });
});
