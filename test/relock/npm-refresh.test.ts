import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { relock, RelockError } from '../../src/relock/index.ts';
import { pruneLockClosure } from '../../src/relock/npm-refresh.ts';

/**
 * npm refuses to update a lock in place (ERESOLVE) when a change's new versions need transitive packages that the
 * lock shares as peers; a fresh resolution of just what the change touches succeeds (measured on OpenHands'
 * react-router 8 change, docs/benchmarks.md). The real npm behaviour needs the real registry's tree, so the
 * retry's mechanics are tested here with an npm stand-in that refuses while the lock still holds the old `dev`.
 */
const LOCK = {
  name: 'app',
  version: '1.0.0',
  lockfileVersion: 3,
  requires: true,
  packages: {
    '': { name: 'app', version: '1.0.0', dependencies: { dev: '1.0.0', other: '1.0.0' } },
    'node_modules/dev': { version: '1.0.0', dependencies: { core: '^1.0.0' } },
    'node_modules/core': { version: '1.0.0', dependencies: { tiny: '^1.0.0' } },
    'node_modules/tiny': { version: '1.0.0' },
    'node_modules/other': { version: '1.0.0', dependencies: { 'peer-host': '^1.0.0' } },
    'node_modules/peer-host': { version: '1.0.0', peerDependencies: { core: '^1.0.0' } },
    'node_modules/other/node_modules/core': { version: '0.9.0' },
  },
};

describe('npm lock refresh on ERESOLVE', () => {
  it('prunes the moved packages and everything they depend on (nested copies too), nothing else', () => {
    const r = pruneLockClosure(`${JSON.stringify(LOCK, null, 2)}\n`, ['dev'])!;
    assert.deepEqual(r.removed, ['core', 'dev', 'tiny']);
    assert.deepEqual(Object.keys(JSON.parse(r.text).packages), ['', 'node_modules/other', 'node_modules/peer-host']);
    assert.equal(pruneLockClosure('{"lockfileVersion":1,"dependencies":{}}', ['dev']), undefined, 'lockfile v1 has no packages map to prune');
    assert.equal(pruneLockClosure(JSON.stringify(LOCK), ['absent']), undefined);
  });

  function project(npmScript: string): { root: string; npm: string } {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'dw-npm-refresh-'));
    fs.writeFileSync(path.join(root, 'package.json'), `${JSON.stringify({ name: 'app', version: '1.0.0', dependencies: { dev: '1.0.0', other: '1.0.0' } }, null, 2)}\n`);
    fs.writeFileSync(path.join(root, 'package-lock.json'), `${JSON.stringify(LOCK, null, 2)}\n`);
    const npm = path.join(root, 'fake-npm.sh');
    fs.writeFileSync(npm, `#!/bin/sh\nif [ "$1" = "--version" ]; then echo 11.0.0; exit 0; fi\n${npmScript}\n`, { mode: 0o755 });
    return { root, npm };
  }
  const REFUSE_WHILE_OLD_DEV = `if grep -q '"node_modules/dev"' package-lock.json; then echo 'npm error code ERESOLVE' >&2; echo 'npm error Found: core@1.0.0' >&2; exit 1; fi
echo '{"name":"app","lockfileVersion":3,"packages":{"":{"name":"app"},"node_modules/dev":{"version":"2.0.0"},"node_modules/core":{"version":"1.1.0"}}}' > package-lock.json`;
  const edit = (root: string) => {
    const text = fs.readFileSync(path.join(root, 'package.json'), 'utf8');
    const at = text.indexOf('"dev": "1.0.0"') + '"dev": "'.length;
    return { file: 'package.json', start: at, end: at + 5, expected: '1.0.0', replacement: '2.0.0' };
  };

  it('retries once with the change\'s closure re-resolved, and says which packages were', async () => {
    const { root, npm } = project(REFUSE_WHILE_OLD_DEV);
    const r = await relock(root, { ecosystem: 'npm', manifest: 'package.json', lock: 'package-lock.json' }, { npm, edits: [edit(root)], refreshOnConflict: ['dev'], write: true });
    assert.deepEqual(r.refreshed, ['core', 'dev', 'tiny']);
    assert.equal(JSON.parse(fs.readFileSync(path.join(root, 'package-lock.json'), 'utf8')).packages['node_modules/dev'].version, '2.0.0');
    assert.match(fs.readFileSync(path.join(root, 'package.json'), 'utf8'), /"dev": "2.0.0"/);
  });

  it('without the names to refresh, or when the retry fails too, the error stands and the tree is as before', async () => {
    const a = project(REFUSE_WHILE_OLD_DEV);
    const lockBefore = fs.readFileSync(path.join(a.root, 'package-lock.json'), 'utf8');
    await assert.rejects(relock(a.root, { ecosystem: 'npm', manifest: 'package.json', lock: 'package-lock.json' }, { npm: a.npm, edits: [edit(a.root)], write: true }), (e: unknown) => e instanceof RelockError && /ERESOLVE/.test(e.message));
    assert.equal(fs.readFileSync(path.join(a.root, 'package-lock.json'), 'utf8'), lockBefore);
    const b = project(`echo 'npm error code ERESOLVE' >&2; exit 1`);
    await assert.rejects(relock(b.root, { ecosystem: 'npm', manifest: 'package.json', lock: 'package-lock.json' }, { npm: b.npm, edits: [edit(b.root)], refreshOnConflict: ['dev'], write: true }), RelockError);
    assert.equal(fs.readFileSync(path.join(b.root, 'package-lock.json'), 'utf8'), lockBefore, 'the pruned lock of the retry is restored');
    assert.match(fs.readFileSync(path.join(b.root, 'package.json'), 'utf8'), /"dev": "1.0.0"/);
    const c = project(`echo call >> "$0.calls"; echo 'npm error code E404' >&2; exit 1`);
    await assert.rejects(relock(c.root, { ecosystem: 'npm', manifest: 'package.json', lock: 'package-lock.json' }, { npm: c.npm, edits: [edit(c.root)], refreshOnConflict: ['dev'], write: true }), (e: unknown) => e instanceof RelockError && /E404/.test(e.message), 'only ERESOLVE is retried');
    assert.equal(fs.readFileSync(`${c.npm}.calls`, 'utf8'), 'call\n', 'npm ran once');
  });
});
