import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

describe('a hostile depwarden.yaml is a config error, never a crash or a leak (issue 20.12)', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'dw-cfg-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a YAML alias bomb exits 2 with a message, not 3 with a stack trace', async () => {
    const lines = ['a0: &a0 [x, x, x, x, x, x, x, x, x, x]'];
    for (let i = 1; i < 12; i++) lines.push(`a${i}: &a${i} [${Array(10).fill(`*a${i - 1}`).join(', ')}]`);
    lines.push('ignore: *a11');
    const d = writeTree({ 'depwarden.yaml': `${lines.join('\n')}\n`, Dockerfile: 'FROM node:22\n' }, tmp());
    const r = await runCli(['check', d]);
    assert.equal(r.code, 2, r.stderr.slice(0, 300));
    assert.match(r.stderr, /invalid config: depwarden\.yaml: .*alias/i);
    assert.doesNotMatch(r.stderr, /internal error|\n\s+at /);
  });

  it('a depwarden.yaml symlinked outside the repository is refused without reading it', async () => {
    const outside = writeTree({ 'secret.yaml': 'aws_secret_access_key: hunter2\nvery_private_key: 1\n' }, tmp());
    const d = writeTree({ Dockerfile: 'FROM node:22\n' }, tmp());
    symlinkSync(path.join(outside, 'secret.yaml'), path.join(d, 'depwarden.yaml'));
    const r = await runCli(['check', d]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /depwarden\.yaml is a symlink to a file outside the repository; not read/);
    assert.doesNotMatch(r.stderr + r.stdout, /aws_secret_access_key|very_private_key|hunter2/);
  });

  it('a dangling config symlink is refused too; one inside the repository is read', async () => {
    const d = writeTree({ Dockerfile: 'FROM python:3.12-slim\n', 'conf/dw.yaml': 'rules:\n  DW006: critical\n' }, tmp());
    symlinkSync(path.join(d, 'nowhere.yaml'), path.join(d, 'depwarden.yaml'));
    const r = await runCli(['check', d]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /depwarden\.yaml is a symlink to a file that does not exist/);
    rmSync(path.join(d, 'depwarden.yaml'));
    symlinkSync('conf/dw.yaml', path.join(d, 'depwarden.yaml'));
    assert.equal((await runCli(['check', d])).code, 1, 'the linked config made DW006 critical');
  });
});
