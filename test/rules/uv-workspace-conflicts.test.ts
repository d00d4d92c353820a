import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * A uv workspace lock gathers the `[tool.uv] conflicts` of every member. Built by hand in uv's revision-3 schema:
 * member `a` declares its extras `x` and `y` conflicting (idna 3.9 vs 3.10); the root declares none.
 */
const ROOT = '[project]\nname = "root"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = []\n\n[tool.uv.workspace]\nmembers = ["libs/a"]\n';
const MEMBER = (conflicts: boolean): string =>
  `[project]\nname = "a"\nversion = "0.1.0"\nrequires-python = ">=3.12"\ndependencies = []\n\n[project.optional-dependencies]\nx = ["idna==3.9"]\ny = ["idna==3.10"]\n${conflicts ? '\n[tool.uv]\nconflicts = [[{ extra = "x" }, { extra = "y" }]]\n' : ''}`;
const idna = (v: string, marker: string, c: string): string =>
  `[[package]]\nname = "idna"\nversion = "${v}"\nsource = { registry = "https://pypi.org/simple" }\nresolution-markers = [\n    "${marker}",\n]\nsdist = { url = "https://files.pythonhosted.org/packages/00/00/idna-${v}.tar.gz", hash = "sha256:${c.repeat(64)}", size = 100 }\n`;
const LOCK = `version = 1
revision = 3
requires-python = ">=3.12"
conflicts = [[
    { package = "a", extra = "x" },
    { package = "a", extra = "y" },
]]

[manifest]
members = [
    "a",
    "root",
]

[[package]]
name = "a"
version = "0.1.0"
source = { editable = "libs/a" }

[package.optional-dependencies]
x = [
    { name = "idna", version = "3.9", source = { registry = "https://pypi.org/simple" } },
]
y = [
    { name = "idna", version = "3.10", source = { registry = "https://pypi.org/simple" } },
]

[package.metadata]
requires-dist = [
    { name = "idna", marker = "extra == 'x'", specifier = "==3.9" },
    { name = "idna", marker = "extra == 'y'", specifier = "==3.10" },
]
provides-extras = ["x", "y"]

${idna('3.10', "extra != 'extra-1-a-x' and extra == 'extra-1-a-y'", 'a')}
${idna('3.9', "extra == 'extra-1-a-x' and extra != 'extra-1-a-y'", 'b')}
[[package]]
name = "root"
version = "0.1.0"
source = { virtual = "." }
`;

describe('uv workspace: the lock\'s conflicts are the members\' declarations', () => {
  const dirs: string[] = [];
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  const dw003 = async (member: string): Promise<string[]> => {
    const dir = writeTree({ 'depwarden.yaml': 'version: 1\n', 'pyproject.toml': ROOT, 'libs/a/pyproject.toml': member, 'uv.lock': LOCK });
    dirs.push(dir);
    const r = await runCli(['check', dir, '--format', 'json', '--fail-on', 'critical']);
    assert.equal(r.code, 0, r.stderr);
    return (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string; detail?: string }[] }).findings
      .filter((f) => ['DW003', 'DW004', 'DW101', 'DW102', 'DW103'].includes(f.ruleId))
      .map((f) => `${f.ruleId} ${f.message} ${f.detail ?? ''}`);
  };

  it('a set declared by a member is accounted for at the root: fresh', async () => {
    assert.deepEqual(await dw003(MEMBER(true)), []);
  });

  it('a locked set no member declares any more: the root pairing is stale', async () => {
    const got = await dw003(MEMBER(false));
    assert.equal(got.length, 1, got.join('\n'));
    assert.match(got[0]!, /^DW003 .*conflicts \[a:extra x \| a:extra y\]: in the lock but not in pyproject.toml or its members/s);
  });
});
