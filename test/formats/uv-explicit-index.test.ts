import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parsePyproject } from '../../src/formats/pyproject.ts';
import { parseUvLock } from '../../src/formats/uv-lock.ts';
import { toAdvisory } from '../../src/vulns/osv-record.ts';
import { writeDb } from '../../src/vulns/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * uv's PyTorch layout: conflicting `cpu` / `cu124` extras, each taking torch from its own `explicit` index.
 * The lock is built by hand in uv's revision-3 schema (conflict markers `extra == 'extra-3-app-cpu'` as uv
 * writes them): two torch entries, one per index. Each keeps its index as its source (purl repository_url).
 */
const PYPROJECT = `[project]
name = "app"
version = "0.1.0"
requires-python = ">=3.12"
dependencies = []

[project.optional-dependencies]
cpu = ["torch==2.5.1"]
cu124 = ["torch==2.5.1"]

[tool.uv]
conflicts = [[{ extra = "cpu" }, { extra = "cu124" }]]

[tool.uv.sources]
torch = [
    { index = "pytorch-cpu", extra = "cpu" },
    { index = "pytorch-cu124", extra = "cu124" },
]

[[tool.uv.index]]
name = "pytorch-cpu"
url = "https://download.pytorch.org/whl/cpu"
explicit = true

[[tool.uv.index]]
name = "pytorch-cu124"
url = "https://download.pytorch.org/whl/cu124"
explicit = true
`;
const CPU = "extra == 'extra-3-app-cpu' and extra != 'extra-3-app-cu124'";
const GPU = "extra != 'extra-3-app-cpu' and extra == 'extra-3-app-cu124'";
const torch = (version: string, index: string, marker: string, c: string): string => `[[package]]
name = "torch"
version = "${version}"
source = { registry = "https://download.pytorch.org/whl/${index}" }
resolution-markers = [
    "${marker}",
]
wheels = [
    { url = "https://download.pytorch.org/whl/${index}/torch-${version.replace('+', '%2B')}-cp312-cp312-linux_x86_64.whl", hash = "sha256:${c.repeat(64)}" },
]
`;
const LOCK = `version = 1
revision = 3
requires-python = ">=3.12"
resolution-markers = [
    "${CPU}",
    "${GPU}",
    "extra != 'extra-3-app-cpu' and extra != 'extra-3-app-cu124'",
]
conflicts = [[
    { package = "app", extra = "cpu" },
    { package = "app", extra = "cu124" },
]]

[[package]]
name = "app"
version = "0.1.0"
source = { virtual = "." }

[package.optional-dependencies]
cpu = [
    { name = "torch", version = "2.5.1+cpu", source = { registry = "https://download.pytorch.org/whl/cpu" } },
]
cu124 = [
    { name = "torch", version = "2.5.1+cu124", source = { registry = "https://download.pytorch.org/whl/cu124" } },
]

[package.metadata]
requires-dist = [
    { name = "torch", marker = "extra == 'cpu'", specifier = "==2.5.1", index = "https://download.pytorch.org/whl/cpu", conflict = { package = "app", extra = "cpu" } },
    { name = "torch", marker = "extra == 'cu124'", specifier = "==2.5.1", index = "https://download.pytorch.org/whl/cu124", conflict = { package = "app", extra = "cu124" } },
]
provides-extras = ["cpu", "cu124"]

${torch('2.5.1+cpu', 'cpu', CPU, 'a')}
${torch('2.5.1+cu124', 'cu124', GPU, 'b')}`;

describe('uv: conflicting extras from explicit indexes', () => {
  const dir = writeTree({ 'pyproject.toml': PYPROJECT, 'uv.lock': LOCK, 'depwarden.yaml': 'version: 1\n' });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('each extra\'s declaration names its own index; each locked torch keeps its registry', () => {
    const m = parsePyproject('pyproject.toml', PYPROJECT).data!;
    assert.deepEqual(m.dependencies.map((d) => [d.group, d.sourceName]).sort(), [['optional:cpu', 'pytorch-cpu'], ['optional:cu124', 'pytorch-cu124']]);
    assert.deepEqual(m.uvConflicts, [[{ extra: 'cpu' }, { extra: 'cu124' }]]);
    const l = parseUvLock('uv.lock', LOCK);
    assert.deepEqual(l.findings, []);
    assert.deepEqual(l.data!.conflicts, [[{ package: 'app', extra: 'cpu' }, { package: 'app', extra: 'cu124' }]]);
    assert.deepEqual(l.data!.packages.map((p) => [p.version, p.source, p.groups, p.optional]), [
      ['2.5.1+cpu', { type: 'registry', url: 'https://download.pytorch.org/whl/cpu' }, ['main'], true],
      ['2.5.1+cu124', { type: 'registry', url: 'https://download.pytorch.org/whl/cu124' }, ['main'], true],
    ]);
  });

  it('check: the two torch entries are neither stale, inconsistent nor unmet', async () => {
    const r = await runCli(['check', dir, '--format', 'json', '--fail-on', 'critical']);
    assert.equal(r.code, 0, r.stderr);
    const lockRules = new Set(['DW000', 'DW003', 'DW004', 'DW101', 'DW102', 'DW103', 'DW110']);
    const findings = (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[] }).findings;
    assert.deepEqual(findings.filter((f) => lockRules.has(f.ruleId)).map((f) => `${f.ruleId} ${f.message}`), []);
  });

  it('sbom: both torch builds, each with its index as repository_url', async () => {
    const out = path.join(dir, 'sbom-out');
    const r = await runCli(['sbom', dir, '--format', 'cyclonedx-json', '-o', out], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(readFileSync(path.join(out, readdirSync(out).find((f) => f !== 'repository.cdx.json') ?? 'repository.cdx.json'), 'utf8')) as { components: { purl?: string }[] };
    assert.deepEqual(doc.components.map((c) => c.purl).filter((p) => p?.startsWith('pkg:pypi/torch@')).sort(), [
      'pkg:pypi/torch@2.5.1+cpu?repository_url=https%3A%2F%2Fdownload.pytorch.org%2Fwhl%2Fcpu',
      'pkg:pypi/torch@2.5.1+cu124?repository_url=https%3A%2F%2Fdownload.pytorch.org%2Fwhl%2Fcu124',
    ]);
  });

  it('audit: a torch advisory (range) matches both local-version builds', async () => {
    const db = path.join(dir, 'db');
    writeDb(
      db,
      [toAdvisory({ id: 'GHSA-torc-h000-0000', summary: 'torch', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'torch' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.6.0' }] }] }] })],
      { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] },
    );
    const r = await runCli(['audit', dir, '--db', db, '--format', 'json', '--fail-on', 'critical'], { env: { SOURCE_DATE_EPOCH: String(Date.parse('2024-01-02') / 1000) } });
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
    const got = (JSON.parse(r.stdout) as { findings: { ruleId: string; subject?: string }[] }).findings.filter((f) => f.ruleId === 'DW201').map((f) => f.subject).sort();
    assert.deepEqual(got, ['torch@2.5.1+cpu', 'torch@2.5.1+cu124']);
  });
});
