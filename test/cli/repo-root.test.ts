import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

describe('an empty or wrong directory never passes; the root is found from a subdirectory (issue 11.3)', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'dw-root-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  for (const cmd of ['check', 'conflicts', 'sbom']) {
    it(`${cmd} on a folder with no services is a usage error (exit 2) that says so`, async () => {
      const d = writeTree({ 'README.md': '# nothing here\n' }, tmp());
      const r = await runCli([cmd, d]);
      assert.equal(r.code, 2);
      assert.match(r.stderr, /no services found in .*: none of its 1 files is a Dockerfile, compose file, workflow, manifest or lock depwarden reads/);
      assert.equal(r.stdout, '');
    });
  }

  it('audit on an empty folder is exit 2 too', async () => {
    const d = tmp();
    const db = path.join(tmp(), 'db');
    const { writeDb } = await import('../../src/vulns/store.ts');
    writeDb(db, [], { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] });
    const r = await runCli(['audit', path.join(d), '--db', db]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no services found in .*: it holds no files/);
  });

  it('a folder holding only files we do not read names them', async () => {
    const d = writeTree({ 'go.mod': 'module x\n', 'go.sum': '' }, tmp());
    const r = await runCli(['check', d]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /only dependency files depwarden does not read: go\.mod, go\.sum/);
  });

  it('a non-existent path is a usage error (exit 2) for check, audit, sbom and conflicts', async () => {
    for (const cmd of ['check', 'audit', 'sbom', 'conflicts']) {
      const r = await runCli([cmd, path.join(tmp(), 'typo')]);
      assert.equal(r.code, 2, cmd);
      assert.match(r.stderr, /no such directory: /, cmd);
    }
  });

  it('inside services/web, check uses the root depwarden.yaml and the real service names', async () => {
    const d = writeTree(
      {
        'depwarden.yaml': 'version: 1\nrules:\n  DW006: critical\n',
        'services/web/Dockerfile': 'FROM python:3.12-slim\n',
        'services/api/Dockerfile': 'FROM python:3.12-slim\n',
      },
      tmp(),
    );
    const r = await runCli(['check', '--format', 'json'], { cwd: path.join(d, 'services', 'web') });
    const doc = JSON.parse(r.stdout) as { findings: { ruleId: string; severity: string; file: string; service: string }[] };
    assert.deepEqual(
      doc.findings.map((f) => `${f.ruleId} ${f.severity} ${f.service} ${f.file}`),
      ['DW006 critical services/api services/api/Dockerfile', 'DW006 critical services/web services/web/Dockerfile'],
    );
    assert.equal(r.code, 1, 'the root config makes DW006 critical');
    assert.match(r.stderr, /note: using the repository at .* \(depwarden\.yaml\), which contains \./);
  });

  it('a .git folder marks the root as well; a marker in the folder itself keeps it', async () => {
    const d = writeTree({ 'svc/Dockerfile': 'FROM python:3.12-slim\n', 'svc/sub/x.txt': '' }, tmp());
    mkdirSync(path.join(d, '.git'));
    const r = await runCli(['check', 'sub', '--format', 'json'], { cwd: path.join(d, 'svc') });
    assert.deepEqual((JSON.parse(r.stdout) as { findings: { file: string }[] }).findings.map((f) => f.file), ['svc/Dockerfile']);
    const nested = writeTree({ 'depwarden.yaml': 'version: 1\n', 'Dockerfile': 'FROM node:22\n' }, path.join(d, 'inner'));
    const r2 = await runCli(['check', nested, '--format', 'json']);
    assert.deepEqual((JSON.parse(r2.stdout) as { findings: { file: string }[] }).findings.map((f) => f.file), ['Dockerfile']);
    assert.doesNotMatch(r2.stderr, /using the repository/);
  });

  it('a folder the enclosing repository ignores (a scratch clone under out/, or node_modules) is scanned as itself', async () => {
    const d = writeTree({ '.gitignore': 'out/\n', 'svc/Dockerfile': 'FROM python:3.12-slim\n', 'out/clone/api/Dockerfile': 'FROM node:22\n', 'node_modules/pkg/Dockerfile': 'FROM node:20\n' }, tmp());
    mkdirSync(path.join(d, '.git'));
    const r = await runCli(['check', path.join(d, 'out', 'clone'), '--format', 'json']);
    assert.deepEqual((JSON.parse(r.stdout) as { findings: { file: string }[] }).findings.map((f) => f.file), ['api/Dockerfile']);
    assert.doesNotMatch(r.stderr, /using the repository/);
    const n = await runCli(['check', path.join(d, 'node_modules', 'pkg'), '--format', 'json']);
    assert.deepEqual((JSON.parse(n.stdout) as { findings: { file: string }[] }).findings.map((f) => f.file), ['Dockerfile']);
  });
});
