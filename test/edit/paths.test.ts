import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { writeFileInside } from '../../src/edit/atomic-write.ts';
import { resolveInside } from '../../src/edit/paths.ts';
import { appendChangelog } from '../../src/publish/changelog.ts';

describe('the path guard every writer goes through', () => {
  const setup = () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-paths-'));
    const outside = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-outside-'));
    fs.mkdirSync(path.join(root, 'api'));
    fs.writeFileSync(path.join(root, 'api', 'poetry.lock'), 'good\n');
    fs.writeFileSync(path.join(outside, 'victim'), 'precious\n');
    return { root, outside, done: () => [root, outside].forEach((d) => fs.rmSync(d, { recursive: true, force: true })) };
  };

  it('accepts plain repository paths, existing or not', () => {
    const { root, done } = setup();
    try {
      assert.equal(resolveInside(root, 'api/poetry.lock'), path.join(fs.realpathSync(root), 'api', 'poetry.lock'));
      assert.equal(resolveInside(root, 'new/dir/file'), path.join(fs.realpathSync(root), 'new', 'dir', 'file'));
      writeFileInside(root, 'new/dir/file', Buffer.from('x'));
      assert.equal(fs.readFileSync(path.join(root, 'new', 'dir', 'file'), 'utf8'), 'x');
    } finally {
      done();
    }
  });

  it('refuses a file that is a symbolic link to outside the repository, and writes nothing through it', () => {
    const { root, outside, done } = setup();
    try {
      fs.symlinkSync(path.join(outside, 'victim'), path.join(root, 'api', 'requirements.txt'));
      assert.throws(() => writeFileInside(root, 'api/requirements.txt', Buffer.from('owned\n')), /api\/requirements\.txt is a symbolic link to .*outside the repository/);
      assert.equal(fs.readFileSync(path.join(outside, 'victim'), 'utf8'), 'precious\n');
    } finally {
      done();
    }
  });

  it('refuses a symbolic link even when it points inside the repository, and a linked directory on the way', () => {
    const { root, outside, done } = setup();
    try {
      fs.symlinkSync('poetry.lock', path.join(root, 'api', 'alias.lock'));
      assert.throws(() => resolveInside(root, 'api/alias.lock'), /api\/alias\.lock is a symbolic link; depwarden does not write through symbolic links/);
      fs.symlinkSync(outside, path.join(root, 'web'));
      assert.throws(() => resolveInside(root, 'web/victim'), /web is a symbolic link to .*outside the repository/);
      assert.throws(() => resolveInside(root, 'web/new-file'), /web is a symbolic link/);
      assert.throws(() => resolveInside(root, '../x'), /without \.\./);
      assert.throws(() => resolveInside(root, '/etc/passwd'), /without \.\./);
    } finally {
      done();
    }
  });

  it('the changelog is not appended through a symbolic link', () => {
    const { root, outside, done } = setup();
    try {
      fs.mkdirSync(path.join(root, 'docs'));
      fs.symlinkSync(path.join(outside, 'victim'), path.join(root, 'docs', 'dependency-changelog.md'));
      assert.throws(() => appendChangelog(root, 'docs/dependency-changelog.md', '## x\n'), /symbolic link/);
      assert.equal(fs.readFileSync(path.join(outside, 'victim'), 'utf8'), 'precious\n');
    } finally {
      done();
    }
  });
});
