import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { validateCycloneDxJson } from '../../src/sbom/cyclonedx.ts';
import { validateSpdxJson } from '../../src/sbom/spdx.ts';
import { toAdvisory } from '../../src/vulns/osv-record.ts';
import { writeDb } from '../../src/vulns/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { validateCycloneDxXml } from '../sbom/xml-schema.ts';

const PDM_PYPROJECT = '[project]\nname = "api"\nversion = "1.0.0"\ndependencies = ["requests==2.28.1"]\n';
// PDM's lock: a format depwarden does not read (uv, pnpm, Yarn and Pipenv locks are read since issue 18).
const PDM_LOCK = '[metadata]\ngroups = ["default"]\nlock_version = "4.5.0"\n\n[[package]]\nname = "requests"\nversion = "2.28.1"\n';

type JsonFindings = { findings: { ruleId: string; file: string; message: string; service?: string; line: number; detail?: string; properties?: Record<string, unknown> }[] };

describe('coverage: locks and manifests we do not read are reported, never silently fine (issue 11.2)', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'dw-cov-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('check names every unread lock and manifest (DW012), and the pyproject beside pdm.lock is not "locked"', async () => {
    const d = writeTree(
      {
        'api/pyproject.toml': PDM_PYPROJECT,
        'api/pdm.lock': PDM_LOCK,
        'api/Dockerfile': 'FROM python:3.12-slim@sha256:' + 'a'.repeat(64) + '\n',
        'web/package.json': '{"name":"web","dependencies":{"left-pad":"1.3.0"}}',
        'web/yarn.lock': 'left-pad@1.3.0:\n  version "1.3.0"\n',
        'pn/pnpm-lock.yaml': "lockfileVersion: '9.0'\n",
        'pn/package.json': '{"name":"pn","dependencies":{"x":"1.0.0"}}',
        'bun/bun.lock': '{}',
        'bun/package.json': '{"name":"bun","dependencies":{"x":"1.0.0"}}',
        'pdm/pdm.lock': '',
        'pdm/pyproject.toml': '[project]\nname="p"\ndependencies=["x==1"]\n',
        'pipenv/Pipfile': '[packages]\nrequests = "*"\n',
        'pipenv/Pipfile.lock': '{}',
        'go/go.mod': 'module x\n',
        'go/Dockerfile': 'FROM golang:1.22@sha256:' + 'b'.repeat(64) + '\n',
        'rs/Cargo.toml': '[package]\nname="x"\n',
      },
      tmp(),
    );
    const r = await runCli(['check', d, '--format', 'json']);
    const doc = JSON.parse(r.stdout) as JsonFindings;
    const dw012 = doc.findings.filter((f) => f.ruleId === 'DW012');
    assert.deepEqual(dw012.map((f) => f.file).sort(), ['api/pdm.lock', 'bun/bun.lock', 'go/go.mod', 'pdm/pdm.lock', 'rs/Cargo.toml']);
    // Read since issue 18: never reported as not covered.
    for (const f of ['pipenv/Pipfile', 'pipenv/Pipfile.lock', 'pn/pnpm-lock.yaml', 'web/yarn.lock']) assert.ok(!dw012.some((x) => x.file === f), f);
    const pdm = dw012.find((f) => f.file === 'api/pdm.lock')!;
    assert.match(pdm.message, /not covered/);
    assert.match(pdm.message, /api\/pyproject\.toml is not verified against it/);
    assert.equal(pdm.service, 'api');
    assert.equal(dw012.find((f) => f.file === 'go/go.mod')!.service, 'go');
    assert.equal(r.code, 1, 'high findings fail the check');
  });

  it('scan lists the unread files and does not show the pyproject as locked', async () => {
    const d = writeTree({ 'pyproject.toml': PDM_PYPROJECT, 'pdm.lock': PDM_LOCK, 'Dockerfile': 'FROM python:3.12\n' }, tmp());
    const json = JSON.parse((await runCli(['scan', d, '--format', 'json'])).stdout) as { notCovered: unknown[] };
    assert.deepEqual(json.notCovered, [{ ecosystem: 'PyPI', path: 'pdm.lock', role: 'lock', tool: 'PDM' }]);
    const table = (await runCli(['scan', d])).stdout;
    assert.match(table, /pyproject\.toml  \(not locked as far as depwarden knows: pdm\.lock not read\)/);
    assert.match(table, /not covered \(depwarden does not read these\): pdm\.lock/);
  });

  it('audit reports the unread lock and says its result excludes it', async () => {
    const tmpd = tmp();
    const repo = writeTree({ 'pyproject.toml': PDM_PYPROJECT, 'pdm.lock': PDM_LOCK }, path.join(tmpd, 'repo'));
    const db = path.join(tmpd, 'db');
    writeDb(db, [toAdvisory({ id: 'PYSEC-0000-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'left-pad-py' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }] })], { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] });
    const r = await runCli(['audit', repo, '--db', db, '--format', 'json']);
    const doc = JSON.parse(r.stdout) as JsonFindings;
    assert.deepEqual(doc.findings.map((f) => `${f.ruleId} ${f.file}`), ['DW012 pdm.lock']);
    assert.match(r.stderr, /this audit excludes 1 dependency file depwarden could not read: pdm\.lock/);
    assert.equal(r.code, 1);
  });

  it('audit over a manifest without a lock says its packages were not checked (DW002), not "no findings"', async () => {
    const tmpd = tmp();
    const repo = writeTree({ 'api/pyproject.toml': '[tool.poetry]\nname = "api"\nversion = "1"\n\n[tool.poetry.dependencies]\npython = "^3.12"\nrequests = "^2.28"\n' }, path.join(tmpd, 'repo'));
    const db = path.join(tmpd, 'db');
    writeDb(db, [toAdvisory({ id: 'PYSEC-0000-1', modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }] }] }] })], { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] });
    const r = await runCli(['audit', repo, '--db', db, '--format', 'json']);
    const doc = JSON.parse(r.stdout) as JsonFindings;
    assert.deepEqual(doc.findings.map((f) => `${f.ruleId} ${f.file}`), ['DW002 api/pyproject.toml']);
    assert.match(r.stderr, /this audit could not check the packages of 1 manifest without a lock: api\/pyproject\.toml/);
    assert.equal(r.code, 1);
  });

  it('sbom marks CycloneDX (JSON, XML) and SPDX documents incomplete, stays schema-valid, and exits 1', async () => {
    const d = writeTree({ 'pyproject.toml': PDM_PYPROJECT, 'pdm.lock': PDM_LOCK }, tmp());
    const cdx = await runCli(['sbom', d, '-f', 'cyclonedx-json'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.equal(cdx.code, 1);
    assert.match(cdx.stderr, /inventory is incomplete.*\n  pdm\.lock: not read/);
    const bom = JSON.parse(cdx.stdout) as { compositions: { aggregate: string; assemblies: string[] }[]; metadata: { properties: { name: string; value: string }[]; component: { 'bom-ref': string } } };
    assert.deepEqual(bom.compositions, [{ aggregate: 'incomplete', assemblies: [bom.metadata.component['bom-ref']], dependencies: [bom.metadata.component['bom-ref']] }]);
    assert.ok(bom.metadata.properties.some((p) => p.name === 'depwarden:inventory' && p.value === 'incomplete'));
    assert.ok(bom.metadata.properties.some((p) => p.name === 'depwarden:not-covered' && p.value.startsWith('pdm.lock: ')));
    assert.equal(await validateCycloneDxJson(cdx.stdout, '1.6'), null);
    for (const spec of ['1.5', '1.6'] as const) {
      const xml = await runCli(['sbom', d, '-f', 'cyclonedx-xml', '--spec', spec]);
      assert.match(xml.stdout, /<aggregate>incomplete<\/aggregate>/);
      assert.deepEqual(await validateCycloneDxXml([{ name: 'incomplete', xml: xml.stdout }], spec), []);
    }
    const spdx = await runCli(['sbom', d, '-f', 'spdx-json']);
    assert.equal(spdx.code, 1);
    assert.match((JSON.parse(spdx.stdout) as { comment: string }).comment, /^Inventory incomplete: .*pdm\.lock \(not read/);
    assert.equal(validateSpdxJson(spdx.stdout), null);
  });

  it('a complete inventory has no incompleteness marks and sbom exits 0', async () => {
    const d = writeTree({ 'requirements.txt': 'requests==2.31.0\n' }, tmp());
    const cdx = await runCli(['sbom', d]);
    assert.equal(cdx.code, 0);
    assert.equal((JSON.parse(cdx.stdout) as { compositions?: unknown }).compositions, undefined);
  });

  it('sbom on an unreadable manifest says the inventory is incomplete and exits 1 (issue 20.12)', async () => {
    const d = writeTree({ 'package.json': '{"name": "x", "dependencies": {', Dockerfile: 'FROM node:22\n' }, tmp());
    const r = await runCli(['sbom', d]);
    assert.equal(r.code, 1);
    assert.match(r.stderr, /package\.json: could not be read or parsed/);
  });

  it('a truncated lock gets its parse error only, not also "has no lock file" (issue 11.12)', async () => {
    const d = writeTree(
      {
        'py/pyproject.toml': '[tool.poetry]\nname = "a"\nversion = "1"\n[tool.poetry.dependencies]\npython = "^3.12"\nrequests = "2.31.0"\n',
        'py/poetry.lock': '[[package]]\nname = "requests"\nversion = "2.31',
        'js/package.json': '{"name":"js","dependencies":{"left-pad":"1.3.0"}}',
        'js/package-lock.json': '{"lockfileVersion": 3, "packages": {"node_modules/left-pad": {"version": "1.3',
      },
      tmp(),
    );
    const doc = JSON.parse((await runCli(['check', d, '--format', 'json'])).stdout) as JsonFindings;
    const about = (f: string) => doc.findings.filter((x) => x.file === f || x.message.includes(f)).map((x) => x.ruleId).sort();
    assert.deepEqual(about('py/poetry.lock'), ['DW000']);
    assert.deepEqual(about('js/package-lock.json'), ['DW000']);
    assert.equal(doc.findings.filter((x) => x.ruleId === 'DW002').length, 0);
    assert.match((await runCli(['scan', d])).stdout, /py\/pyproject\.toml  \(lock py\/poetry\.lock cannot be parsed: see its DW000\)/);
  });
});
