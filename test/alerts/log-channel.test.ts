import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { LogChannel } from '../../src/alerts/channels/log.ts';

test('the log channel writes each notice as one JSON line, keys sorted, credentials redacted', async () => {
  const file = path.join(mkdtempSync(path.join(tmpdir(), 'dw-log-')), 'sub', 'notices.jsonl');
  const ch = new LogChannel({ file });
  await ch.notify({ kind: 'deploy.rolled_back', severity: 'critical', title: 'web rolled back', text: 'see https://user:hunter2@ci.example/run?token=abc123\nline two', dedupKey: 'k', fields: { b: '2', a: '1' } });
  await ch.notify({ kind: 'deploy.failed', severity: 'warning', title: 't', text: 'x', dedupKey: 'k2' });
  const lines = readFileSync(file, 'utf8').split('\n');
  assert.equal(lines.length, 3);
  assert.equal(lines[2], '');
  const first = JSON.parse(lines[0]!) as Record<string, unknown>;
  assert.deepEqual(Object.keys(first), ['channel', 'dedupKey', 'fields', 'kind', 'severity', 'text', 'title']);
  assert.doesNotMatch(lines[0]!, /hunter2|abc123/);
  assert.match(String(first.text), /https:\/\/\*\*\*@ci\.example\/run\?token=\*\*\*\nline two/);
  let err = '';
  await new LogChannel({ stderr: (s) => void (err += s) }).notify({ kind: 'k', severity: 'info', title: 't', text: 'x', dedupKey: 'd' });
  assert.equal(err, '{"channel":"log","dedupKey":"d","kind":"k","severity":"info","text":"x","title":"t"}\n');
});
