import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { startPackageIndex, type PackageIndex } from '../helpers/package-index.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { runNpmLock, type RelockError } from '../../src/relock/index.ts';
import { explainRelockFailure } from '../../src/updates/relock-failure.ts';

/**
 * Issue 12, end to end with the real npm: the babel-8 case relocks as one change (the peer ranges link
 * @babel/preset-env 8 and @babel/plugin-transform-runtime 8 to @babel/core 8 — the presets are switched off, so
 * the peer ranges alone must do it); a relock that still fails says why in one line and where the full npm
 * output is.
 */
const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2026-11-20T10:00:00Z', GIT_COMMITTER_DATE: '2026-11-20T10:00:00Z' } }).trim();
const run = promisify(execFile);

describe('update relocks grouped changes with the real npm', { timeout: 300_000 }, () => {
  let index: PackageIndex;
  let repo: string;
  const home = mkdtempSync(path.join(tmpdir(), 'dw-groups-home-'));
  const env = (): NodeJS.ProcessEnv => ({ DEPWARDEN_HOME: home, HOME: home, SOURCE_DATE_EPOCH: String(Date.parse('2026-11-23T06:00:00Z') / 1000), PATH: process.env.PATH });

  before(async () => {
    index = await startPackageIndex({
      npm: [
        { name: '@babel/core', version: '7.24.0' },
        { name: '@babel/core', version: '8.0.0' },
        { name: '@babel/preset-env', version: '7.24.0', peerDependencies: { '@babel/core': '^7.0.0-0' } },
        { name: '@babel/preset-env', version: '8.0.7', peerDependencies: { '@babel/core': '^8.0.0' } },
        { name: '@babel/plugin-transform-runtime', version: '7.24.0', peerDependencies: { '@babel/core': '^7.0.0-0' } },
        { name: '@babel/plugin-transform-runtime', version: '8.1.2', peerDependencies: { '@babel/core': '^8.0.0' } },
        // A peer requirement one level down, invisible in the plan: the relock fails and must say why.
        { name: 'babel-helper-x', version: '2.0.0', peerDependencies: { '@babel/core': '^9.0.0' } },
        { name: 'plugin-x', version: '1.0.0' },
        { name: 'plugin-x', version: '1.1.0', dependencies: { 'babel-helper-x': '2.0.0' } },
      ],
    });
    repo = mkdtempSync(path.join(tmpdir(), 'dw-groups-repo-'));
    writeTree(
      {
        'web/package.json': `${JSON.stringify({ name: 'web', version: '1.0.0', private: true, dependencies: { '@babel/core': '7.24.0', '@babel/preset-env': '7.24.0', '@babel/plugin-transform-runtime': '7.24.0', 'plugin-x': '1.0.0' } }, null, 2)}\n`,
        'depwarden.yaml': `updates:\n  minimumReleaseAgeDays: 0\n  grouping: none\n  familyPresets: false\n  registries:\n    npm: ${index.npmUrl}\n  cache:\n    maxAgeMinutes: 0\n`,
        '.gitignore': '.depwarden/\n',
      },
      repo,
    );
    await run('npm', ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--registry', index.npmUrl, '--cache', path.join(home, 'npm')], { cwd: path.join(repo, 'web') });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'web');
  });

  after(async () => {
    await index.close();
  });

  it('commits the babel-8 majors as one change that relocks; the unfixable one fails with a one-line cause and a log file', async () => {
    const r = await runCli(['update', repo, '--force'], { env: env() });
    assert.equal(r.code, 1, r.stderr + r.stdout);
    const branches = git(repo, 'branch', '--format=%(refname:short)', '--list', 'depwarden/*').split('\n').filter(Boolean);
    const babel = branches.filter((b) => b.includes('babel'));
    assert.equal(babel.length, 1, `one babel change: ${branches.join(', ')}\n${r.stdout}`);
    const lock = JSON.parse(git(repo, 'show', `${babel[0]}:web/package-lock.json`)) as { packages: Record<string, { version: string }> };
    assert.equal(lock.packages['node_modules/@babel/core']!.version, '8.0.0');
    assert.equal(lock.packages['node_modules/@babel/preset-env']!.version, '8.0.7');
    assert.equal(lock.packages['node_modules/@babel/plugin-transform-runtime']!.version, '8.1.2');
    assert.match(r.stdout, /needs-approval \(1\) +major-babel-core-8\.0\.0-web +@babel\/core 7\.24\.0 -> 8\.0\.0 \(major\), @babel\/preset-env 7\.24\.0 -> 8\.0\.7 \(major\), @babel\/plugin-transform-runtime 7\.24\.0 -> 8\.1\.2 \(major\)/);
    assert.match(r.stdout, /\n {2}committed [0-9a-f]{12} on depwarden\/major-babel-core-8\.0\.0-web/);

    // plugin-x 1.1.0 brings babel-helper-x, whose peer range wants an @babel/core 9 nobody published: one line.
    const err = /\n {2}error: (.*)\n/.exec(r.stdout)?.[1] ?? '';
    assert.match(err, /^relock of web\/package\.json failed: babel-helper-x@2\.0\.0 requires @babel\/core@\^9\.0\.0 \(peer\) \(@babel\/core@7\.24\.0 in use\), and no published version matches; full npm output: \.depwarden\/updates\/web-plugin-x-1\.1\.0-[0-9a-f]{6}\.relock\.log$/);
    const log = /full npm output: (\S+)$/.exec(err)![1]!;
    assert.ok(existsSync(path.join(repo, log)), log);
    assert.match(readFileSync(path.join(repo, log), 'utf8'), /npm error code ETARGET/);
    assert.doesNotMatch(r.stdout, /npm error/);
  });

  it('npm\'s ERESOLVE report (what an ungrouped babel-8 change gets) becomes the cause and the grouping that fixes it', async () => {
    const dir = writeTree({ 'package.json': JSON.stringify({ name: 'solo', version: '1.0.0', dependencies: { '@babel/core': '7.24.0', '@babel/preset-env': '8.0.7' } }) });
    const e = await runNpmLock(dir, { registry: index.npmUrl, env: { HOME: home } }).then(
      () => assert.fail('npm accepted a peer conflict'),
      (x: unknown) => x as RelockError,
    );
    assert.match(e.output, /ERESOLVE/);
    assert.deepEqual(explainRelockFailure('npm', e.output), {
      cause: '@babel/preset-env@8.0.7 requires @babel/core@^8.0.0 (peer), found @babel/core@7.24.0',
      fix: 'plan an update of @babel/core into ^8.0.0 together with this change (a `families` entry or a rule with `group` in depwarden.yaml)',
    });
  });
});
