import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';

const REPO = path.resolve(import.meta.dirname, '..', '..');
const FIX = path.resolve(import.meta.dirname, '..', 'fixtures', 'formats');

/**
 * The release tarball (`npm pack`) is enough to run depwarden from a node_modules folder, where Node itself
 * refuses to strip types: the launcher's load hook strips ours. The dependencies come from this checkout's
 * node_modules (linked), so the test needs no registry; `npm install -g` of the same tarball is documented in the README.
 */
describe('the npm pack tarball, installed', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-pack-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('runs from node_modules: --version, scan and sbom of a polyglot repository', { timeout: 120_000 }, () => {
    const out = execFileSync('npm', ['pack', '--silent', '--pack-destination', tmp], { cwd: REPO, encoding: 'utf8', env: { ...process.env, npm_config_update_notifier: 'false' } }).trim().split('\n').pop()!;
    const tgz = path.join(tmp, out);
    const files = execFileSync('tar', ['tzf', tgz], { encoding: 'utf8' }).split('\n');
    assert.ok(files.includes('package/bin/depwarden.js') && files.includes('package/src/cli/main.ts') && files.includes('package/schema/depwarden.defaults.json'));
    assert.ok(!files.some((f) => f.startsWith('package/test/')), 'tests and fixtures are not shipped');
    const prefix = path.join(tmp, 'prefix', 'node_modules');
    mkdirSync(prefix, { recursive: true });
    execFileSync('tar', ['xzf', tgz, '-C', path.dirname(prefix)]);
    cpSync(path.join(path.dirname(prefix), 'package'), path.join(prefix, 'depwarden'), { recursive: true });
    const deps = Object.keys((JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies);
    // Every runtime dependency (and theirs) as npm would lay them out: this checkout's node_modules, linked.
    for (const name of readdirSync(path.join(REPO, 'node_modules'))) {
      if (name === '.bin' || name === '.package-lock.json') continue;
      if (!existsSync(path.join(prefix, name))) symlinkSync(path.join(REPO, 'node_modules', name), path.join(prefix, name));
    }
    assert.ok(deps.every((d) => existsSync(path.join(prefix, d))));
    const bin = path.join(prefix, 'depwarden', 'bin', 'depwarden.js');
    const run = (...args: string[]) => execFileSync(process.execPath, [bin, ...args], { cwd: tmp, encoding: 'utf8', env: { ...process.env, SOURCE_DATE_EPOCH: '1700000000', DEPWARDEN_HOME: tmp } });
    assert.equal(run('--version').trim(), JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')).version);
    const repo = path.join(tmp, 'repo');
    cpSync(path.join(FIX, 'uv', 'langgraph-sdk-rev1'), path.join(repo, 'api'), { recursive: true });
    cpSync(path.join(FIX, 'pipenv', 'pipenv-examples'), path.join(repo, 'worker'), { recursive: true });
    const scan = JSON.parse(run('scan', repo, '--format', 'json')) as { files: { path: string; kind: string }[] };
    assert.deepEqual(scan.files.map((f) => f.kind).sort(), ['pipfile', 'pipfile-lock', 'pyproject', 'uv-lock']);
    const bom = JSON.parse(run('sbom', repo, '-f', 'cyclonedx-json')) as { components: unknown[] };
    assert.ok(bom.components.length >= 35);
  });
});
