import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { startPackageIndex, type PackageIndex } from '../helpers/package-index.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { needTool } from '../helpers/system-tool.ts';

/**
 * Issue 12, item 4: a vulnerable package only a lock names is fixed in the emergency lane by a lock-only update
 * (the real `npm update <pkg> --package-lock-only` and `poetry update --lock <pkg>`), manifests untouched; when
 * the declared ranges forbid the fix, the change fails saying who holds it back and what would fix it.
 */
const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2026-11-20T10:00:00Z', GIT_COMMITTER_DATE: '2026-11-20T10:00:00Z' } }).trim();
const run = promisify(execFile);

const osv = (id: string, ecosystem: string, name: string, fixed: string): string =>
  JSON.stringify({ id, modified: '2026-11-01T00:00:00Z', summary: `${name} is vulnerable`, affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }], severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] });

describe('transitive security fixes by lock-only updates', { timeout: 300_000, skip: needTool('poetry', 'apt-get install python3-poetry') }, () => {
  let index: PackageIndex;
  let repo: string;
  const home = mkdtempSync(path.join(tmpdir(), 'dw-transitive-home-'));
  const env = (): NodeJS.ProcessEnv => ({ DEPWARDEN_HOME: home, HOME: home, SOURCE_DATE_EPOCH: String(Date.parse('2026-11-25T12:00:00Z') / 1000), PATH: process.env.PATH });
  const poetryEnv = { ...process.env, HOME: home, POETRY_CACHE_DIR: path.join(home, 'poetry'), POETRY_VIRTUALENVS_CREATE: 'false', PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring' };
  const npmArgs = (): string[] => ['install', '--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--registry', index.npmUrl, '--cache', path.join(home, 'npm')];

  before(async () => {
    index = await startPackageIndex({
      python: [
        { name: 'pkg-b', version: '1.0.0' },
        { name: 'pkg-b', version: '1.0.1' },
        { name: 'pkg-a', version: '1.0.0', requiresDist: ['pkg-b>=1.0'] },
      ],
      npm: [
        { name: 'tiny-dep', version: '1.0.0' },
        { name: 'tiny-dep', version: '1.0.1' },
        { name: 'held-dep', version: '1.0.0' },
        { name: 'held-dep', version: '1.1.0' },
        { name: 'tiny-lib', version: '1.0.0', dependencies: { 'tiny-dep': '^1.0.0', 'held-dep': '~1.0.0' } },
        // The smallest release of the direct dependency that admits the fix (transitiveFix: bump), and a later one.
        { name: 'tiny-lib', version: '1.1.0', dependencies: { 'tiny-dep': '^1.0.0', 'held-dep': '^1.1.0' } },
        { name: 'tiny-lib', version: '2.0.0', dependencies: { 'tiny-dep': '^1.0.0', 'held-dep': '^1.1.0' } },
      ],
    });
    repo = mkdtempSync(path.join(tmpdir(), 'dw-transitive-repo-'));
    // The vulnerable versions get into the locks the way they do in life: once declared, later only required.
    const pkg = (deps: Record<string, string>): string => `${JSON.stringify({ name: 'web', version: '1.0.0', private: true, dependencies: deps }, null, 2)}\n`;
    const pyproject = (deps: string): string => `[tool.poetry]\nname = "agent"\nversion = "0.1.0"\ndescription = ""\nauthors = ["fleet <fleet@example.com>"]\n\n[tool.poetry.dependencies]\npython = "^3.9"\n${deps}\n[[tool.poetry.source]]\nname = "internal"\nurl = "${index.simpleUrl}"\ndefault = true\n`;
    writeTree({ 'web/package.json': pkg({ 'tiny-lib': '1.0.0', 'tiny-dep': '1.0.0' }), 'agent/pyproject.toml': pyproject('pkg-a = "1.0.0"\npkg-b = "1.0.0"\n'), 'depwarden.yaml': `updates:\n  minimumReleaseAgeDays: 0\n  registries:\n    npm: ${index.npmUrl}\n  cache:\n    maxAgeMinutes: 0\n`, '.gitignore': '.depwarden/\n' }, repo);
    await run('npm', npmArgs(), { cwd: path.join(repo, 'web') });
    await run('poetry', ['lock', '--no-update'], { cwd: path.join(repo, 'agent'), env: poetryEnv });
    writeFileSync(path.join(repo, 'web/package.json'), pkg({ 'tiny-lib': '1.0.0' }));
    writeFileSync(path.join(repo, 'agent/pyproject.toml'), pyproject('pkg-a = "1.0.0"\n'));
    await run('npm', npmArgs(), { cwd: path.join(repo, 'web') });
    await run('poetry', ['lock', '--no-update'], { cwd: path.join(repo, 'agent'), env: poetryEnv });
    assert.equal(JSON.parse(readFileSync(path.join(repo, 'web/package-lock.json'), 'utf8')).packages['node_modules/tiny-dep'].version, '1.0.0');
    assert.match(readFileSync(path.join(repo, 'agent/poetry.lock'), 'utf8'), /name = "pkg-b"\nversion = "1\.0\.0"/);
    // A pip-compile service: pkg-b is pinned (with its hash) only in the compiled lock, required by pkg-a.
    const pin = (name: string, version: string, via: string): string => `${name}==${version} \\\n    --hash=${index.pyFiles(name, version)[0]!.hashes[0]}\n    # via ${via}\n`;
    writeTree({ 'tools/requirements.in': 'pkg-a==1.0.0\n', 'tools/requirements.txt': `--index-url ${index.simpleUrl}\n\n${pin('pkg-a', '1.0.0', '-r requirements.in')}${pin('pkg-b', '1.0.0', 'pkg-a')}` }, repo);
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'fleet');

    const db = writeTree({ 'a.json': osv('GHSA-aaaa-bbbb-cccc', 'npm', 'tiny-dep', '1.0.1'), 'b.json': osv('PYSEC-2026-9', 'PyPI', 'pkg-b', '1.0.1'), 'c.json': osv('GHSA-dddd-eeee-ffff', 'npm', 'held-dep', '1.1.0') });
    const imported = await runCli(['db', 'import', db], { env: env() });
    assert.equal(imported.code, 0, imported.stderr);
  });

  after(async () => {
    await index.close();
  });

  it('npm and Poetry locks move only the vulnerable package; a fix the ranges forbid is forced by an npm override the PR body explains', async () => {
    // Off schedule (a Wednesday): only the emergency lane runs.
    const r = await runCli(['update', repo], { env: env() });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    assert.doesNotMatch(r.stdout, /not planned/);
    const branches = git(repo, 'branch', '--format=%(refname:short)', '--list', 'depwarden/*').split('\n').filter(Boolean).sort();
    assert.deepEqual(branches, ['depwarden/security-held-dep-1.1.0', 'depwarden/security-pkg-b-1.0.1', 'depwarden/security-tiny-dep-1.0.1'], r.stdout);

    const npmFiles = git(repo, 'diff', '--name-only', 'main..depwarden/security-tiny-dep-1.0.1').split('\n').sort();
    assert.deepEqual(npmFiles, ['docs/dependency-changelog.md', 'web/package-lock.json'], 'the manifest is untouched');
    const lock = JSON.parse(git(repo, 'show', 'depwarden/security-tiny-dep-1.0.1:web/package-lock.json')) as { packages: Record<string, { version: string }> };
    assert.equal(lock.packages['node_modules/tiny-dep']!.version, '1.0.1');
    assert.equal(lock.packages['node_modules/held-dep']!.version, '1.0.0', 'nothing else moved');

    const pyFiles = git(repo, 'diff', '--name-only', 'main..depwarden/security-pkg-b-1.0.1').split('\n').sort();
    assert.deepEqual(pyFiles, ['agent/poetry.lock', 'docs/dependency-changelog.md', 'tools/requirements.txt'], 'the same fix in the Poetry lock and in the compiled requirements, manifests untouched');
    assert.match(git(repo, 'show', 'depwarden/security-pkg-b-1.0.1:agent/poetry.lock'), /name = "pkg-b"\nversion = "1\.0\.1"/);
    // The compiled lock: the new pin with the served hash of 1.0.1, its `# via` and everything else as it was.
    const compiled = git(repo, 'show', 'depwarden/security-pkg-b-1.0.1:tools/requirements.txt');
    assert.equal(compiled, git(repo, 'show', 'main:tools/requirements.txt').replace('pkg-b==1.0.0', 'pkg-b==1.0.1').replace(index.pyFiles('pkg-b', '1.0.0')[0]!.hashes[0]!, index.pyFiles('pkg-b', '1.0.1')[0]!.hashes[0]!));
    const pyBody = readFileSync(path.join(repo, '.depwarden/updates/security-pkg-b-1.0.1.md'), 'utf8');
    assert.match(pyBody, /pkg-b is pinned only in tools\/requirements\.txt \(compiled from tools\/requirements\.in; required by pkg-a\): its pin moves to 1\.0\.1 with the sha256 of every file the index publishes for it\. pip-compile did not run, .*`pip-compile --upgrade-package pkg-b==1\.0\.1 --generate-hashes tools\/requirements\.in`/);

    const body = readFileSync(path.join(repo, '.depwarden/updates/security-tiny-dep-1.0.1.md'), 'utf8');
    assert.match(body, /Transitive: tiny-dep 1\.0\.0 -> 1\.0\.1 in web\/package-lock\.json — no manifest declares it, so only the lock moves \(`npm update <pkg> --package-lock-only`\), within the declared ranges\./);

    // held-dep 1.1.0 is outside tiny-lib's ~1.0.0: the default policy forces it with an npm override.
    const held = 'depwarden/security-held-dep-1.1.0';
    assert.deepEqual(JSON.parse(git(repo, 'show', `${held}:web/package.json`)).overrides, { 'held-dep': '^1.1.0' });
    assert.equal((JSON.parse(git(repo, 'show', `${held}:web/package-lock.json`)) as { packages: Record<string, { version: string }> }).packages['node_modules/held-dep']!.version, '1.1.0');
    assert.match(readFileSync(path.join(repo, '.depwarden/updates/security-held-dep-1.1.0.md'), 'utf8'), /Transitive fix forced: the declared ranges keep held-dep below 1\.1\.0 \(tiny-lib 1\.0\.0 requires held-dep@~1\.0\.0\), so the policy \(updates\.transitiveFix: override\) adds an `overrides` entry "held-dep": "\^1\.1\.0" to web\/package\.json/);
  });

  it('with transitiveFix: lock-only the forbidden fix fails, naming who holds it back and what would fix it', async () => {
    writeTree({ 'depwarden.yaml': `updates:\n  minimumReleaseAgeDays: 0\n  transitiveFix: lock-only\n  registries:\n    npm: ${index.npmUrl}\n  cache:\n    maxAgeMinutes: 0\n` }, repo);
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'lock-only');
    const r = await runCli(['update', repo, '--only', 'security-held-dep-1.1.0'], { env: env() });
    assert.equal(r.code, 1, r.stderr + r.stdout);
    assert.match(r.stdout, /error: held-dep stays at 1\.0\.0 in web\/package-lock\.json: the declared ranges forbid 1\.1\.0 \(tiny-lib 1\.0\.0 requires held-dep@~1\.0\.0\); fix: bump the direct dependency that requires it, or an `overrides` entry "held-dep": "\^1\.1\.0" in package\.json/);
  });

  it('with transitiveFix: bump the direct dependency that holds the fix back moves to its smallest release that admits it, no override', async () => {
    writeTree({ 'depwarden.yaml': `updates:\n  minimumReleaseAgeDays: 0\n  transitiveFix: bump\n  registries:\n    npm: ${index.npmUrl}\n  cache:\n    maxAgeMinutes: 0\n` }, repo);
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'bump');
    const r = await runCli(['update', repo, '--only', 'security-held-dep-1.1.0'], { env: env() });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const held = 'depwarden/security-held-dep-1.1.0';
    const manifest = JSON.parse(git(repo, 'show', `${held}:web/package.json`)) as { dependencies: Record<string, string>; overrides?: unknown };
    assert.deepEqual(manifest.dependencies, { 'tiny-lib': '1.1.0' }, `tiny-lib 1.1.0, not the newest 2.0.0\n${r.stdout}\n${r.stderr}\n${readFileSync(path.join(repo, '.depwarden/updates/security-held-dep-1.1.0.md'), 'utf8')}`);
    assert.equal(manifest.overrides, undefined);
    const lock = JSON.parse(git(repo, 'show', `${held}:web/package-lock.json`)) as { packages: Record<string, { version: string }> };
    assert.equal(lock.packages['node_modules/held-dep']!.version, '1.1.0');
    assert.equal(lock.packages['node_modules/tiny-lib']!.version, '1.1.0');
    assert.match(readFileSync(path.join(repo, '.depwarden/updates/security-held-dep-1.1.0.md'), 'utf8'), /Transitive fix by the smallest direct-dependency bump \(updates\.transitiveFix: bump\): tiny-lib 1\.0\.0 requires held-dep@~1\.0\.0; tiny-lib 1\.1\.0 requires \^1\.1\.0, so tiny-lib moves 1\.0\.0 -> 1\.1\.0\./);
  });
});
