import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { analyzeConflicts } from '../../src/conflicts/index.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { CORPUS, corpusCases } from '../helpers/corpus.ts';
import { runCli } from '../helpers/run-cli.ts';

const HASH = `sha256:${'1'.repeat(64)}`;
type Pkg = { name: string; version: string; deps?: Record<string, string> };
const lock = (pkgs: Pkg[], python = '^3.11'): string =>
  `${pkgs.map((p) => `[[package]]\nname = "${p.name}"\nversion = "${p.version}"\ndescription = ""\noptional = false\npython-versions = "*"\ngroups = ["main"]\nfiles = [{file = "f", hash = "${HASH}"}]\n${p.deps ? `\n[package.dependencies]\n${Object.entries(p.deps).map(([k, v]) => `${k} = ${/^[[{]/.test(v) ? v : `"${v}"`}`).join('\n')}\n` : ''}`).join('\n')}\n[metadata]\nlock-version = "2.1"\npython-versions = "${python}"\ncontent-hash = "x"\n`;
const pyproject = (name: string, deps: Record<string, string>): string => `[tool.poetry]\nname = "${name}"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.11"\n${Object.entries(deps).map(([k, v]) => `${k} = "${v}"`).join('\n')}\n`;

describe('conflicts', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-conflicts-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const write = (rel: string, text: string): void => {
    mkdirSync(path.dirname(path.join(tmp, rel)), { recursive: true });
    writeFileSync(path.join(tmp, rel), text);
  };
  // agent-x: shared-lib 1.4 needs pydantic >=2.5 but the lock holds 1.10 (an edge not satisfied);
  // a marker-conditional edge whose target is not locked is not a conflict.
  write('agent-x/pyproject.toml', pyproject('agent-x', { 'shared-lib': '1.4.0', pydantic: '1.10.13' }));
  write('agent-x/poetry.lock', lock([
    { name: 'shared-lib', version: '1.4.0', deps: { pydantic: '>=2.5', tomli: '{version = ">=1", markers = "python_version < \\"3.11\\""}' } },
    { name: 'pydantic', version: '1.10.13', deps: { 'typing-extensions': '>=4.2.0' } },
    { name: 'typing-extensions', version: '4.12.2' },
  ]));
  // Marker-dependent: numpy >=1.26 on Python >= 3.12, <1.25 before; the lock is for Python >= 3.12 but holds
  // 1.24. A Windows-only edge that is not met does not matter on the Linux targets.
  write('agent-m/pyproject.toml', pyproject('agent-m', { scipy: '1.14.0' }));
  write('agent-m/poetry.lock', lock([
    { name: 'scipy', version: '1.14.0', deps: { numpy: '[{version = ">=1.26", markers = "python_version >= \\"3.12\\""}, {version = "<1.25", markers = "python_version < \\"3.12\\""}]', colorama: '{version = ">=0.4.6", markers = "sys_platform == \\"win32\\""}' } },
    { name: 'numpy', version: '1.24.4' },
    { name: 'colorama', version: '0.4.0' },
  ], '>=3.12'));
  // A shared internal library (by path) that needs httpx >=0.27 in a consumer that locks 0.24; and a lock
  // 2.1 with two versions of one package whose markers overlap on Linux.
  write('libs/shared-auth/pyproject.toml', '[project]\nname = "shared-auth"\nversion = "1.0.0"\ndependencies = ["httpx>=0.27"]\n');
  write('agent-s/pyproject.toml', `${pyproject('agent-s', { httpx: '0.24.1' })}shared-auth = { path = "../libs/shared-auth", develop = true }\n`);
  write('agent-s/poetry.lock', lock([{ name: 'httpx', version: '0.24.1' }, { name: 'idna', version: '3.6' }, { name: 'idna', version: '3.7' }]).replace('version = "3.7"', 'version = "3.7"\nmarkers = "sys_platform == \\"linux\\""'));
  // Three services on three versions of requests (one of them a major split).
  write('agent-y/pyproject.toml', pyproject('agent-y', { requests: '2.31.0' }));
  write('agent-y/poetry.lock', lock([{ name: 'requests', version: '2.31.0' }, { name: 'pydantic', version: '2.7.1' }]));
  write('agent-z/pyproject.toml', pyproject('agent-z', { requests: '2.32.3' }));
  write('agent-z/poetry.lock', lock([{ name: 'requests', version: '2.32.3' }]));
  write('agent-v/pyproject.toml', pyproject('agent-v', { requests: '^2.31' }));
  write('agent-v/poetry.lock', lock([{ name: 'requests', version: '2.32.3' }]));
  write('agent-w/pyproject.toml', pyproject('agent-w', { requests: '1.2.3' }));
  write('agent-w/poetry.lock', lock([{ name: 'requests', version: '1.2.3' }]));
  // npm: a required dependency missing, a range not met by what Node would load.
  write('web/package.json', '{"name":"web","version":"1.0.0","dependencies":{"a":"1.0.0"}}');
  write('web/package-lock.json', JSON.stringify({ name: 'web', lockfileVersion: 3, packages: { '': { dependencies: { a: '1.0.0' } }, 'node_modules/a': { version: '1.0.0', integrity: 'sha512-AAAA', dependencies: { b: '^2.0.0', c: '^1.0.0' }, optionalDependencies: { d: '1' } }, 'node_modules/b': { version: '1.5.0', integrity: 'sha512-AAAA' } } }));

  it('finds the unsatisfied edge, the missing npm dependency, the range violation and the drift', async () => {
    const inv = await buildInventory(tmp, configSchema.parse({}));
    const f = analyzeConflicts(inv, configSchema.parse({}));
    assert.deepEqual(f.map((x) => `${x.ruleId} ${x.service ?? ''} ${x.subject}`).sort(), [
      'DW101 agent-m scipy@1.14.0',
      'DW101 agent-x shared-lib@1.4.0',
      'DW101 web a@1.0.0',
      'DW102 web a@1.0.0',
      'DW103 agent-s idna',
      'DW110  pydantic',
      'DW110  requests',
      'DW112 agent-s libs/shared-auth',
    ]);
    assert.equal(f.find((x) => x.ruleId === 'DW112')!.message, 'agent-s uses the shared library libs/shared-auth, which needs httpx >=0.27, but agent-s locks 0.24.1');
    const edge = f.find((x) => x.ruleId === 'DW101' && x.service === 'agent-x')!;
    assert.equal(edge.message, 'shared-lib 1.4.0 requires pydantic >=2.5, but the lock has 1.10.13');
    assert.match(edge.detail!, /because shared-lib 1\.4\.0 depends on pydantic >=2\.5 and agent-x\/poetry\.lock locks pydantic 1\.10\.13/);
    assert.equal(f.find((x) => x.service === 'agent-m')!.message, 'scipy 1.14.0 requires numpy >=1.26, but the lock has 1.24.4');
    const req = f.find((x) => x.subject === 'requests')!;
    assert.match(req.message, /requests runs at 3 versions across services \(1\.2\.3, 2\.31\.0, 2\.32\.3\): a major-version split/);
    assert.equal(req.detail, '1.2.3: agent-w\n2.31.0: agent-y\n2.32.3: agent-v, agent-z');
  });

  it('the drift policy allows, warns or fails, per package', async () => {
    const inv = await buildInventory(tmp, configSchema.parse({}));
    const cfg = configSchema.parse({ conflicts: { drift: 'fail', driftPackages: { pydantic: 'allow' } } });
    const f = analyzeConflicts(inv, cfg).filter((x) => x.ruleId === 'DW110');
    assert.deepEqual(f.map((x) => `${x.subject} ${x.severity}`), ['requests high']);
  });

  it('conflicts command: check\'s formats and exit codes; why explains the chain', async () => {
    const r = await runCli(['conflicts', tmp, '--format', 'json']);
    assert.equal(r.code, 1);
    const w = await runCli(['why', 'typing-extensions', tmp]);
    assert.equal(w.stdout.trim(), 'agent-x  agent-x/poetry.lock: declares pydantic 1.10.13: pydantic 1.10.13 -> typing-extensions 4.12.2 (as >=4.2.0)');
    assert.equal((await runCli(['why', 'nothing-like-this', tmp])).code, 1);
  });

  it('real locks are consistent: no DW101/DW102/DW103/DW112 on any corpus case', async () => {
    for (const c of corpusCases()) {
      const inv = await buildInventory(path.join(CORPUS, c.dir), configSchema.parse({}));
      const f = analyzeConflicts(inv, configSchema.parse({})).filter((x) => x.ruleId !== 'DW110' && x.ruleId !== 'DW111');
      assert.deepEqual(f.map((x) => `${c.dir}: ${x.message}`), []);
    }
  });

  it('agree: solves two services\' constraints over the locked versions, or explains why not', async () => {
    const no = await runCli(['agree', 'agent-y', 'agent-z', '-C', tmp]);
    assert.equal(no.code, 1);
    assert.match(no.stdout, /\(1\) Because agent-z needs requests 2\.32\.3 and agent-y needs requests 2\.31\.0, agent-z and agent-y are incompatible\./);
    assert.match(no.stdout, /So the constraints have no solution\.\n$/);
    // agent-y pins 2.31.0; agent-v accepts ^2.31: they can share 2.31.0 (a version some lock holds).
    const yes = await runCli(['agree', 'agent-y', 'agent-v', '-C', tmp]);
    assert.equal(yes.code, 0, yes.stdout);
    assert.equal(yes.stdout, 'agent-y and agent-v can agree on:\n  requests 2.31.0\n');
    // A lock that is inconsistent on its Linux targets cannot agree with anything; the Windows-only edge
    // (colorama) is not what stops it.
    const m = await runCli(['agree', 'agent-m', 'agent-v', '-C', tmp]);
    assert.match(m.stdout, /scipy 1\.14\.0 depends on numpy >=1\.26/);
    assert.doesNotMatch(m.stdout, /colorama/);
    assert.equal((await runCli(['agree', 'agent-z', 'nobody', '-C', tmp])).code, 2);
  });
});
