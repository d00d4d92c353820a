import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { uvConstraintEdit } from '../../src/updates/apply.ts';
import { startPackageIndex, type PackageIndex } from '../helpers/package-index.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * Issue 18, item 1 (update engine): a vulnerable package only a pnpm-lock.yaml, a yarn.lock (v1) or a uv.lock names
 * is fixed within the declared ranges: the real `pnpm update <pkg> --lockfile-only` and `yarn upgrade <pkg>` move
 * only the lock; uv cannot run here, so the uv change is a `[tool.uv] constraint-dependencies` entry and the PR
 * body says CI must run `uv lock`.
 */
const ROOT = path.resolve(import.meta.dirname, '..', '..');
const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2026-11-20T10:00:00Z', GIT_COMMITTER_DATE: '2026-11-20T10:00:00Z' } }).trim();
const osv = (id: string, ecosystem: string, name: string, fixed: string): string =>
  JSON.stringify({ id, modified: '2026-11-01T00:00:00Z', summary: `${name} is vulnerable`, affected: [{ package: { ecosystem, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }], severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' }] });

describe('uvConstraintEdit', () => {
  const apply = (text: string): string => {
    const e = uvConstraintEdit('pyproject.toml', text, 'pkg-b>=1.0.1');
    return text.slice(0, e.start) + e.replacement + text.slice(e.end);
  };
  it('adds to the array, under [tool.uv], or a new table', () => {
    assert.equal(apply('[project]\nname = "a"\n\n[tool.uv]\nconstraint-dependencies = ["x<2"]\n'), '[project]\nname = "a"\n\n[tool.uv]\nconstraint-dependencies = ["pkg-b>=1.0.1", "x<2"]\n');
    assert.equal(apply('[tool.uv]\nconstraint-dependencies = []\n'), '[tool.uv]\nconstraint-dependencies = ["pkg-b>=1.0.1"]\n');
    assert.equal(apply('[tool.uv]\npackage = false\n\n[tool.other]\nconstraint-dependencies = [1]\n'), '[tool.uv]\nconstraint-dependencies = ["pkg-b>=1.0.1"]\npackage = false\n\n[tool.other]\nconstraint-dependencies = [1]\n');
    assert.equal(apply('[project]\nname = "a"'), '[project]\nname = "a"\n\n[tool.uv]\nconstraint-dependencies = ["pkg-b>=1.0.1"]\n');
    assert.equal(apply('[project]\nname = "a"\n\n[[tool.uv.index]]\nname = "x"\n'), '[project]\nname = "a"\n\n[tool.uv]\nconstraint-dependencies = ["pkg-b>=1.0.1"]\n\n[[tool.uv.index]]\nname = "x"\n');
  });
});

describe('transitive security fixes in pnpm, Yarn and uv locks', { timeout: 300_000 }, () => {
  let index: PackageIndex;
  let repo: string;
  const home = mkdtempSync(path.join(tmpdir(), 'dw-transitive-new-home-'));
  const env = (): NodeJS.ProcessEnv => ({
    DEPWARDEN_HOME: home,
    HOME: home,
    XDG_CONFIG_HOME: path.join(home, '.config'),
    npm_config_userconfig: path.join(home, '.npmrc'),
    SOURCE_DATE_EPOCH: String(Date.parse('2026-11-25T12:00:00Z') / 1000),
    // The pinned Node first, then this checkout's Yarn 1 and pnpm (exact devDependencies; node_modules/.bin/yarn is Yarn 4).
    PATH: `${path.dirname(process.execPath)}:${path.join(ROOT, 'node_modules', 'yarn', 'bin')}:${path.join(ROOT, 'node_modules', '.bin')}:${process.env.PATH}`,
  });

  before(async () => {
    // The relock tools are found on this process's PATH (their environment is depwarden's controlled one).
    process.env.PATH = env().PATH;
    index = await startPackageIndex({
      python: [
        { name: 'pkg-b', version: '1.0.0' },
        { name: 'pkg-b', version: '1.0.1' },
        { name: 'pkg-a', version: '1.0.0', requiresDist: ['pkg-b>=1.0'] },
      ],
      npm: [
        { name: 'tiny-dep', version: '1.0.0' },
        { name: 'tiny-dep', version: '1.0.1' },
        { name: 'tiny-lib', version: '1.0.0', dependencies: { 'tiny-dep': '^1.0.0' } },
      ],
    });
    repo = mkdtempSync(path.join(tmpdir(), 'dw-transitive-new-repo-'));
    const pkg = `${JSON.stringify({ name: 'web', version: '1.0.0', private: true, dependencies: { 'tiny-lib': '1.0.0' } }, null, 2)}\n`;
    const dist = (n: string, v: string) => index.npmDist(n, v);
    // Locks as the tools write them, holding tiny-dep 1.0.0 (which ^1.0.0 allows; 1.0.1 is the fix).
    const pnpmLock = [
      "lockfileVersion: '9.0'",
      '',
      'settings:',
      '  autoInstallPeers: true',
      '  excludeLinksFromLockfile: false',
      '',
      'importers:',
      '',
      '  .:',
      '    dependencies:',
      '      tiny-lib:',
      '        specifier: 1.0.0',
      '        version: 1.0.0',
      '',
      'packages:',
      '',
      '  tiny-dep@1.0.0:',
      `    resolution: {integrity: ${dist('tiny-dep', '1.0.0').integrity}}`,
      '',
      '  tiny-lib@1.0.0:',
      `    resolution: {integrity: ${dist('tiny-lib', '1.0.0').integrity}}`,
      '',
      'snapshots:',
      '',
      '  tiny-dep@1.0.0: {}',
      '',
      '  tiny-lib@1.0.0:',
      '    dependencies:',
      '      tiny-dep: 1.0.0',
      '',
    ].join('\n');
    const yarnEntry = (key: string, n: string, v: string, deps?: string): string =>
      [`${key}:`, `  version "${v}"`, `  resolved "${dist(n, v).tarball}#${dist(n, v).shasum}"`, `  integrity ${dist(n, v).integrity}`, ...(deps ? ['  dependencies:', `    ${deps}`] : []), ''].join('\n');
    const yarnLock = ['# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.', '# yarn lockfile v1', '', '', yarnEntry('tiny-dep@^1.0.0', 'tiny-dep', '1.0.0'), yarnEntry('tiny-lib@1.0.0', 'tiny-lib', '1.0.0', 'tiny-dep "^1.0.0"')].join('\n');
    const wheel = (n: string, v: string): string => {
      const f = index.pyFiles(n, v)[0]!;
      return `wheels = [\n    { url = "${f.url}", hash = "${f.hashes[0]}" },\n]`;
    };
    const uvLock = [
      'version = 1',
      'revision = 1',
      'requires-python = ">=3.9"',
      '',
      '[[package]]',
      'name = "agent"',
      'version = "0.1.0"',
      'source = { virtual = "." }',
      'dependencies = [',
      '    { name = "pkg-a" },',
      ']',
      '',
      '[package.metadata]',
      'requires-dist = [{ name = "pkg-a", specifier = "==1.0.0" }]',
      '',
      '[[package]]',
      'name = "pkg-a"',
      'version = "1.0.0"',
      `source = { registry = "${index.simpleUrl}" }`,
      'dependencies = [',
      '    { name = "pkg-b" },',
      ']',
      wheel('pkg-a', '1.0.0'),
      '',
      '[[package]]',
      'name = "pkg-b"',
      'version = "1.0.0"',
      `source = { registry = "${index.simpleUrl}" }`,
      wheel('pkg-b', '1.0.0'),
      '',
    ].join('\n');
    const pyproject = `[project]\nname = "agent"\nversion = "0.1.0"\nrequires-python = ">=3.9"\ndependencies = ["pkg-a==1.0.0"]\n\n[[tool.uv.index]]\nname = "internal"\nurl = "${index.simpleUrl}"\ndefault = true\n`;
    writeTree(
      {
        'web-pnpm/package.json': pkg,
        'web-pnpm/pnpm-lock.yaml': pnpmLock,
        'web-yarn/package.json': pkg,
        'web-yarn/yarn.lock': yarnLock,
        'agent/pyproject.toml': pyproject,
        'agent/uv.lock': uvLock,
        'depwarden.yaml': `updates:\n  minimumReleaseAgeDays: 0\n  registries:\n    npm: ${index.npmUrl}\n  cache:\n    maxAgeMinutes: 0\n`,
        '.gitignore': '.depwarden/\n',
      },
      repo,
    );
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'fleet');
    const db = writeTree({ 'a.json': osv('GHSA-aaaa-bbbb-cccc', 'npm', 'tiny-dep', '1.0.1'), 'b.json': osv('PYSEC-2026-9', 'PyPI', 'pkg-b', '1.0.1') });
    const imported = await runCli(['db', 'import', db], { env: env() });
    assert.equal(imported.code, 0, imported.stderr);
  });
  after(async () => {
    await index.close();
  });

  it('pnpm and Yarn locks move only the vulnerable package with the real tools; the uv project gets a constraint for CI', async () => {
    const r = await runCli(['update', repo], { env: env() });
    assert.equal(r.code, 0, r.stderr + r.stdout);
    const branches = git(repo, 'branch', '--format=%(refname:short)', '--list', 'depwarden/*').split('\n').filter(Boolean).sort();
    assert.deepEqual(branches, ['depwarden/security-pkg-b-1.0.1', 'depwarden/security-tiny-dep-1.0.1'], r.stdout);

    const js = 'depwarden/security-tiny-dep-1.0.1';
    assert.deepEqual(git(repo, 'diff', '--name-only', `main..${js}`).split('\n').sort(), ['docs/dependency-changelog.md', 'web-pnpm/pnpm-lock.yaml', 'web-yarn/yarn.lock'], 'the manifests are untouched');
    assert.match(git(repo, 'show', `${js}:web-pnpm/pnpm-lock.yaml`), /^ {2}tiny-dep@1\.0\.1:$/m);
    assert.doesNotMatch(git(repo, 'show', `${js}:web-pnpm/pnpm-lock.yaml`), /tiny-dep@1\.0\.0/);
    assert.match(git(repo, 'show', `${js}:web-yarn/yarn.lock`), /tiny-dep@\^1\.0\.0:\n {2}version "1\.0\.1"/);
    const body = readFileSync(path.join(repo, '.depwarden/updates/security-tiny-dep-1.0.1.md'), 'utf8');
    assert.match(body, /`pnpm update <pkg> --lockfile-only`|`yarn upgrade <pkg>`/);

    const py = 'depwarden/security-pkg-b-1.0.1';
    assert.deepEqual(git(repo, 'diff', '--name-only', `main..${py}`).split('\n').sort(), ['agent/pyproject.toml', 'docs/dependency-changelog.md'], 'uv.lock is relocked in CI');
    assert.match(git(repo, 'show', `${py}:agent/pyproject.toml`), /\n\[tool\.uv\]\nconstraint-dependencies = \["pkg-b>=1\.0\.1"\]\n\n\[\[tool\.uv\.index\]\]/);
    const pyBody = readFileSync(path.join(repo, '.depwarden/updates/security-pkg-b-1.0.1.md'), 'utf8');
    assert.match(pyBody, /constraint "pkg-b>=1\.0\.1" is added to `\[tool\.uv\] constraint-dependencies` in agent\/pyproject\.toml/);
    assert.match(pyBody, /CI must run `uv lock` and commit agent\/uv\.lock before merging/);
  });
});
