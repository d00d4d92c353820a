import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, beforeEach, describe, it } from 'node:test';
import { applyEdits } from '../../src/edit/apply.ts';
import { EditError } from '../../src/edit/edit-error.ts';
import { snapshot } from '../../src/edit/transaction.ts';
import type { TextEdit } from '../../src/model/update.ts';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'depwarden-apply-'));
after(() => fs.rmSync(tmp, { recursive: true, force: true }));
const git = (...args: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...args], { cwd: tmp, encoding: 'utf8' });
const FILES = ['a.txt', 'b/b.txt', 'c.txt', 'd.txt', 'e.txt'];
const read = (f: string): Buffer => fs.readFileSync(path.join(tmp, f));
const edit = (file: string, expected: string, replacement: string): TextEdit => {
  const text = fs.readFileSync(path.join(tmp, file), 'utf8');
  const start = text.indexOf(expected);
  assert.ok(start >= 0);
  return { file, start, end: start + expected.length, expected, replacement };
};

beforeEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(path.join(tmp, 'b'), { recursive: true });
  for (const f of FILES) fs.writeFileSync(path.join(tmp, f), `# ${f}\r\nversion = "1.0.0"\r\nname = "é ${f}"\r\n`);
  fs.chmodSync(path.join(tmp, 'c.txt'), 0o751);
  git('init', '-q');
  git('add', '.');
  git('commit', '-qm', 'init');
});

const clean = (): void => assert.equal(git('status', '--porcelain'), '');

describe('applyEdits', () => {
  it('applies edits back to front in several files, keeps CRLF, modes and untouched bytes', () => {
    const edits = [edit('a.txt', '1.0.0', '2.0.0'), edit('a.txt', 'é a.txt', 'é renamed'), edit('c.txt', '"1.0.0"', '"1.1.0"')];
    const res = applyEdits(tmp, edits);
    assert.deepEqual(res.map((r) => r.file), ['a.txt', 'c.txt']);
    assert.equal(read('a.txt').toString(), '# a.txt\r\nversion = "2.0.0"\r\nname = "é renamed"\r\n');
    assert.equal(read('c.txt').toString(), '# c.txt\r\nversion = "1.1.0"\r\nname = "é c.txt"\r\n');
    assert.equal(fs.statSync(path.join(tmp, 'c.txt')).mode & 0o777, 0o751);
    assert.deepEqual(git('status', '--porcelain').split('\n').filter(Boolean).sort(), [' M a.txt', ' M c.txt']);
    assert.deepEqual(fs.readdirSync(tmp).filter((f) => f.includes('.tmp')), []);
  });

  it('a stale edit in any file stops everything before the first write, naming file:line', () => {
    const edits = [edit('a.txt', '1.0.0', '2.0.0'), { ...edit('b/b.txt', '1.0.0', '2.0.0'), expected: '0.9.0' }];
    assert.throws(() => applyEdits(tmp, edits), (e: Error) => e instanceof EditError && /b\/b\.txt:2: expected "0\.9\.0" but found "1\.0\.0"/.test(e.message) && /nothing written/.test(e.message));
    clean();
  });

  it('refuses overlapping edits, two insertions at one point, edits outside the file and paths outside the root', () => {
    const e = edit('a.txt', '1.0.0', '2.0.0');
    assert.throws(() => applyEdits(tmp, [e, { ...e, start: e.start + 1, expected: '.0.0', replacement: 'x' }]), /overlapping/);
    assert.throws(() => applyEdits(tmp, [{ ...e, end: e.start, expected: '', replacement: 'a' }, { ...e, end: e.start, expected: '', replacement: 'b' }]), /overlapping/);
    assert.throws(() => applyEdits(tmp, [{ ...e, start: 1000, end: 1001 }]), /outside the file/);
    assert.throws(() => applyEdits(tmp, [{ ...e, file: '../x.txt' }]), /repository-relative/);
    fs.symlinkSync(os.tmpdir(), path.join(tmp, 'out'));
    assert.throws(() => applyEdits(tmp, [{ ...e, file: 'out/x.txt' }]), /outside the repository/);
    fs.rmSync(path.join(tmp, 'out'));
    // Identical duplicates are one edit.
    applyEdits(tmp, [e, { ...e }]);
    assert.match(read('a.txt').toString(), /"2\.0\.0"/);
  });

  it('refuses files that are not UTF-8', () => {
    fs.writeFileSync(path.join(tmp, 'd.txt'), Buffer.from([0x76, 0x3d, 0xff, 0x0a]));
    assert.throws(() => applyEdits(tmp, [{ file: 'd.txt', start: 0, end: 1, expected: 'v', replacement: 'w' }]), /not valid UTF-8/);
  });

  it('when writing the 3rd of 5 files fails, the first two get their original bytes back', () => {
    const before = new Map(FILES.map((f) => [f, read(f)]));
    const edits = FILES.map((f) => edit(f, '1.0.0', '9.9.9'));
    let n = 0;
    const write = (abs: string, data: Uint8Array): void => {
      if (++n === 3) throw new Error('disk full (injected)');
      fs.writeFileSync(abs, data);
    };
    assert.throws(() => applyEdits(tmp, edits, { write }), (e: Error) => /writing c\.txt failed: disk full \(injected\); restored a\.txt, b\/b\.txt/.test(e.message));
    for (const f of FILES) assert.ok(read(f).equals(before.get(f)!), f);
    clean();
  });

  it('dryRun computes everything and writes nothing', () => {
    const [r] = applyEdits(tmp, [edit('e.txt', '1.0.0', '3.0.0')], { dryRun: true });
    assert.match(r!.after, /3\.0\.0/);
    clean();
  });
});

describe('Transaction', () => {
  it('restore() puts back exact bytes and modes and deletes files that did not exist', () => {
    const tx = snapshot(tmp, ['a.txt', 'c.txt', 'new.lock']);
    fs.writeFileSync(path.join(tmp, 'a.txt'), 'garbage');
    fs.chmodSync(path.join(tmp, 'c.txt'), 0o600);
    fs.writeFileSync(path.join(tmp, 'new.lock'), 'lock');
    assert.deepEqual(tx.changed().sort(), ['a.txt', 'c.txt', 'new.lock']);
    assert.deepEqual(tx.restore().sort(), ['a.txt', 'c.txt', 'new.lock']);
    assert.equal(fs.existsSync(path.join(tmp, 'new.lock')), false);
    assert.equal(fs.statSync(path.join(tmp, 'c.txt')).mode & 0o777, 0o751);
    assert.deepEqual(tx.changed(), []);
    assert.deepEqual(tx.restore(), []);
    clean();
  });

  it('restores a deleted file', () => {
    const tx = snapshot(tmp, ['b/b.txt']);
    const bytes = read('b/b.txt');
    fs.rmSync(path.join(tmp, 'b/b.txt'));
    tx.restore();
    assert.ok(read('b/b.txt').equals(bytes));
    clean();
  });
});

describe('writeFileAtomic', () => {
  it('writes a device such as /dev/null in place instead of renaming a file over it', async () => {
    const { writeFileAtomic } = await import('../../src/edit/atomic-write.ts');
    const { runCli } = await import('../helpers/run-cli.ts');
    const fs = await import('node:fs');
    writeFileAtomic('/dev/null', Buffer.from('report'));
    const r = await runCli(['scan', '.', '-f', 'json', '-o', '/dev/null']);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(fs.statSync('/dev/null').isCharacterDevice(), '/dev/null is still the device');
    assert.deepEqual(fs.readdirSync('/dev').filter((f) => f.includes('depwarden')), [], 'no temp file left in /dev');
  });
});
