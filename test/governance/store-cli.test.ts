import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openRepositoryStore } from '../../src/store/store.ts';
import { runCli } from '../helpers/run-cli.ts';

describe('audit log rows edited outside depwarden (issue 20.12)', () => {
  it('a non-JSON payload is named: verify reports the entry as edited (exit 1), export refuses with a clear error (exit 2), no stack trace', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-badpayload-'));
    try {
      for (const k of ['proposed', 'approved']) assert.equal((await runCli(['audit-log', 'record', k, '--actor', 'alice', '--payload', '{"change":"c1"}', '-C', repo])).code, 0);
      const s = await openRepositoryStore(repo, {});
      await s.query(`UPDATE audit_log SET payload = '{not json' WHERE seq = 2`);
      await s.close();
      const v = await runCli(['audit-log', 'verify', repo]);
      assert.equal(v.code, 1, v.stderr);
      assert.match(v.stdout, /TAMPERED {2}entry 2 \(approved by alice\) was edited: its stored payload is not JSON/);
      const x = await runCli(['audit-log', 'export', repo]);
      assert.equal(x.code, 2);
      assert.match(x.stderr, /^depwarden: audit log entry 2 \(approved by alice\): its stored payload is not JSON .*run `depwarden audit-log verify`\n$/);
      assert.doesNotMatch(v.stderr + x.stderr, /internal error|at .*\.ts:\d+/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
