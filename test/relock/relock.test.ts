import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { editDependency } from '../../src/edit/dependency-edit.ts';
import { rewriteConstraint } from '../../src/edit/constraint-rewrite.ts';
import { parsePackageJson } from '../../src/formats/package-json.ts';
import { parsePackageLock } from '../../src/formats/package-lock.ts';
import { parsePoetryLock } from '../../src/formats/poetry-lock.ts';
import { parsePyproject } from '../../src/formats/pyproject.ts';
import { redactSecrets, relock, RelockError, poetryLockArgs } from '../../src/relock/index.ts';
import { startPackageIndex, type PackageIndex } from '../helpers/package-index.ts';
import { needTool } from '../helpers/system-tool.ts';

/**
 * The real Poetry (Debian's 1.3.2 on this machine and CI) and the real npm against a package index on
 * 127.0.0.1. HOME, the tool caches and npm's user/global config all point into a temp dir, and the Poetry
 * source is `default = true`, so PyPI and the npm registry are never asked; the index records every request.
 */
const SLOW = { timeout: 120_000 };
let index: PackageIndex;
let tmp: string;
let env: Record<string, string>;
const timings: string[] = [];

before(async () => {
  index = await startPackageIndex({
    python: [
      { name: 'pkg-a', version: '1.0.0', requiresPython: '>=3.7' },
      { name: 'pkg-a', version: '1.1.0', requiresPython: '>=3.7', requiresDist: ['pkg-b>=1.0'] },
      { name: 'pkg-b', version: '1.0.0' },
    ],
    npm: [
      { name: 'left-pad', version: '1.0.0' },
      { name: 'left-pad', version: '1.1.0', dependencies: { '@scope/is-thing': '^2.0.0' } },
      { name: '@scope/is-thing', version: '2.0.0' },
    ],
  });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'depwarden-relock-'));
  const home = path.join(tmp, 'home');
  fs.mkdirSync(home);
  fs.writeFileSync(path.join(home, 'npmrc'), '');
  fs.writeFileSync(path.join(home, 'global-npmrc'), '');
  env = { HOME: home, XDG_CONFIG_HOME: path.join(home, '.config'), npm_config_userconfig: path.join(home, 'npmrc'), npm_config_globalconfig: path.join(home, 'global-npmrc') };
});
after(async () => {
  await index.close();
  fs.rmSync(tmp, { recursive: true, force: true });
  if (timings.length) console.log(`relock timings: ${timings.join(', ')}`);
});

function repo(name: string, files: Record<string, string>): { root: string; git: (...a: string[]) => string; bytes: () => Map<string, Buffer> } {
  const root = path.join(tmp, name);
  for (const [f, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, f)), { recursive: true });
    fs.writeFileSync(path.join(root, f), text);
  }
  const git = (...a: string[]): string => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.test', ...a], { cwd: root, encoding: 'utf8' });
  git('init', '-q');
  const bytes = (): Map<string, Buffer> => new Map(git('ls-files').split('\n').filter(Boolean).map((f) => [f, fs.readFileSync(path.join(root, f))]));
  return { root, git, bytes };
}

const pyproject = (url: string, version: string): string => `[tool.poetry]
name = "svc"
version = "0.1.0"
description = "relock test"
authors = ["Test <test@example.test>"]

[tool.poetry.dependencies]
python = "^3.8"
pkg-a = "${version}"  # the package under test

[[tool.poetry.source]]
name = "local"
url = "${url}"
default = true

[build-system]
requires = ["poetry-core"]
build-backend = "poetry.core.masonry.api"
`;

