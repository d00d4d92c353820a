import assert from 'node:assert/strict';
import path from 'node:path';
import { it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';

// This project obeys the protocol it enforces: `depwarden check .` on our own repository stays clean.
it('depwarden check . passes on depwarden itself', async () => {
  const root = path.resolve(import.meta.dirname, '..', '..');
  const r = await runCli(['check', root, '--fail-on', 'low', '--format', 'json']);
  const doc = JSON.parse(r.stdout) as { findings: { ruleId: string; file: string; message: string }[] };
  assert.deepEqual(doc.findings.map((f) => `${f.ruleId} ${f.file}: ${f.message}`), []);
  assert.equal(r.code, 0);
});
