import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { evaluateAlerts } from '../../src/alerts/state.ts';
import { parseConfig } from '../../src/config/load.ts';
import { readLog } from '../../src/governance/audit-log.ts';
import { recordSnapshots } from '../../src/history/snapshots.ts';
import { serverStoreDir } from '../../src/serve/data-dir.ts';
import { openStore } from '../../src/store/store.ts';
import { toAdvisory } from '../../src/vulns/osv-record.ts';
import { writeDb } from '../../src/vulns/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { startReceiver } from './receiver.ts';

const HASH = `sha256:${'1'.repeat(64)}`;
const lock = (n: string, v: string) => `[[package]]\nname = "${n}"\nversion = "${v}"\ndescription = ""\noptional = false\npython-versions = "*"\ngroups = ["main"]\nfiles = [{file = "${n}-${v}.tar.gz", hash = "${HASH}"}]\n\n[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "x"\n`;

test('audit --notify: one message per advisory across services to the configured channel, without a server', async () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-notify-'));
  const repo = path.join(tmp, 'repo');
  for (const s of ['svc-a', 'svc-b']) {
    mkdirSync(path.join(repo, s), { recursive: true });
    writeFileSync(path.join(repo, s, 'poetry.lock'), lock('requests', '2.19.0'));
  }
  const db = path.join(tmp, 'db');
  writeDb(db, [toAdvisory({ id: 'PYSEC-2018-28', aliases: ['CVE-2018-18074'], modified: '2024-01-01T00:00:00Z', summary: 'Authorization header <leak>', affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.20.0' }] }] }], severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }] })], { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] });
  const rec = await startReceiver([{ status: 200 }]);
  writeFileSync(path.join(repo, 'depwarden.yaml'), `alerts:\n  channels:\n    ci:\n      kind: webhook\n      url: ${rec.url}/h\n      secretEnv: HOOK_SECRET\n`);
  try {
    const r = await runCli(['audit', repo, '--db', db, '--notify'], { env: { HOOK_SECRET: 's', SOURCE_DATE_EPOCH: '1717200000' } });
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /note: alerts sent to ci/);
    assert.equal(rec.requests.length, 1);
    const body = JSON.parse(rec.requests[0]!.body) as { title: string; alerts: { service: string }[] };
    assert.match(body.title, /^CVE-2018-18074: requests 2\.19\.0 \(high\) \(2 services\)$/);
    assert.deepEqual(body.alerts.map((a) => a.service), ['svc-a', 'svc-b']);
    const quiet = await runCli(['audit', repo, '--db', db], { env: { HOOK_SECRET: 's' } });
    assert.equal(quiet.code, 1);
    assert.equal(rec.requests.length, 1, 'no --notify, no message');
  } finally {
    await rec.close();
  }
});

test('alerts list | show | silence | unsilence --data: the server store directly, silences audited', async () => {
  const data = mkdtempSync(path.join(tmpdir(), 'dw-alerts-data-'));
  const store = await openStore({ dir: serverStoreDir(data) });
  const config = await parseConfig('depwarden.yaml', '');
  await store.transaction((q) => recordSnapshots(q, 'fleet', 'c1', 'audit', null, [{ service: 'api', summary: {}, detail: [{ id: 'GHSA-1', ecosystem: 'npm', package: '<script>x', version: '1.0.0', severity: 'critical', triage: null, service: 'api' }] }]));
  await evaluateAlerts({ store, repos: [{ name: 'fleet', root: data, branch: 'main', config: config.alerts }], now: new Date(), defaultLog: { kind: 'log', file: path.join(data, 'alerts.log') } });
  await store.close();
  const list = await runCli(['alerts', 'list', '--data', data]);
  assert.equal(list.code, 0, list.stderr);
  const id = /^(al_[0-9a-f]{12})\s+critical\s+vulnerability\.new\s+GHSA-1: <script>x 1\.0\.0 \(critical\)$/m.exec(list.stdout)?.[1];
  assert.ok(id, list.stdout);
  const show = await runCli(['alerts', 'show', id, '--data', data]);
  assert.equal(JSON.parse(show.stdout).dedupKey, 'vulnerability:fleet:api:npm:<script>x@1.0.0:GHSA-1');
  const bad = await runCli(['alerts', 'silence', '--data', data, '--reason', 'x', '--for', '2w']);
  assert.equal(bad.code, 2);
  const none = await runCli(['alerts', 'silence', '--data', data, '--reason', 'x', '--for', '2h']);
  assert.equal(none.code, 2);
  assert.match(none.stderr, /at least one matcher/);
  const s = await runCli(['alerts', 'silence', '--data', data, '--service', 'api', '--reason', 'fix in review', '--for', '2h']);
  assert.equal(s.code, 0, s.stderr);
  const sid = /^(sil_[0-9a-f]+) until /.exec(s.stdout)?.[1];
  assert.ok(sid);
  assert.match((await runCli(['alerts', 'list', '--data', data, '--state', 'silenced'])).stdout, new RegExp(`silenced by ${sid}`));
  assert.equal((await runCli(['alerts', 'list', '--data', data])).stdout, 'no active alerts\n');
  assert.equal((await runCli(['alerts', 'unsilence', sid, '--data', data])).code, 0);
  assert.equal((await runCli(['alerts', 'unsilence', sid, '--data', data])).code, 2);
  const again = await openStore({ dir: serverStoreDir(data) });
  try {
    assert.deepEqual((await readLog(again)).map((e) => e.kind), ['alert_silenced', 'alert_unsilenced']);
  } finally {
    await again.close();
  }
});
