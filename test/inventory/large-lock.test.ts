import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/** A valid package-lock of `n` packages (a chain p0 -> p1 -> ...), about 240 bytes per package. */
function bigLock(n: number): string {
  const parts: string[] = [`{"name":"big","version":"1.0.0","lockfileVersion":3,"requires":true,"packages":{"":{"name":"big","version":"1.0.0","dependencies":{"p0":"1.0.0"}}`];
  for (let i = 0; i < n; i++) {
    const dep = i + 1 < n ? `,"dependencies":{"p${i + 1}":"1.0.0"}` : '';
    parts.push(`,"node_modules/p${i}":{"version":"1.0.0","resolved":"https://registry.npmjs.org/p${i}/-/p${i}-1.0.0.tgz","integrity":"sha512-${Buffer.alloc(64, i % 256).toString('base64')}"${dep}}`);
  }
  parts.push('}}');
  return parts.join('');
}

// Issue 20.12: 125k packages (30 MB) aborted the whole run with a stack overflow (spread arguments in
// inventory/build.ts). The whole check must go through.
it('a valid lock of 130k packages (30 MB) is checked, not a stack overflow', { timeout: 240_000 }, async () => {
  const n = 130_000;
  const lock = bigLock(n);
  assert.ok(lock.length > 30_000_000);
  const d = writeTree({ 'svc/package.json': '{"name":"big","version":"1.0.0","dependencies":{"p0":"1.0.0"}}', 'svc/package-lock.json': lock }, mkdtempSync(path.join(tmpdir(), 'dw-big-')));
  after(() => rmSync(d, { recursive: true, force: true }));
  const r = await runCli(['check', d, '--format', 'json']);
  assert.equal(r.stderr.includes('internal error'), false, r.stderr.slice(0, 500));
  assert.equal(r.code, 0);
  assert.deepEqual((JSON.parse(r.stdout) as { findings: unknown[] }).findings, []);
});
