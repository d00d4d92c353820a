import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * `[tool.uv] override-dependencies` replaces every requirement on a name and `constraint-dependencies` narrows it;
 * uv records both under the lock's `[manifest]`. The lock below is built by hand in uv's exact revision-3 schema
 * (no public lock with overrides was at hand); its project declares httpx<0.28 but overrides it to >=0.28.
 */
const pyproject = (extra = 'override-dependencies = ["httpx>=0.28"]\nconstraint-dependencies = ["idna<3.10"]\n'): string =>
  `[project]\nname = "svc"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = ["httpx<0.28", "idna>=3"]\n\n[tool.uv]\n${extra}`;
const h = (c: string): string => `sha256:${c.repeat(64)}`;
const pkg = (name: string, version: string, hash: string, deps = ''): string =>
  `[[package]]\nname = "${name}"\nversion = "${version}"\nsource = { registry = "https://pypi.org/simple" }\n${deps}sdist = { url = "https://files.pythonhosted.org/packages/00/00/${name}-${version}.tar.gz", hash = "${h(hash)}", size = 100 }\nwheels = [\n    { url = "https://files.pythonhosted.org/packages/00/00/${name}-${version}-py3-none-any.whl", hash = "${h(hash === 'a' ? 'b' : 'd')}", size = 100 },\n]\n`;
const lock = (opts: { manifest?: string; httpx?: string; idna?: string } = {}): string =>
  [
    `version = 1\nrevision = 3\nrequires-python = ">=3.12"\n`,
    opts.manifest ?? `[manifest]\nconstraints = [{ name = "idna", specifier = "<3.10" }]\noverrides = [{ name = "httpx", specifier = ">=0.28" }]\n`,
    pkg('httpx', opts.httpx ?? '0.28.1', 'a', 'dependencies = [\n    { name = "idna" },\n]\n'),
    pkg('idna', opts.idna ?? '3.9', 'c'),
    `[[package]]\nname = "svc"\nversion = "0.1.0"\nsource = { virtual = "." }\ndependencies = [\n    { name = "httpx" },\n    { name = "idna" },\n]\n\n[package.metadata]\nrequires-dist = [\n    { name = "httpx", specifier = "<0.28" },\n    { name = "idna", specifier = ">=3" },\n]\n`,
  ].join('\n');

describe('uv override- and constraint-dependencies (DW003, DW004)', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const check = async (files: Record<string, string>): Promise<string[]> => {
    const dir = writeTree({ 'depwarden.yaml': 'version: 1\n', ...files });
    dirs.push(dir);
    const r = await runCli(['check', dir, '--format', 'json', '--fail-on', 'critical']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string; detail?: string }[] }).findings
      .filter((f) => f.ruleId === 'DW003' || f.ruleId === 'DW004')
      .map((f) => `${f.ruleId} ${f.message}${f.ruleId === 'DW003' ? ` ${f.detail ?? ''}` : ''}`);
  };

  it('an override replaces the declared constraint: the lock meets the override, nothing to report', async () => {
    assert.deepEqual(await check({ 'pyproject.toml': pyproject(), 'uv.lock': lock() }), []);
  });

  it('without the override, the declared constraint is what the lock must meet', async () => {
    const got = await check({ 'pyproject.toml': pyproject(''), 'uv.lock': lock({ manifest: '' }) });
    assert.deepEqual(got, ['DW004 httpx is declared as "<0.28" but uv.lock locks 0.28.1']);
  });

  it('a locked version outside the override is DW004, naming the override', async () => {
    const got = await check({ 'pyproject.toml': pyproject('override-dependencies = ["httpx>=0.29"]\nconstraint-dependencies = ["idna<3.10"]\n'), 'uv.lock': lock({ manifest: `[manifest]\nconstraints = [{ name = "idna", specifier = "<3.10" }]\noverrides = [{ name = "httpx", specifier = ">=0.29" }]\n` }) });
    assert.deepEqual(got, ['DW004 httpx is declared as "<0.28", overridden to ">=0.29" (override-dependencies), but uv.lock locks 0.28.1']);
  });

  it('a locked version outside a constraint is DW004 on the constraint', async () => {
    const got = await check({ 'pyproject.toml': pyproject(), 'uv.lock': lock({ idna: '3.10' }) });
    assert.deepEqual(got, ['DW004 idna is constrained to "<3.10" (constraint-dependencies) but uv.lock locks 3.10']);
  });

  it('an override or constraint the lock was not made with is DW003', async () => {
    const got = await check({ 'pyproject.toml': pyproject('override-dependencies = ["httpx>=0.28"]\nconstraint-dependencies = ["idna<3.10", "certifi>=2024"]\n'), 'uv.lock': lock() });
    assert.equal(got.length, 1);
    assert.match(got[0]!, /^DW003 .*constraint-dependencies certifi: pyproject.toml says ">=2024", which the lock's \[manifest\] does not have/s);
    const dropped = await check({ 'pyproject.toml': pyproject('constraint-dependencies = ["idna<3.10"]\n'), 'uv.lock': lock() });
    assert.equal(dropped.length, 1);
    assert.match(dropped[0]!, /override-dependencies httpx: the lock's \[manifest\] has ">=0.28", which pyproject.toml does not declare/);
  });
});
