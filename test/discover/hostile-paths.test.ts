import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

type Doc = { findings: { ruleId: string; file: string; message: string; service?: string }[] };

describe('nothing vanishes silently from the walk, and file text never reaches the terminal raw (issue 20.12)', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'dw-paths-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a folder whose name is not UTF-8 is a DW013 finding naming it with escaped bytes', async () => {
    const d = writeTree({ 'api/Dockerfile': 'FROM python:3.12-slim@sha256:' + 'a'.repeat(64) + '\n' }, tmp());
    const bad = Buffer.concat([Buffer.from(path.join(d, 'svc-')), Buffer.from([0xff, 0xfe])]);
    mkdirSync(bad);
    writeFileSync(Buffer.concat([bad, Buffer.from('/Dockerfile')]), 'FROM node:22\n');
    const r = await runCli(['check', d, '--format', 'json']);
    const doc = JSON.parse(r.stdout) as Doc;
    assert.deepEqual(doc.findings.map((f) => `${f.ruleId} ${f.file}`), ['DW013 svc-\\xff\\xfe']);
    assert.match(doc.findings[0]!.message, /folder name is not valid UTF-8; not read, so any service in it is missing/);
    assert.equal(r.code, 1);
  });

  it('a symlinked manifest inside the repository is read; one pointing outside is DW013 and never read', async () => {
    const outside = writeTree({ 'requirements.txt': 'secret-internal-package==1.0\n' }, tmp());
    const d = writeTree({ 'common/package.json': JSON.stringify({ name: 'c', dependencies: { 'left-pad': '^1.0.0' } }), 'web/Dockerfile': 'FROM node:22@sha256:' + 'b'.repeat(64) + '\n' }, tmp());
    symlinkSync('../common/package.json', path.join(d, 'web', 'package.json'));
    mkdirSync(path.join(d, 'api'));
    symlinkSync(path.join(outside, 'requirements.txt'), path.join(d, 'api', 'requirements.txt'));
    symlinkSync(path.join(d, 'missing.txt'), path.join(d, 'api', 'requirements-dev.txt'));
    const r = await runCli(['check', d, '--format', 'json']);
    const doc = JSON.parse(r.stdout) as Doc;
    const lines = doc.findings.filter((f) => f.ruleId === 'DW013' || f.ruleId === 'DW001').map((f) => `${f.ruleId} ${f.file}: ${f.message}`);
    assert.ok(lines.some((l) => l.startsWith('DW001 web/package.json: ')), `the linked manifest is read:\n${lines.join('\n')}`);
    assert.ok(lines.includes('DW013 api/requirements.txt: api/requirements.txt: symlink to a file outside the repository; not read'), lines.join('\n'));
    assert.ok(lines.includes('DW013 api/requirements-dev.txt: api/requirements-dev.txt: symlink to nothing; not read'), lines.join('\n'));
    assert.doesNotMatch(r.stdout, /secret-internal-package/);
  });

  it('ANSI escapes and bidi overrides from files are shown escaped in table and markdown output', async () => {
    const evil = '\u001b[2J\u001b[31mevil\u202e';
    const d = writeTree({ 'package.json': JSON.stringify({ name: 'x', dependencies: { [evil]: '^1.0.0' } }), 'package-lock.json': JSON.stringify({ lockfileVersion: 3, packages: { '': {} } }) }, tmp());
    for (const f of ['table', 'markdown']) {
      const r = await runCli(['check', d, '--format', f]);
      assert.match(r.stdout, /evil/, f);
      assert.doesNotMatch(r.stdout, /[\u001b\u202e]/, `${f} passes control characters through`);
      assert.match(r.stdout, /\\x1b\[2J\\x1b\[31mevil\\u\{202e\}/, f);
    }
    const scan = await runCli(['scan', d]);
    assert.doesNotMatch(scan.stdout, /[\u001b\u202e]/);
  });
});