describe('relock with the real Poetry', { skip: needTool('poetry', 'apt-get install python3-poetry') }, () => {
  it('creates a lock, then moves pkg-a 1.0.0 → 1.1.0 with the served hashes and the new transitive pkg-b', SLOW, async () => {
    const r = repo('poetry', { 'svc/pyproject.toml': pyproject(index.simpleUrl, '1.0.0') });
    const unit = { ecosystem: 'PyPI' as const, manifest: 'svc/pyproject.toml' };
    const first = await relock(r.root, unit, { env, write: true });
    timings.push(`poetry ${first.tool.version} first lock ${first.tool.ms} ms`);
    assert.equal(first.before, undefined);
    assert.equal(first.file, 'svc/poetry.lock');
    assert.deepEqual(parsePoetryLock('svc/poetry.lock', fs.readFileSync(path.join(r.root, 'svc/poetry.lock'), 'utf8')).data!.packages.map((p) => `${p.name}@${p.version}`), ['pkg-a@1.0.0']);
    r.git('add', '.');
    r.git('commit', '-qm', 'init');
    const original = r.bytes();

    const text = fs.readFileSync(path.join(r.root, unit.manifest), 'utf8');
    const dep = parsePyproject(unit.manifest, text).data!.dependencies.find((d) => d.name === 'pkg-a')!;
    const c = rewriteConstraint('poetry', dep.constraint, '1.0.0', '1.1.0')!;
    const edits = editDependency(dep, c, text);

    // Without write: the texts come back, the tree is byte-identical.
    const res = await relock(r.root, { ...unit, lock: 'svc/poetry.lock' }, { env, edits });
    timings.push(`poetry relock ${res.tool.ms} ms`);
    assert.deepEqual(res.tool.command.slice(1), poetryLockArgs(res.tool.version));
    assert.equal(r.git('status', '--porcelain'), '');
    assert.deepEqual(r.bytes(), original);
    const lock = parsePoetryLock('svc/poetry.lock', res.after).data!;
    const a = lock.packages.find((p) => p.name === 'pkg-a')!;
    assert.equal(a.version, '1.1.0');
    assert.deepEqual(a.hashes, index.pyFiles('pkg-a', '1.1.0')[0]!.hashes);
    assert.deepEqual(a.dependencies.map((e) => e.name), ['pkg-b']);
    assert.deepEqual(lock.packages.find((p) => p.name === 'pkg-b')!.hashes, index.pyFiles('pkg-b', '1.0.0')[0]!.hashes);
    assert.deepEqual(res.changed.map((f) => f.file), ['svc/pyproject.toml']);
    const newPyproject = res.changed[0]!.after;
    assert.equal(newPyproject, text.replace('pkg-a = "1.0.0"', 'pkg-a = "1.1.0"'));
    // The lock's content-hash is the one Poetry computes for the edited pyproject (so `poetry check` agrees).
    const ch = parsePyproject(unit.manifest, newPyproject).data!.contentHash;
    assert.ok([ch.poetry1, ch.poetry2].includes(lock.contentHash!));

    // With write: manifest and lock land together.
    await relock(r.root, { ...unit, lock: 'svc/poetry.lock' }, { env, edits, write: true });
    assert.deepEqual(r.git('status', '--porcelain').split('\n').filter(Boolean).sort(), [' M svc/poetry.lock', ' M svc/pyproject.toml']);
    assert.equal(fs.readFileSync(path.join(r.root, 'svc/poetry.lock'), 'utf8'), res.after);
    assert.equal(fs.readFileSync(path.join(r.root, unit.manifest), 'utf8'), newPyproject);
    r.git('checkout', '-q', '.');

    // A version the index does not have: a clear error, and nothing changed.
    const bad = editDependency(dep, '9.9.9', text);
    await assert.rejects(relock(r.root, { ...unit, lock: 'svc/poetry.lock' }, { env, edits: bad, write: true }), (e: Error) => e instanceof RelockError && /poetry lock/.test(e.message) && /pkg-a \(9\.9\.9\)|doesn't match any versions/.test(e.message));
    assert.equal(r.git('status', '--porcelain'), '');
    assert.deepEqual(r.bytes(), original);
    // Only the local index was asked, only for what the project needs.
    assert.ok(index.requests.every((p) => /^\/(simple\/pkg-[ab]\/|files\/pkg_[ab]-|npm\/)/.test(p)), index.requests.join('\n'));
  });

  it('a widened constraint keeps the locked version; `update` moves it within the constraint', SLOW, async () => {
    const r = repo('poetry-update', { 'pyproject.toml': pyproject(index.simpleUrl, '1.0.0') });
    const unit = { ecosystem: 'PyPI' as const, manifest: 'pyproject.toml', lock: 'poetry.lock' };
    await relock(r.root, { ecosystem: 'PyPI', manifest: 'pyproject.toml' }, { env, write: true });
    const text = fs.readFileSync(path.join(r.root, 'pyproject.toml'), 'utf8');
    const dep = parsePyproject('pyproject.toml', text).data!.dependencies[0]!;
    const kept = await relock(r.root, unit, { env, edits: editDependency(dep, '^1.0', text), write: true });
    assert.equal(parsePoetryLock('poetry.lock', kept.after).data!.packages.find((p) => p.name === 'pkg-a')!.version, '1.0.0');
    const moved = await relock(r.root, unit, { env, update: ['pkg-a'] });
    assert.deepEqual(moved.tool.command.slice(1, 3), ['update', '--lock']);
    assert.deepEqual(parsePoetryLock('poetry.lock', moved.after).data!.packages.map((p) => `${p.name}@${p.version}`), ['pkg-a@1.1.0', 'pkg-b@1.0.0']);
    assert.equal(fs.readFileSync(path.join(r.root, 'poetry.lock'), 'utf8'), kept.after);
  });

  it('a tool that hangs is killed at the timeout, and whatever it wrote is undone', SLOW, async () => {
    const r = repo('hang', { 'pyproject.toml': pyproject(index.simpleUrl, '1.0.0'), 'poetry.lock': '# old lock\n' });
    r.git('add', '.');
    r.git('commit', '-qm', 'init');
    const fake = path.join(tmp, 'fake-poetry');
    fs.writeFileSync(fake, '#!/bin/sh\nif [ "$1" = "--version" ]; then echo "Poetry (version 1.3.2)"; exit 0; fi\necho "half-written" > poetry.lock\nsleep 30\n', { mode: 0o755 });
    const text = fs.readFileSync(path.join(r.root, 'pyproject.toml'), 'utf8');
    const dep = parsePyproject('pyproject.toml', text).data!.dependencies[0]!;
    const t0 = performance.now();
    await assert.rejects(relock(r.root, { ecosystem: 'PyPI', manifest: 'pyproject.toml', lock: 'poetry.lock' }, { env, poetry: fake, timeoutMs: 1000, edits: editDependency(dep, '1.1.0', text) }), /timed out after 1000 ms/);
    assert.ok(performance.now() - t0 < 10_000);
    assert.equal(r.git('status', '--porcelain'), '');
  });
});

describe('relock with the real npm', () => {
  it('moves left-pad 1.0.0 → 1.1.0 with the served integrity and the new scoped dependency; a missing version changes nothing', SLOW, async () => {
    const pkg = '{\n  "name": "svc",\n  "version": "1.0.0",\n  "private": true,\n  "dependencies": {\n    "left-pad": "1.0.0"\n  }\n}\n';
    const r = repo('npm', { 'web/package.json': pkg });
    const unit = { ecosystem: 'npm' as const, manifest: 'web/package.json' };
    const first = await relock(r.root, unit, { env, npmRegistry: index.npmUrl, write: true });
    timings.push(`npm ${first.tool.version} first lock ${first.tool.ms} ms`);
    r.git('add', '.');
    r.git('commit', '-qm', 'init');
    const original = r.bytes();

    const dep = parsePackageJson(unit.manifest, pkg).data!.dependencies[0]!;
    const edits = editDependency(dep, rewriteConstraint('npm', dep.constraint, '1.0.0', '1.1.0')!, pkg);
    const res = await relock(r.root, { ...unit, lock: 'web/package-lock.json' }, { env, npmRegistry: index.npmUrl, edits });
    timings.push(`npm relock ${res.tool.ms} ms`);
    assert.equal(r.git('status', '--porcelain'), '');
    assert.deepEqual(r.bytes(), original);
    const lock = parsePackageLock('web/package-lock.json', res.after).data!;
    const lp = lock.packages.find((p) => p.name === 'left-pad')!;
    assert.equal(lp.version, '1.1.0');
    assert.equal(lp.integrity, index.npmDist('left-pad', '1.1.0').integrity);
    assert.equal(lp.resolved, index.npmDist('left-pad', '1.1.0').tarball);
    const scoped = lock.packages.find((p) => p.name === '@scope/is-thing')!;
    assert.equal(scoped.integrity, index.npmDist('@scope/is-thing', '2.0.0').integrity);
    assert.deepEqual(lock.root?.dependencies, { 'left-pad': '1.1.0' });

    const bad = editDependency(dep, '9.9.9', pkg);
    await assert.rejects(relock(r.root, { ...unit, lock: 'web/package-lock.json' }, { env, npmRegistry: index.npmUrl, edits: bad, write: true }), (e: Error) => e instanceof RelockError && /ETARGET|No matching version/.test(e.message));
    assert.equal(r.git('status', '--porcelain'), '');
    assert.deepEqual(r.bytes(), original);
  });
});

describe('relock plumbing', () => {
  it('picks the Poetry command by major version', () => {
    assert.deepEqual(poetryLockArgs('1.3.2'), ['lock', '--no-update', '--no-interaction', '--no-ansi']);
    assert.deepEqual(poetryLockArgs('2.1.1'), ['lock', '--no-interaction', '--no-ansi']);
    assert.deepEqual(poetryLockArgs('1.8.0', ['pkg-a']), ['update', '--lock', '--no-interaction', '--no-ansi', 'pkg-a']);
  });

  it('redacts credentials from tool output', () => {
    const out = redactSecrets('GET https://user:s3cret@pkgs.example.test/simple/x/ failed\n//registry.example.test/:_authToken=npm_abc123\nhttps://x.test/a.whl?token=abc&v=1\nAuthorization: Bearer xyz');
    assert.doesNotMatch(out, /s3cret|npm_abc123|token=abc|xyz/);
    assert.match(out, /https:\/\/\*\*\*@pkgs\.example\.test/);
  });

  it('refuses units it has no tool for', async () => {
    await assert.rejects(relock(tmp, { ecosystem: 'PyPI', manifest: 'requirements.txt' }), /no relock tool/);
  });
});
