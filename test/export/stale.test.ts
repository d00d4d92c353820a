import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { regenerateExports } from '../../src/export/generated.ts';
import { exportRequirements } from '../../src/export/requirements.ts';
import { exportedRequirementsOnDisk } from '../../src/export/stale.ts';
import { runCli } from '../helpers/run-cli.ts';

const FIXTURE = path.join(import.meta.dirname, '../fixtures/export/owl-corp-python-template-2.0');

function repo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-stale-'));
  cpSync(FIXTURE, path.join(dir, 'svc'), { recursive: true });
  return dir;
}
const dw301 = async (dir: string) => {
  const r = await runCli(['check', dir, '--format', 'json']);
  return (JSON.parse(r.stdout).findings as { ruleId: string; message: string; hint: string; file: string }[]).filter((f) => f.ruleId === 'DW301');
};

test('DW301: a committed poetry export that matches its lock is quiet; one pin or hash off is a finding with the command that fixes it', async () => {
  const dir = repo();
  assert.deepEqual(await dw301(dir), []);
  const file = path.join(dir, 'svc/main-requirements.txt');
  const text = readFileSync(file, 'utf8');
  writeFileSync(file, text.replace('pydantic==2.2.1 ', 'pydantic==2.2.0 '));
  const found = await dw301(dir);
  assert.equal(found.length, 1);
  assert.equal(found[0]!.file, 'svc/main-requirements.txt');
  assert.match(found[0]!.message, /pydantic is 2\.2\.0 in the file, 2\.2\.1 in the lock/);
  assert.equal(found[0]!.hint, 'Regenerate it: `depwarden export svc -o svc/main-requirements.txt`');
  // Following the hint clears it.
  const fixed = await runCli(['export', path.join(dir, 'svc'), '-o', file]);
  assert.equal(fixed.code, 0, fixed.stderr);
  assert.deepEqual(await dw301(dir), []);
});

test('a hand-written pinned requirements file beside a Poetry project is not taken for an export', async () => {
  const dir = repo();
  writeFileSync(path.join(dir, 'svc/requirements-tools.txt'), 'black==24.1.0\nruff==0.5.0\n');
  assert.deepEqual(await dw301(dir), []);
  assert.deepEqual(exportedRequirementsOnDisk(dir, 'svc').map((m) => m.file), ['svc/main-requirements.txt']);
});

test('after a relock, the export that matched the old lock is rewritten from the new one (the update hook)', () => {
  const dir = repo();
  const before = exportedRequirementsOnDisk(dir, 'svc');
  assert.equal(before.length, 1);
  assert.deepEqual(before[0]!.differences, []);
  // The relock moved typing-extensions (same files, another version: enough to tell the rewrite happened).
  const lockFile = path.join(dir, 'svc/poetry.lock');
  writeFileSync(lockFile, readFileSync(lockFile, 'utf8').replace('name = "typing-extensions"\nversion = "4.7.1"', 'name = "typing-extensions"\nversion = "4.7.2"'));
  assert.deepEqual(regenerateExports(dir, before), ['svc/main-requirements.txt']);
  const now = readFileSync(path.join(dir, 'svc/main-requirements.txt'), 'utf8');
  assert.match(now, /^typing-extensions==4\.7\.2 ;/m);
  const project = { dir: path.join(dir, 'svc'), pyprojectFile: 'svc/pyproject.toml', pyprojectText: readFileSync(path.join(dir, 'svc/pyproject.toml'), 'utf8'), lockFile: 'svc/poetry.lock', lockText: readFileSync(lockFile, 'utf8') };
  assert.equal(now, exportRequirements(project));
});
