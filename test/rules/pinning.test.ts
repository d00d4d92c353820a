import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CORPUS } from '../helpers/corpus.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

interface JsonFinding {
  ruleId: string;
  severity: string;
  file: string;
  line: number;
  message: string;
  hint?: string;
  detail?: string;
  subject?: string;
  properties?: Record<string, unknown>;
}

async function dw001(root: string): Promise<JsonFinding[]> {
  const r = await runCli(['check', root, '--format', 'json', '--fail-on', 'critical']);
  assert.equal(r.code, 0, r.stderr);
  return (JSON.parse(r.stdout) as { findings: JsonFinding[] }).findings.filter((f) => f.ruleId === 'DW001');
}

const H = (c: string): string => `sha256:${c.repeat(64)}`;
const SRI = 'sha512-' + 'A'.repeat(86) + '==';

function npmLock(pkgs: Record<string, { version: string; integrity?: boolean }>, declared: Record<string, string>): string {
  const packages: Record<string, unknown> = { '': { name: 'web', dependencies: declared } };
  for (const [n, p] of Object.entries(pkgs)) packages[`node_modules/${n}`] = { version: p.version, resolved: `https://registry.npmjs.org/${n}/-/${n}-${p.version}.tgz`, ...(p.integrity === false ? {} : { integrity: SRI }) };
  return JSON.stringify({ name: 'web', lockfileVersion: 3, requires: true, packages }, null, 2) + '\n';
}

