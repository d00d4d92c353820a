import { spawnSync } from 'node:child_process';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { auditInventory } from '../../src/vulns/audit.ts';
import { toAdvisory } from '../../src/vulns/osv-record.ts';
import { AdvisoryDb, writeDb } from '../../src/vulns/store.ts';
import { importVex } from '../../src/vulns/vex.ts';
import { OSV_DATA } from '../helpers/corpus.ts';
import { runCli } from '../helpers/run-cli.ts';

const HASH = `sha256:${'1'.repeat(64)}`;
function lock(pkgs: [string, string][]): string {
  return `${pkgs.map(([n, v]) => `[[package]]\nname = "${n}"\nversion = "${v}"\ndescription = ""\noptional = false\npython-versions = "*"\ngroups = ["main"]\nfiles = [{file = "${n}-${v}.tar.gz", hash = "${HASH}"}]\n`).join('\n')}\n[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "x"\n`;
}

function adv(id: string, aliases: string[], pkg: string, events: Record<string, string>[], extra: Record<string, unknown> = {}) {
  return toAdvisory({ id, aliases, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: pkg }, ranges: [{ type: 'ECOSYSTEM', events }] }], ...extra });
}

describe('audit', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-audit-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const repo = path.join(tmp, 'repo');
  const dbDir = path.join(tmp, 'db');
  mkdirSync(path.join(repo, 'svc-a'), { recursive: true });
  mkdirSync(path.join(repo, 'svc-b'), { recursive: true });
  writeFileSync(path.join(repo, 'svc-a', 'poetry.lock'), lock([['Jinja2', '2.7.1'], ['requests', '2.31.0'], ['safe-pkg', '1.0']]));
  writeFileSync(path.join(repo, 'svc-b', 'poetry.lock'), lock([['requests', '2.19.0']]));
  writeDb(
    dbDir,
    [
      // Two records that alias each other: one finding.
      adv('PYSEC-2018-28', ['CVE-2018-18074'], 'requests', [{ introduced: '0' }, { fixed: '2.20.0' }], { severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }] }),
      adv('GHSA-x84v-xcm2-53pg', ['CVE-2018-18074'], 'requests', [{ introduced: '0' }, { fixed: '2.20.0' }]),
      adv('PYSEC-2023-74', ['CVE-2023-32681'], 'requests', [{ introduced: '2.3.0' }, { fixed: '2.31.0' }]),
      adv('PYSEC-2099-1', [], 'requests', [{ introduced: '0' }, { fixed: '2.22.0' }], { withdrawn: '2024-02-01T00:00:00Z' }),
      // The real jinja2 advisory from the PyPA data.
      toAdvisory(parseYaml(readFileSync(path.join(OSV_DATA, 'pypi', 'vulns', 'jinja2', 'PYSEC-2014-8.yaml'), 'utf8'))),
    ],
    { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] },
  );

  it('matches per service, merges aliases, ignores withdrawn advisories, names the smallest fixing upgrade', async () => {
    const inv = await buildInventory(repo, configSchema.parse({}));
    const db = AdvisoryDb.open(dbDir)!;
    const r = auditInventory(inv, db, [], new Date('2024-06-01'));
    db.close();
    const got = r.findings.map((f) => `${f.service} ${f.subject} ${f.ruleId} ${(f.properties?.ids as string[]).join('+')} ${f.severity} ${f.properties?.upgradeTo ?? ''}`).sort();
    assert.deepEqual(got, [
      'svc-a Jinja2@2.7.1 DW201 CVE-2014-1402+GHSA-8r7q-cvjq-x353+PYSEC-2014-8 medium 2.7.2',
      'svc-b requests@2.19.0 DW201 CVE-2018-18074+GHSA-x84v-xcm2-53pg+PYSEC-2018-28 high 2.31.0',
      'svc-b requests@2.19.0 DW201 CVE-2023-32681+PYSEC-2023-74 medium 2.31.0',
    ]);
    assert.equal(r.findings.find((f) => f.subject === 'Jinja2@2.7.1')!.message.startsWith('Jinja2 2.7.1 is affected by CVE-2014-1402'), true);
    assert.deepEqual(r.upgrades.find((u) => u.service === 'svc-b'), { service: 'svc-b', ecosystem: 'PyPI', name: 'requests', from: '2.19.0', to: '2.31.0', updateType: 'minor' });
  });

  it('run by the launcher (in a worker with a capped young generation), gives the same report and exit code as in-process', async () => {
    const env = { DEPWARDEN_HOME: path.join(dbDir, 'none'), SOURCE_DATE_EPOCH: String(Date.parse('2024-06-01') / 1000) };
    const inProcess = await runCli(['audit', repo, '--db', dbDir, '--format', 'json'], { env });
    const bin = fileURLToPath(new URL('../../bin/depwarden.js', import.meta.url));
    const launched = spawnSync(process.execPath, [bin, 'audit', repo, '--db', dbDir, '--format', 'json'], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(inProcess.code, 1);
    assert.equal(launched.status, inProcess.code, launched.stderr);
    assert.equal(launched.stdout, inProcess.stdout);
    const usage = spawnSync(process.execPath, [bin, 'audit', repo, '--db', dbDir, '--fail-on', 'nonsense'], { encoding: 'utf8', env: { ...process.env, ...env } });
    assert.equal(usage.status, 2);
    assert.match(usage.stderr, /--fail-on must be one of/);
  });

  it('triage hides a finding until it expires, then brings it back with DW202', async () => {
    mkdirSync(path.join(repo, '.depwarden'), { recursive: true });
    writeFileSync(
      path.join(repo, '.depwarden', 'vex.yaml'),
      'triage:\n  - id: CVE-2014-1402\n    package: Jinja2\n    state: not_affected\n    justification: code_not_reachable\n    owner: sec-team\n    reason: bytecode cache is disabled in every service\n    expires: 2024-12-31\n',
    );
    const env = { DEPWARDEN_HOME: tmp, SOURCE_DATE_EPOCH: String(Date.parse('2024-06-01') / 1000) };
    const during = await runCli(['audit', repo, '--db', dbDir, '--format', 'json'], { env });
    const ids = (JSON.parse(during.stdout) as { findings: { ruleId: string; subject: string }[] }).findings.map((f) => `${f.ruleId} ${f.subject}`);
    assert.ok(!ids.includes('DW201 Jinja2@2.7.1'), ids.join());
    const later = await runCli(['audit', repo, '--db', dbDir, '--format', 'json'], { env: { ...env, SOURCE_DATE_EPOCH: String(Date.parse('2025-01-02') / 1000) } });
    const ids2 = (JSON.parse(later.stdout) as { findings: { ruleId: string; subject: string }[] }).findings.map((f) => `${f.ruleId} ${f.subject}`);
    assert.ok(ids2.includes('DW201 Jinja2@2.7.1'));
    assert.ok(ids2.includes('DW202 CVE-2014-1402'));
    assert.equal(later.code, 1);
  });

  it('--fail-on decides the exit code; a missing database says how to get one', async () => {
    assert.equal((await runCli(['audit', repo, '--db', dbDir, '--fail-on', 'critical'])).code, 0);
    assert.equal((await runCli(['audit', repo, '--db', dbDir, '--fail-on', 'high'])).code, 1);
    const none = await runCli(['audit', repo, '--db', path.join(tmp, 'nothing')]);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no advisory database at .*: run `depwarden db sync`/);
  });

  it('exports OpenVEX and CycloneDX VEX that import back to the same decisions', async () => {
    const env = { SOURCE_DATE_EPOCH: String(Date.parse('2024-06-01') / 1000) };
    const open = await runCli(['vex', 'export', repo, '--db', dbDir, '--format', 'openvex'], { env });
    const doc = JSON.parse(open.stdout) as { statements: { vulnerability: { name: string }; status: string }[] };
    assert.equal(doc.statements.find((s) => s.vulnerability.name === 'CVE-2014-1402')!.status, 'not_affected');
    assert.equal(doc.statements.filter((s) => s.status === 'affected').length, 2);
    const back = importVex(open.stdout, { owner: 'me', expires: '2025-01-01' });
    assert.deepEqual(back.find((t) => t.id === 'CVE-2014-1402')!.state, 'not_affected');
    const cdx = await runCli(['vex', 'export', repo, '--db', dbDir, '--format', 'cyclonedx'], { env });
    const back2 = importVex(cdx.stdout, { owner: 'me', expires: '2025-01-01' });
    assert.equal(back2.find((t) => t.id === 'CVE-2014-1402')!.justification, 'code_not_reachable');
    // Byte-identical on a second run.
    assert.equal((await runCli(['vex', 'export', repo, '--db', dbDir, '--format', 'cyclonedx'], { env })).stdout, cdx.stdout);
  });

  it('check includes the audit when a database exists, and says so when none does', async () => {
    const home = path.join(tmp, 'home');
    writeDb(path.join(home, 'osv'), AdvisoryDb.open(dbDir)!.all(), { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] });
    const env = { DEPWARDEN_HOME: home, SOURCE_DATE_EPOCH: String(Date.parse('2024-06-01') / 1000) };
    const r = await runCli(['check', repo, '--format', 'json'], { env });
    const ids = (JSON.parse(r.stdout) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId);
    assert.ok(ids.includes('DW201'));
    const none = await runCli(['check', repo, '--format', 'json'], { env: { DEPWARDEN_HOME: path.join(tmp, 'empty') } });
    assert.match(none.stderr, /vulnerabilities not checked: no advisory database/);
  });

  it('merges aliases transitively: PYSEC-1→CVE-1, PYSEC-2→CVE-2, GHSA→CVE-1+CVE-2 is one vulnerability', async () => {
    const inv = await buildInventory(repo, configSchema.parse({}));
    const advs = [
      adv('PYSEC-1', ['CVE-1'], 'safe-pkg', [{ introduced: '0' }, { fixed: '1.1' }]),
      adv('PYSEC-2', ['CVE-2'], 'safe-pkg', [{ introduced: '0' }, { fixed: '1.2' }]),
      adv('GHSA-xxxx', ['CVE-1', 'CVE-2'], 'safe-pkg', [{ introduced: '0' }, { fixed: '1.1' }]),
    ];
    const r = auditInventory(inv, { lookup: (e, n) => (e === 'PyPI' && n === 'safe-pkg' ? advs : []) }, [], new Date('2024-06-01'));
    assert.deepEqual(r.matches.map((m) => [m.id, m.ids.join('+'), m.fixedIn]), [['CVE-1', 'CVE-1+CVE-2+GHSA-xxxx+PYSEC-1+PYSEC-2', '1.2']]);
    assert.deepEqual(r.upgrades, [{ service: 'svc-a', ecosystem: 'PyPI', name: 'safe-pkg', from: '1.0', to: '1.2', updateType: 'minor' }]);
  });

  it('embeds the audit in a CycloneDX SBOM, with VEX analysis, and the document stays schema-valid', async () => {
    const { validateCycloneDxJson } = await import('../../src/sbom/cyclonedx.ts');
    const r = await runCli(['sbom', repo, '--vulnerabilities', '--db', dbDir], { env: { SOURCE_DATE_EPOCH: String(Date.parse('2024-06-01') / 1000) } });
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await validateCycloneDxJson(r.stdout, '1.6'), null);
    const bom = JSON.parse(r.stdout) as { vulnerabilities: { id: string; analysis: { state: string }; affects: { ref: string }[] }[] };
    assert.deepEqual(bom.vulnerabilities.map((v) => `${v.id} ${v.analysis.state} ${v.affects.length}`), ['CVE-2014-1402 not_affected 1', 'CVE-2018-18074 in_triage 1', 'CVE-2023-32681 in_triage 1']);
  });
});
