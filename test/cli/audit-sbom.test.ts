import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import fc from 'fast-check';
import { readSbom } from '../../src/sbom/read.ts';
import { toAdvisory } from '../../src/vulns/osv-record.ts';
import { writeDb } from '../../src/vulns/store.ts';
import { OSV_DATA } from '../helpers/corpus.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

const INPUTS = path.resolve(import.meta.dirname, '..', 'fixtures', 'sbom-inputs');
type Out = { findings: { ruleId: string; subject?: string; file: string; line: number; message: string }[] };

/** `audit --sbom`: SBOMs made by other tools (CycloneDX/bom-examples) against the real npm advisories of the Node.js security WG. */
describe('audit --sbom', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-audit-sbom-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const cern = readSbom('bom.json', readFileSync(path.join(INPUTS, 'cern-lhc-vdm-editor', 'bom.json'), 'utf8'));
  const names = new Set(cern.packages.map((p) => p.name));
  // The real NSWG advisories (converted to OSV) for the SBOM's packages, plus one made to hit a known component.
  const dir = path.join(OSV_DATA, 'npm', 'nswg-osv');
  const real = readdirSync(dir).filter((f) => f.endsWith('.json')).map((f) => JSON.parse(readFileSync(path.join(dir, f), 'utf8')) as { affected?: { package?: { name?: string } }[] }).filter((a) => a.affected?.some((x) => names.has(x.package?.name ?? '')));
  const db = path.join(tmp, 'db');
  const debug = cern.packages.find((p) => p.name === 'debug')!;
  writeDb(db, [...real.map((a) => toAdvisory(a)), toAdvisory({ id: 'GHSA-test-debg-0001', modified: '2020-09-01T00:00:00Z', summary: 'test advisory', affected: [{ package: { ecosystem: 'npm', name: 'debug' }, versions: [debug.version] }] })], { source: 'test', builtAt: '2020-09-01T00:00:00Z', watermark: {}, invalid: [] });
  const env = { SOURCE_DATE_EPOCH: String(Date.parse('2020-09-02') / 1000) };
  const repo = writeTree({ 'depwarden.yaml': 'version: 1\n' }, path.join(tmp, 'repo'));

  it('CycloneDX JSON and XML of one project give the same findings, at the purl\'s line', async () => {
    const run = async (f: string): Promise<Out> => JSON.parse((await runCli(['audit', repo, '--sbom', path.join(INPUTS, 'cern-lhc-vdm-editor', f), '--db', db, '--format', 'json', '--fail-on', 'critical'], { env })).stdout) as Out;
    const json = await run('bom.json');
    const xml = await run('bom.xml');
    const vulns = (o: Out) => o.findings.filter((f) => f.ruleId === 'DW201').map((f) => `${f.subject} ${f.message}`).sort();
    assert.ok(vulns(json).length >= 1);
    assert.deepEqual(vulns(xml), vulns(json));
    const hit = json.findings.find((f) => f.message.includes('GHSA-test-debg-0001'))!;
    assert.equal(hit.subject, `debug@${debug.version}`);
    const text = readFileSync(path.join(INPUTS, 'cern-lhc-vdm-editor', 'bom.json'), 'utf8').split('\n');
    assert.match(text[hit.line - 1]!, /"purl": "pkg:npm\/debug@/);
  });

  it('VEX triage applies as for a repository', async () => {
    const triaged = path.join(tmp, 'triaged');
    writeTree({ 'depwarden.yaml': 'version: 1\n', '.depwarden/vex.yaml': 'triage:\n  - id: GHSA-test-debg-0001\n    package: debug\n    state: not_affected\n    justification: code_not_reachable\n    owner: sec-team\n    reason: debug output is disabled in production\n    expires: 2021-12-31\n' }, triaged);
    const r = JSON.parse((await runCli(['audit', triaged, '--sbom', path.join(INPUTS, 'cern-lhc-vdm-editor', 'bom.json'), '--db', db, '--format', 'json', '--fail-on', 'critical'], { env })).stdout) as Out;
    assert.ok(!r.findings.some((f) => f.message.includes('GHSA-test-debg-0001')));
  });

  it('components of other ecosystems are said to be unchecked, not silently fine', async () => {
    const r = await runCli(['audit', repo, '--sbom', path.join(INPUTS, 'laravel-7.12.0', 'bom.1.4.json'), '--db', db, '--format', 'json'], { env });
    assert.match(r.stderr, /not checked: 62 composer component\(s\)/);
  });

  it('an SBOM depwarden wrote (SPDX and CycloneDX) audits as the repository does', async () => {
    const proj = writeTree(
      {
        'svc/package.json': '{"name":"svc","version":"1.0.0","dependencies":{"debug":"4.1.1"}}\n',
        'svc/package-lock.json': `${JSON.stringify({ name: 'svc', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'svc', version: '1.0.0', dependencies: { debug: '4.1.1' } }, 'node_modules/debug': { version: debug.version, resolved: `https://registry.npmjs.org/debug/-/debug-${debug.version}.tgz`, integrity: 'sha512-AAAA' } } })}\n`,
      },
      path.join(tmp, 'proj'),
    );
    const repoAudit = JSON.parse((await runCli(['audit', proj, '--db', db, '--format', 'json', '--fail-on', 'critical'], { env })).stdout) as Out;
    const want = repoAudit.findings.filter((f) => f.ruleId === 'DW201').map((f) => `${f.subject} ${f.message}`).sort();
    assert.ok(want.length >= 1);
    for (const format of ['spdx-json', 'cyclonedx-json', 'cyclonedx-xml']) {
      const out = path.join(tmp, `sbom-${format}`);
      mkdirSync(out, { recursive: true });
      assert.equal((await runCli(['sbom', proj, '-f', format, '-o', out], { env })).code, 0);
      const file = path.join(out, readdirSync(out).find((f) => f.startsWith('repository'))!);
      const got = JSON.parse((await runCli(['audit', proj, '--sbom', file, '--db', db, '--format', 'json', '--fail-on', 'critical'], { env })).stdout) as Out;
      assert.deepEqual(got.findings.filter((f) => f.ruleId === 'DW201').map((f) => `${f.subject} ${f.message}`).sort(), want, format);
    }
  });

  it('mutated real SBOMs never crash the reader: packages, a DW000, or the one "not an SBOM" error', () => {
    for (const f of ['bom.json', 'bom.xml']) {
      const seed = readFileSync(path.join(INPUTS, 'cern-lhc-vdm-editor', f), 'utf8');
      const mutation = fc.oneof(
        fc.nat(seed.length).map((n) => seed.slice(0, n)),
        fc.tuple(fc.nat(seed.length), fc.string({ minLength: 1, maxLength: 20 })).map(([at, junk]) => seed.slice(0, at) + junk + seed.slice(at + 1)),
        fc.tuple(fc.nat(seed.length), fc.nat(seed.length), fc.nat(seed.length)).map(([a, b, c]) => seed.slice(0, c) + seed.slice(Math.min(a, b), Math.max(a, b)) + seed.slice(c)),
      );
      fc.assert(
        fc.property(mutation, (t) => {
          try {
            const r = readSbom(f, t);
            for (const x of r.findings) assert.ok(x.location.line >= 1 && x.location.line <= t.split('\n').length + 1);
          } catch (e) {
            assert.match((e as Error).message, /is neither a CycloneDX nor an SPDX document|is not a CycloneDX XML document/);
          }
        }),
        { numRuns: 120, seed: 3 },
      );
    }
  });

  it('a broken or foreign file: DW000 with its line, or a usage error', async () => {
    const broken = path.join(tmp, 'broken.json');
    writeFileSync(broken, '{\n  "bomFormat": "CycloneDX",\n  "components": [\n    {"purl": "pkg:npm/debug@4.1.1",}\n  ]\n}\n');
    const r = await runCli(['audit', repo, '--sbom', broken, '--db', db, '--format', 'json'], { env });
    const f = (JSON.parse(r.stdout) as Out).findings.find((x) => x.ruleId === 'DW000')!;
    assert.equal(f.line, 4);
    const foreign = path.join(tmp, 'foreign.json');
    writeFileSync(foreign, '{"hello": 1}\n');
    const u = await runCli(['audit', repo, '--sbom', foreign, '--db', db]);
    assert.equal(u.code, 2);
    assert.match(u.stderr, /neither a CycloneDX nor an SPDX document/);
    const dtd = path.join(tmp, 'x.xml');
    writeFileSync(dtd, '<?xml version="1.0"?>\n<!DOCTYPE bom [<!ENTITY a "b">]>\n<bom/>\n');
    const d = JSON.parse((await runCli(['audit', repo, '--sbom', dtd, '--db', db, '--format', 'json'], { env })).stdout) as Out;
    assert.equal(d.findings.find((x) => x.ruleId === 'DW000')!.line, 2);
  });
});