/** DW001 reported the way a person acts on it (issue 19, item 5). */
describe('DW001: one finding per manifest', () => {
  it('lists every unpinned dependency once per manifest; medium when a hashed lock pins them all', async () => {
    const declared = { ioredis: '^4.28.3', express: '~4.18.0', lodash: '4.17.21' };
    const root = writeTree({
      'web/package.json': JSON.stringify({ name: 'web', version: '1.0.0', dependencies: declared }, null, 2) + '\n',
      'web/package-lock.json': npmLock({ ioredis: { version: '4.28.5' }, express: { version: '4.18.2' }, lodash: { version: '4.17.21' } }, declared),
    });
    const fs = await dw001(root);
    assert.equal(fs.length, 1);
    const f = fs[0]!;
    assert.equal(f.severity, 'medium');
    assert.equal(f.file, 'web/package.json');
    assert.equal(f.subject, 'web/package.json');
    assert.equal(f.line, 5, 'at the first unpinned declaration');
    assert.equal(f.message, '2 direct dependencies are not pinned exactly: ioredis "^4.28.3", express "~4.18.0"');
    assert.equal(f.hint, 'Pin them to the versions web/package-lock.json holds: "ioredis": "4.28.5", "express": "4.18.2" (`depwarden check --fix` writes them).');
    assert.deepEqual(f.properties, { count: 2, dependencies: ['ioredis', 'express'], locked: ['ioredis@4.28.5', 'express@4.18.2'], notLocked: [], lockPinsAll: true, lock: 'web/package-lock.json' });
    assert.match(f.detail ?? '', /^ioredis \^4\.28\.3 \(line 5, main\): web\/package-lock\.json holds 4\.28\.5; pin "ioredis": "4\.28\.5"$/m);
  });

  it('is high when a dependency is missing from the lock, when the lock has no hash for it, or when there is no lock', async () => {
    const declared = { ioredis: '^4.28.3', express: '~4.18.0' };
    const root = writeTree({
      'partial/package.json': JSON.stringify({ name: 'partial', dependencies: declared }) + '\n',
      'partial/package-lock.json': npmLock({ ioredis: { version: '4.28.5' } }, declared),
      'nohash/package.json': JSON.stringify({ name: 'nohash', dependencies: { ioredis: '^4.28.3' } }) + '\n',
      'nohash/package-lock.json': npmLock({ ioredis: { version: '4.28.5', integrity: false } }, { ioredis: '^4.28.3' }),
      'nolock/requirements.txt': 'requests>=2.31\nhttpx\n',
    });
    const by = Object.fromEntries((await dw001(root)).map((f) => [f.file, f]));
    assert.deepEqual(Object.keys(by).sort(), ['nohash/package.json', 'nolock/requirements.txt', 'partial/package.json']);
    assert.equal(by['partial/package.json']!.severity, 'high');
    assert.deepEqual(by['partial/package.json']!.properties!.notLocked, ['express']);
    assert.equal(by['partial/package.json']!.hint, 'Pin it to the version partial/package-lock.json holds: "ioredis": "4.28.5" (`depwarden check --fix` writes them); express is not in the lock: relock, then pin.');
    assert.equal(by['nohash/package.json']!.severity, 'high');
    assert.equal(by['nohash/package.json']!.properties!.lockPinsAll, false);
    assert.equal(by['nolock/requirements.txt']!.severity, 'high');
    assert.equal(by['nolock/requirements.txt']!.hint, 'No lock pins them: pin each to one exact version (e.g. requests==<version>) and commit a lock (DW002).');
  });

  it('never for path, workspace, editable, git-at-a-commit or peer dependencies', async () => {
    const root = writeTree({
      'app/package.json': JSON.stringify({ name: 'app', dependencies: { lib: 'file:../lib', ws: 'workspace:*', gitdep: 'github:o/r#0123456789abcdef0123456789abcdef01234567' }, peerDependencies: { react: '>=18' } }) + '\n',
      'py/requirements.txt': '-e ../lib\n./vendored/pkg\n',
      'svc/pyproject.toml':
        '[project]\nname = "svc"\nversion = "0.1.0"\ndependencies = ["osv", "attrs==23.2.0"]\n\n[tool.poetry.dependencies]\nosv = { path = "../", develop = true }\ntool = { git = "https://github.com/o/tool.git", rev = "0123456789abcdef0123456789abcdef01234567" }\n',
      'svc/poetry.lock':
        '[[package]]\nname = "attrs"\nversion = "23.2.0"\ndescription = ""\noptional = false\npython-versions = ">=3.7"\nfiles = [{file = "attrs-23.2.0.tar.gz", hash = "' + H('1') + '"}]\n\n[[package]]\nname = "osv"\nversion = "0.1.2"\ndescription = ""\noptional = false\npython-versions = ">=3.11"\nfiles = []\ndevelop = true\n\n[package.source]\ntype = "directory"\nurl = ".."\n\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "0"\n',
    });
    assert.deepEqual(await dw001(root), []);
  });

  it('a pip-compile .in is paired with its compiled .txt: medium when the .txt is hashed, high when not; constraints files are not manifests', async () => {
    const root = writeTree({
      'a/requirements.in': '-c constraints.txt\nrequests\nhttpx>=0.27\n',
      'a/constraints.txt': 'urllib3<3\n',
      'a/requirements.txt': `# This file is autogenerated by pip-compile with Python 3.12\nhttpx==0.27.2 \\\n    --hash=${H('2')}\n    # via -r requirements.in\nrequests==2.32.3 \\\n    --hash=${H('3')}\n    # via -r requirements.in\n`,
      'b/requirements.in': 'requests\n',
      'b/requirements.txt': '# This file is autogenerated by pip-compile with Python 3.12\nrequests==2.32.3\n    # via -r requirements.in\n',
    });
    const by = Object.fromEntries((await dw001(root)).map((f) => [f.file, f]));
    assert.deepEqual(Object.keys(by).sort(), ['a/requirements.in', 'b/requirements.in']);
    assert.equal(by['a/requirements.in']!.severity, 'medium');
    assert.equal(by['a/requirements.in']!.hint, 'Pin them to the versions a/requirements.txt holds: requests==2.32.3, httpx==0.27.2 (`depwarden check --fix` writes them).');
    assert.equal(by['b/requirements.in']!.severity, 'high');
    assert.equal(by['b/requirements.in']!.hint, 'Pin it to the version b/requirements.txt holds: requests==2.32.3.');
  });
});

/** The "done when": the shared corpus monorepos (and a pip-compile repository) give at most one DW001 per manifest. */
describe('DW001 on the shared corpus', () => {
  for (const c of ['monorepo/google__osv.dev', 'monorepo/reworkd__AgentGPT', 'monorepo/microsoft__presidio', 'requirements/pypi__warehouse']) {
    it(`${c}: at most one DW001 per manifest`, async () => {
      const fs = await dw001(path.join(CORPUS, c));
      assert.ok(fs.length > 0, 'the case has unpinned manifests');
      const perFile = new Map<string, number>();
      for (const f of fs) perFile.set(f.file, (perFile.get(f.file) ?? 0) + 1);
      for (const [file, n] of perFile) assert.equal(n, 1, `${file}: ${n} DW001 findings`);
      for (const f of fs) assert.equal(f.properties!.count, (f.detail ?? '').split('\n').length, `${f.file}: the detail lists every dependency`);
    });
  }
  it('pypi/warehouse: every .in is paired with its hashed .txt, so each is medium, not high', async () => {
    const fs = await dw001(path.join(CORPUS, 'requirements/pypi__warehouse'));
    const ins = fs.filter((f) => f.file.endsWith('.in'));
    assert.ok(ins.length >= 5);
    for (const f of ins) assert.equal(f.severity, 'medium', f.file);
  });
});
