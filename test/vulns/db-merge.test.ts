import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/** Issue 11.1: imports and syncs merge per ecosystem; audit names what the database does not cover or is stale. */

const HASH = `sha256:${'1'.repeat(64)}`;
const poetryLock = (pkgs: [string, string][]): string =>
  `${pkgs.map(([n, v]) => `[[package]]\nname = "${n}"\nversion = "${v}"\ndescription = ""\noptional = false\npython-versions = "*"\ngroups = ["main"]\nfiles = [{file = "${n}-${v}.tar.gz", hash = "${HASH}"}]\n`).join('\n')}\n[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "x"\n`;
const npmLock = (pkgs: [string, string][]): string =>
  JSON.stringify({
    name: 'web',
    version: '1.0.0',
    lockfileVersion: 3,
    requires: true,
    packages: {
      '': { name: 'web', version: '1.0.0', dependencies: Object.fromEntries(pkgs) },
      ...Object.fromEntries(pkgs.map(([n, v]) => [`node_modules/${n}`, { version: v, resolved: `https://registry.npmjs.org/${n}/-/${n}-${v}.tgz`, integrity: `sha512-${'A'.repeat(86)}==` }])),
    },
  });

/** OSV records shaped like the real ones (PyPA, GitHub) for requests, Jinja2 and jquery. */
const rec = (id: string, eco: string, name: string, modified: string, events: Record<string, string>[], aliases: string[] = []) =>
  JSON.stringify({ id, aliases, modified, affected: [{ package: { ecosystem: eco, name }, ranges: [{ type: 'ECOSYSTEM', events }] }] });
const zipOf = (records: string[]): Uint8Array => zipSync(Object.fromEntries(records.map((r) => [`${(JSON.parse(r) as { id: string }).id}.json`, strToU8(r)])));
const PYPI = [
  rec('PYSEC-2018-28', 'PyPI', 'requests', '2021-06-16T00:03:24.800813Z', [{ introduced: '0' }, { fixed: '2.20.0' }], ['CVE-2018-18074']),
  rec('PYSEC-2023-74', 'PyPI', 'requests', '2023-06-05T01:13:00.534973Z', [{ introduced: '2.3.0' }, { fixed: '2.31.0' }], ['CVE-2023-32681']),
  rec('PYSEC-2014-8', 'PyPI', 'jinja2', '2021-07-05T00:01:22.043149Z', [{ introduced: '0' }, { fixed: '2.7.2' }], ['CVE-2014-1402']),
];
const NPM = [
  rec('GHSA-2pqj-h3vj-pqgw', 'npm', 'jquery', '2023-05-31T17:49:37Z', [{ introduced: '0' }, { fixed: '1.9.0' }], ['CVE-2012-6708']),
  rec('GHSA-4f9m-pxwh-68hg', 'npm', 'swagger-ui', '2021-09-28T16:57:07Z', [{ introduced: '0' }, { fixed: '3.20.9' }]),
];

type Json = { findings: { ruleId: string; subject?: string; severity: string; message: string; file: string }[] };
const ruleIds = (stdout: string): string[] => (JSON.parse(stdout) as Json).findings.map((f) => `${f.ruleId} ${f.subject ?? ''}`.trim()).sort();

