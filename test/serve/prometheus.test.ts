import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { closedPort } from '../helpers/closed-port.ts';
import { baseEnv, cli, FAST, fixtureRepo, get, serve, stop, tempDir, waitFor, writeServeConfig } from './serve-helpers.ts';

const hasPrometheus = spawnSync('prometheus', ['--version']).status === 0;
const skip = !hasPrometheus && process.env.CI !== 'true' ? 'prometheus is not installed (apt-get install prometheus)' : false;

// A real Prometheus (Debian's package) scrapes a real server with a bearer token; the values are read back
// through Prometheus' own HTTP API and compared with what the REST API says.
describe('GET /metrics scraped by Prometheus', { skip }, () => {
  it('carries findings, compliance, job durations and queue depth per repository and service', async () => {
    assert.ok(hasPrometheus, 'prometheus must be installed under CI (apt-get install prometheus)');
    const data = tempDir();
    const env = baseEnv();
    writeServeConfig(data, FAST);
    assert.equal(cli(['repo', 'add', fixtureRepo(), '--name', 'fixture', '--data', data], env).code, 0);
    const token = cli(['token', 'create', '--login', 'prometheus', '--scope', 'read', '--data', data], env).stdout.trim();
    const s = await serve(['--listen', '127.0.0.1:0', '--data', data], env);
    const dir = tempDir('dw-prom-');
    const port = await closedPort();
    writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\nscrape_configs:\n  - job_name: depwarden\n    authorization:\n      credentials: ${token}\n    static_configs:\n      - targets: ['${new URL(s.url).host}']\n`);
    const prom = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let promErr = '';
    prom.stderr!.on('data', (d: Buffer) => (promErr += d.toString()));
    try {
      const check = await waitFor('the check snapshot', async () => {
        const r = await get(`${s.url}/api/v1/repos/fixture/findings`, token);
        return r.status === 200 && r.json.snapshot;
      });
      const q = async (expr: string): Promise<{ metric: Record<string, string>; value: [number, string] }[]> => {
        const r = await fetch(`http://127.0.0.1:${port}/api/v1/query?query=${encodeURIComponent(expr)}`).catch(() => undefined);
        if (!r?.ok) return [];
        return ((await r.json()) as { data: { result: { metric: Record<string, string>; value: [number, string] }[] } }).data.result;
      };
      const medium = check.summary.bySeverity.medium ?? 0;
      const got = await waitFor('Prometheus to have scraped the findings', async () => {
        const r = await q('depwarden_findings{repo="fixture",service="",severity="medium"}');
        return r.length ? r : undefined;
      }, 60_000).catch((e: Error) => assert.fail(`${e.message}\n${promErr.slice(-2000)}`));
      assert.equal(Number(got[0]!.value[1]), medium);
      const up = await q('up{job="depwarden"}');
      assert.equal(up[0]!.value[1], '1', 'the scrape with the bearer token succeeds');
      const compliance = await q('depwarden_pinning_compliance_ratio{repo="fixture",service=""}');
      assert.equal(Number(compliance[0]!.value[1]), check.summary.compliance.percent / 100);
      const jobs = await q('sum(depwarden_job_duration_seconds_count{kind="check"})');
      assert.ok(Number(jobs[0]!.value[1]) >= 1);
      assert.equal((await q('depwarden_queue_depth{queue="dw-repo"}')).length, 1);
      const failed = await q('depwarden_job_runs_failed_last_day{kind="audit"}');
      assert.ok(Number(failed[0]?.value[1]) >= 1, 'the audit without a database is a failed run');
    } finally {
      prom.kill('SIGTERM');
      await stop(s);
    }
  });
});
