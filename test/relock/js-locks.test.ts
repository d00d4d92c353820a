import assert from 'node:assert/strict';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { editDependency } from '../../src/edit/dependency-edit.ts';
import { parsePackageJson } from '../../src/formats/package-json.ts';
import { parsePnpmLock } from '../../src/formats/pnpm-lock.ts';
import { parseYarnLock } from '../../src/formats/yarn-lock.ts';
import { relock, RelockError } from '../../src/relock/index.ts';
import { startPackageIndex, type PackageIndex } from '../helpers/package-index.ts';

/**
 * The real pnpm and Yarn (classic and berry: exact devDependencies, run on the pinned Node) against an npm
 * registry on 127.0.0.1; HOME and every cache point into a temp dir, so nothing else is asked.
 */
const require = createRequire(import.meta.url);
const TOOLS = {
  // pnpm 10's exports map lets no subpath be resolved: its bin is found where npm installed the devDependency.
  pnpm: path.resolve(import.meta.dirname, '..', '..', 'node_modules', 'pnpm', 'bin', 'pnpm.cjs'),
  yarnClassic: path.join(path.dirname(require.resolve('yarn/package.json')), 'bin', 'yarn.js'),
  yarnBerry: path.join(path.dirname(require.resolve('@yarnpkg/cli-dist/package.json')), 'bin', 'yarn.js'),
};
const SLOW = { timeout: 180_000 };
let index: PackageIndex;
let tmp: string;
let env: Record<string, string>;

before(async () => {
  index = await startPackageIndex({
    npm: [
      { name: 'left-pad', version: '1.0.0' },
      { name: 'left-pad', version: '1.1.0', dependencies: { '@scope/is-thing': '^2.0.0' } },
      { name: '@scope/is-thing', version: '2.0.0' },
    ],
  });
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'depwarden-jslock-'));
  env = { HOME: tmp, XDG_CONFIG_HOME: path.join(tmp, '.config'), npm_config_userconfig: path.join(tmp, '.npmrc') };
});
after(async () => {
  await index.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

function project(name: string): string {
  const root = fs.mkdtempSync(path.join(tmp, `${name}-`));
  fs.mkdirSync(path.join(root, 'web'));
  fs.writeFileSync(path.join(root, 'web', 'package.json'), `${JSON.stringify({ name: 'web', version: '1.0.0', private: true, dependencies: { 'left-pad': '1.0.0' } }, null, 2)}\n`);
  return root;
}

/** Locks at left-pad 1.0.0, then edits the manifest to 1.1.0 and relocks: the lock follows, with the new transitive package. */
async function lockThenMove(root: string, lockName: string, tool: Record<string, string>, read: (text: string) => Map<string, string>): Promise<void> {
  const unit = { ecosystem: 'npm' as const, manifest: 'web/package.json', lock: `web/${lockName}` };
  // No lock yet: the tool writes the first one.
  const asked = index.requests.length;
  const first = await relock(root, unit, { env, npmRegistry: index.npmUrl, write: true, ...tool });
  assert.ok(index.requests.slice(asked).some((r) => r.includes('left-pad')), 'the tool asked the local registry');
  assert.equal(read(first.after).get('left-pad'), '1.0.0');
  const text = fs.readFileSync(path.join(root, unit.manifest), 'utf8');
  const dep = parsePackageJson(unit.manifest, text).data!.dependencies[0]!;
  const moved = await relock(root, unit, { env, npmRegistry: index.npmUrl, edits: editDependency(dep, '1.1.0', text), ...tool });
  const got = read(moved.after);
  assert.equal(got.get('left-pad'), '1.1.0');
  assert.equal(got.get('@scope/is-thing'), '2.0.0');
  // Not written: the tree is as it was (the 1.0.0 lock and manifest).
  assert.equal(read(fs.readFileSync(path.join(root, unit.lock), 'utf8')).get('left-pad'), '1.0.0');
  assert.match(fs.readFileSync(path.join(root, unit.manifest), 'utf8'), /"left-pad": "1\.0\.0"/);
  assert.deepEqual(moved.changed.map((c) => c.file), ['web/package.json']);
  assert.ok(!fs.existsSync(path.join(root, 'web', 'node_modules')), 'nothing installed');
}

const versions = (pkgs: { name: string; version: string }[]): Map<string, string> => new Map(pkgs.map((p) => [p.name, p.version]));

describe('relock with the real pnpm and Yarn', () => {
  it('pnpm: --lockfile-only against the registry', SLOW, async () => {
    await lockThenMove(project('pnpm'), 'pnpm-lock.yaml', { pnpm: TOOLS.pnpm }, (t) => versions(parsePnpmLock('x', t).data!.packages));
  });

  it('Yarn classic: install into a scratch modules folder, lock kept', SLOW, async () => {
    await lockThenMove(project('yarn1'), 'yarn.lock', { yarn: TOOLS.yarnClassic }, (t) => {
      const d = parseYarnLock('x', t).data!;
      assert.equal(d.flavor, 'v1');
      return versions(d.packages);
    });
  });

  it('Yarn berry: --mode=update-lockfile', SLOW, async () => {
    await lockThenMove(project('berry'), 'yarn.lock', { yarn: TOOLS.yarnBerry }, (t) => {
      const d = parseYarnLock('x', t).data!;
      assert.equal(d.flavor, 'berry');
      return versions(d.packages.filter((p) => !p.workspace));
    });
  });

  it('a lock of the other Yarn flavour is refused, and uv.lock says the relock must run in CI', SLOW, async () => {
    const root = project('mismatch');
    fs.writeFileSync(path.join(root, 'web', 'yarn.lock'), '# yarn lockfile v1\n\n');
    await assert.rejects(relock(root, { ecosystem: 'npm', manifest: 'web/package.json', lock: 'web/yarn.lock' }, { env, npmRegistry: index.npmUrl, yarn: TOOLS.yarnBerry }), (e: Error) => e instanceof RelockError && /Yarn classic \(v1\) lock but yarn 4/.test(e.message));
    assert.equal(fs.readFileSync(path.join(root, 'web', 'yarn.lock'), 'utf8'), '# yarn lockfile v1\n\n');
    await assert.rejects(relock(root, { ecosystem: 'PyPI', manifest: 'api/pyproject.toml', lock: 'api/uv.lock' }), (e: Error) => e instanceof RelockError && /`uv lock`.*must run in CI/.test(e.message));
  });
});
