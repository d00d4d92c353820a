import assert from 'node:assert/strict';
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { after, before, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { startPackageIndex, type PackageIndex } from '../helpers/package-index.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { needTool } from '../helpers/system-tool.ts';

/**
 * Issue 12, item 3, with the real `poetry lock`: boto3 pins botocore to its own minor line, so boto3 1.1.0 and
 * botocore 1.1.0 relock only together. Without the presets each change fails (and says why in one line, naming
 * the package and range, with Poetry's full output in a log file); with them (the default) they are one change
 * that relocks.
 */
const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_DATE: '2026-11-20T10:00:00Z', GIT_COMMITTER_DATE: '2026-11-20T10:00:00Z' } }).trim();
const run = promisify(execFile);

describe('update relocks a Poetry family as one change', { timeout: 300_000, skip: needTool('poetry', 'apt-get install python3-poetry') }, () => {
  let index: PackageIndex;
  let repo: string;
  const home = mkdtempSync(path.join(tmpdir(), 'dw-poetry-groups-home-'));
  const env = (): NodeJS.ProcessEnv => ({ DEPWARDEN_HOME: home, HOME: home, SOURCE_DATE_EPOCH: String(Date.parse('2026-11-23T06:00:00Z') / 1000), PATH: process.env.PATH });
  const yaml = (presets: boolean): string => `updates:\n  minimumReleaseAgeDays: 0\n  grouping: none\n  familyPresets: ${presets}\n  cache:\n    maxAgeMinutes: 0\n`;

  before(async () => {
    index = await startPackageIndex({
      python: [
        { name: 'botocore', version: '1.0.0' },
        { name: 'botocore', version: '1.1.0' },
        { name: 'boto3', version: '1.0.0', requiresDist: ['botocore>=1.0.0,<1.1.0'] },
        { name: 'boto3', version: '1.1.0', requiresDist: ['botocore>=1.1.0,<1.2.0'] },
      ],
    });
    repo = mkdtempSync(path.join(tmpdir(), 'dw-poetry-groups-repo-'));
    writeTree(
      {
        'api/pyproject.toml': `[tool.poetry]\nname = "api"\nversion = "0.1.0"\ndescription = ""\nauthors = ["fleet <fleet@example.com>"]\n\n[tool.poetry.dependencies]\npython = "^3.9"\nboto3 = "1.0.0"\nbotocore = "1.0.0"\n\n[[tool.poetry.source]]\nname = "internal"\nurl = "${index.simpleUrl}"\ndefault = true\n`,
        'depwarden.yaml': yaml(false),
        '.gitignore': '.depwarden/\n',
      },
      repo,
    );
    await run('poetry', ['lock', '--no-update'], { cwd: path.join(repo, 'api'), env: { ...process.env, HOME: home, POETRY_CACHE_DIR: path.join(home, 'poetry'), POETRY_VIRTUALENVS_CREATE: 'false', PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring' } });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'api');
  });

  after(async () => {
    await index.close();
  });

  it('without the presets each half fails with the cause in one line; with them one change relocks', async () => {
    const apart = await runCli(['update', repo, '--force'], { env: env() });
    assert.equal(apart.code, 1, apart.stderr + apart.stdout);
    const errors = [...apart.stdout.matchAll(/\n {2}error: (.*)\n/g)].map((m) => m[1]!);
    assert.equal(errors.length, 2, apart.stdout);
    const boto3 = errors.find((e) => /botocore \(>=1\.1\.0,<1\.2\.0\)/.test(e));
    assert.ok(boto3, errors.join('\n'));
    assert.match(boto3, /^relock of api\/pyproject\.toml failed: Because .*boto3 \(1\.1\.0\) (which )?depends on botocore \(>=1\.1\.0,<1\.2\.0\).*; fix: plan an update of botocore into >=1\.1\.0,<1\.2\.0 together with this change .*; full poetry output: (\.depwarden\/updates\/\S+\.relock\.log)$/);
    assert.ok(existsSync(path.join(repo, /full poetry output: (\S+)$/.exec(boto3)![1]!)));
    assert.equal(git(repo, 'branch', '--list', 'depwarden/*'), '');

    writeTree({ 'depwarden.yaml': yaml(true) }, repo);
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qam', 'presets on');
    const together = await runCli(['update', repo, '--force'], { env: env() });
    assert.equal(together.code, 0, together.stderr + together.stdout);
    const branches = git(repo, 'branch', '--format=%(refname:short)', '--list', 'depwarden/*').split('\n').filter(Boolean);
    assert.equal(branches.length, 1, together.stdout);
    const lock = git(repo, 'show', `${branches[0]}:api/poetry.lock`);
    assert.match(lock, /name = "boto3"\nversion = "1\.1\.0"/);
    assert.match(lock, /name = "botocore"\nversion = "1\.1\.0"/);
    assert.match(git(repo, 'show', `${branches[0]}:api/pyproject.toml`), /boto3 = "1\.1\.0"\nbotocore = "1\.1\.0"/);
    assert.match(together.stdout, /Planned together|merge-after-tests \(1\) +\S+ +boto3 1\.0\.0 -> 1\.1\.0, botocore 1\.0\.0 -> 1\.1\.0/);
  });
});