describe('db import merges per ecosystem; audit reports coverage and staleness', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-merge-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const pypiZip = path.join(tmp, 'pypi.zip');
  const npmZip = path.join(tmp, 'npm.zip');
  writeFileSync(pypiZip, zipOf(PYPI));
  writeFileSync(npmZip, zipOf(NPM));
  const repo = writeTree({
    'api/pyproject.toml': '[tool.poetry]\nname = "api"\nversion = "1"\ndescription = ""\nauthors = []\n[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "2.19.0"\n',
    'api/poetry.lock': poetryLock([['requests', '2.19.0'], ['Jinja2', '2.7.1']]),
    'web/package.json': JSON.stringify({ name: 'web', version: '1.0.0', dependencies: { jquery: '1.8.0' } }),
    'web/package-lock.json': npmLock([['jquery', '1.8.0']]),
  });
  after(() => rmSync(repo, { recursive: true, force: true }));
  // "now" a day after the newest advisory of the sample (2023-06-05): fresh.
  const fresh = { SOURCE_DATE_EPOCH: String(Date.parse('2023-06-06T00:00:00Z') / 1000) };

  it('importing npm after PyPI keeps every PyPI advisory, and the audit still finds them', async () => {
    const db = path.join(tmp, 'db1');
    const a = await runCli(['db', 'import', pypiZip, '--db', db], { env: fresh });
    assert.equal(a.code, 0, a.stderr);
    const b = await runCli(['db', 'import', npmZip, '--db', db], { env: fresh });
    assert.equal(b.code, 0, b.stderr);
    const status = JSON.parse((await runCli(['db', 'status', '--db', db, '--format', 'json'])).stdout) as { ecosystems: Record<string, { advisories: number }> };
    assert.deepEqual(Object.fromEntries(Object.entries(status.ecosystems).map(([e, x]) => [e, x.advisories])), { PyPI: 3, npm: 2 });
    const r = await runCli(['audit', repo, '--db', db, '--format', 'json', '--fail-on', 'medium'], { env: fresh });
    assert.deepEqual(ruleIds(r.stdout), ['DW201 Jinja2@2.7.1', 'DW201 jquery@1.8.0', 'DW201 requests@2.19.0', 'DW201 requests@2.19.0']);
    assert.equal(r.code, 1);
  });

  it('an ecosystem of the scanned locks that the database does not cover is a finding (DW204), not "no findings"', async () => {
    const db = path.join(tmp, 'db2');
    assert.equal((await runCli(['db', 'import', npmZip, '--db', db], { env: fresh })).code, 0);
    const r = await runCli(['audit', repo, '--db', db, '--format', 'json'], { env: fresh });
    const f = (JSON.parse(r.stdout) as Json).findings.filter((x) => x.ruleId === 'DW204');
    assert.equal(f.length, 1, r.stdout);
    assert.equal(f[0]!.severity, 'high');
    assert.equal(f[0]!.file, 'api/poetry.lock');
    assert.match(f[0]!.message, /no PyPI advisories: 2 locked packages in 1 lock file were not checked/);
    assert.equal(r.code, 1);
    // The table says so too, instead of "no findings".
    const t = await runCli(['audit', repo, '--db', db, '--fail-on', 'critical'], { env: fresh });
    assert.doesNotMatch(t.stdout, /no findings/);
    assert.match(t.stdout, /DW204/);
  });

  it('stale data is a medium finding (DW205); vulns.maxDatabaseAgeDays moves the limit; check reports both', async () => {
    const db = path.join(tmp, 'db3');
    assert.equal((await runCli(['db', 'import', pypiZip, '--db', db], { env: fresh })).code, 0);
    const later = { SOURCE_DATE_EPOCH: String(Date.parse('2023-06-20T00:00:00Z') / 1000) };
    const r = await runCli(['audit', repo, '--db', db, '--format', 'json'], { env: later });
    const stale = (JSON.parse(r.stdout) as Json).findings.filter((x) => x.ruleId === 'DW205');
    assert.equal(stale.length, 1, r.stdout);
    assert.equal(stale[0]!.severity, 'medium');
    assert.match(stale[0]!.message, /PyPI advisories are 14 days old \(newest modified 2023-06-05.*limit 7 days/);
    // Not stale a day after the newest advisory.
    assert.ok(!ruleIds((await runCli(['audit', repo, '--db', db, '--format', 'json'], { env: fresh })).stdout).some((x) => x.startsWith('DW205')));
    // A larger limit in depwarden.yaml.
    writeFileSync(path.join(repo, 'depwarden.yaml'), 'vulns:\n  maxDatabaseAgeDays: 30\n');
    try {
      assert.ok(!ruleIds((await runCli(['audit', repo, '--db', db, '--format', 'json'], { env: later })).stdout).some((x) => x.startsWith('DW205')));
      // check runs the audit with the database configured in depwarden.yaml and carries DW204 (npm) too.
      writeFileSync(path.join(repo, 'depwarden.yaml'), `vulns:\n  maxDatabaseAgeDays: 3\n  database: ${JSON.stringify(db)}\n`);
      const c = await runCli(['check', repo, '--format', 'json'], { env: later });
      const ids = ruleIds(c.stdout);
      assert.ok(ids.includes('DW204 npm'), ids.join());
      assert.ok(ids.includes('DW205 PyPI'), ids.join());
    } finally {
      rmSync(path.join(repo, 'depwarden.yaml'));
    }
  });

  it('a record is replaced only by a newer copy of itself; --replace replaces an ecosystem only with a newer copy', async () => {
    const db = path.join(tmp, 'db4');
    const pysec9 = (modified: string, fixed: string) => JSON.stringify({ id: 'PYSEC-9-1', modified, affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }] });
    const newer = path.join(tmp, 'newer.zip');
    const older = path.join(tmp, 'older.zip');
    writeFileSync(newer, zipSync({ 'a.json': strToU8(pysec9('2023-06-01T00:00:00Z', '3.0')) }));
    writeFileSync(older, zipSync({ 'a.json': strToU8(pysec9('2022-01-01T00:00:00Z', '1.0')), 'b.json': strToU8(JSON.stringify({ id: 'PYSEC-9-2', modified: '2022-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'x' }, versions: ['1'] }] })) }));
    assert.equal((await runCli(['db', 'import', newer, '--db', db])).code, 0);
    const o = await runCli(['db', 'import', older, '--db', db]);
    assert.equal(o.code, 0, o.stderr);
    assert.match(o.stdout, /PyPI: 1 new, 0 updated, 1 kept \(the database's copy is newer\)/);
    const { AdvisoryDb } = await import('../../src/vulns/store.ts');
    const d = AdvisoryDb.open(db)!;
    assert.equal((d.lookup('PyPI', 'requests')[0]!.affected[0]!.ranges[0]!.events[1] as { fixed: string }).fixed, '3.0');
    assert.equal(d.meta.ecosystems.PyPI!.advisories, 2);
    d.close();
    const rep = await runCli(['db', 'import', older, '--db', db, '--replace']);
    assert.equal(rep.code, 2);
    assert.match(rep.stderr, /PyPI: not replaced: the source's newest advisory \(2022-01-01T00:00:00Z\) is older than the database's \(2023-06-01T00:00:00Z\)/);
    assert.equal(AdvisoryDb.open(db)!.meta.ecosystems.PyPI!.advisories, 2);
    // A newer copy does replace: PYSEC-9-2 (absent from it) is gone.
    const r2 = await runCli(['db', 'import', newer, '--db', db, '--replace']);
    assert.equal(r2.code, 0, r2.stderr);
    assert.equal(AdvisoryDb.open(db)!.meta.ecosystems.PyPI!.advisories, 1);
    // One document merges like a zip of one.
    writeFileSync(path.join(tmp, 'one.json'), NPM[0]!);
    const one = await runCli(['db', 'import', path.join(tmp, 'one.json'), '--db', db]);
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(Object.keys(AdvisoryDb.open(db)!.meta.ecosystems).sort(), ['PyPI', 'npm']);
  });
});
