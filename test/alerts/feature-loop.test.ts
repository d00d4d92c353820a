import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { alertsFeature } from '../../src/alerts/feature.ts';
import { recordSnapshots } from '../../src/history/snapshots.ts';
import type { FeatureContext } from '../../src/serve/feature.ts';
import { tempStore } from '../helpers/request-context.ts';
import { startReceiver } from './receiver.ts';

const until = async (cond: () => boolean, ms = 15_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
};

test("the feature's background loop: a new snapshot is evaluated and delivered; a repository without channels goes to <data>/alerts.log; a broken config is logged at start", async () => {
  const db = await tempStore();
  const rec = await startReceiver([{ status: 200 }]);
  const data = mkdtempSync(path.join(tmpdir(), 'dw-alerts-loop-'));
  const withHook = mkdtempSync(path.join(tmpdir(), 'dw-repo-a-'));
  const plain = mkdtempSync(path.join(tmpdir(), 'dw-repo-b-'));
  const broken = mkdtempSync(path.join(tmpdir(), 'dw-repo-c-'));
  writeFileSync(path.join(withHook, 'depwarden.yaml'), `alerts:\n  channels:\n    hook: { kind: webhook, url: "${rec.url}/h", secretEnv: HOOK_SECRET }\n`);
  writeFileSync(path.join(broken, 'depwarden.yaml'), 'alerts:\n  routes:\n    - channels: [nowhere]\n');
  const logs: { level: string; msg: string; fields?: Record<string, unknown> }[] = [];
  const log = (level: string) => (msg: string, fields?: Record<string, unknown>) => void logs.push({ level, msg, ...(fields ? { fields } : {}) });
  const ac = new AbortController();
  const repo = (name: string, root: string) => ({ name, root, branch: 'main', remote: null, webhookSecretEnv: null });
  const ctx: FeatureContext = { store: db.store, log: { info: log('info'), warn: log('warn'), error: log('error') }, signal: ac.signal, repos: async () => [repo('a', withHook), repo('b', plain), repo('c', broken)], dataDir: data, env: { HOOK_SECRET: 's', DEPWARDEN_ALERTS_TICK_MS: '50' } };
  const stop = await alertsFeature.start!(ctx);
  try {
    assert.ok(logs.some((l) => l.level === 'error' && /c: invalid config:\n\s+depwarden\.yaml:3: alerts\.routes\.0\.channels\.0: unknown channel "nowhere"/.test(String(l.fields?.error))), JSON.stringify(logs));
    const v = (service: string) => ({ id: 'GHSA-loop', ecosystem: 'npm', package: 'left-pad', version: '1.0.0', severity: 'critical', triage: null, service });
    await db.store.transaction((q) => recordSnapshots(q, 'a', 'c1', 'audit', null, [{ service: 'api', summary: {}, detail: [v('api')] }]));
    await db.store.transaction((q) => recordSnapshots(q, 'b', 'c1', 'audit', null, [{ service: 'web', summary: {}, detail: [v('web')] }]));
    await until(() => rec.requests.length === 1);
    assert.equal(JSON.parse(rec.requests[0]!.body).alerts[0].repo, 'a');
    const file = path.join(data, 'alerts.log');
    await until(() => {
      try {
        return readFileSync(file, 'utf8').includes('GHSA-loop');
      } catch {
        return false;
      }
    });
    const line = JSON.parse(readFileSync(file, 'utf8').trim().split('\n')[0]!) as { channel: string; items: { repo: string }[] };
    assert.equal(line.channel, 'log');
    assert.equal(line.items[0]!.repo, 'b');
  } finally {
    ac.abort();
    await stop();
    await rec.close();
    await db.dispose();
  }
});
