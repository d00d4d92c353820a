import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { AdvisoryDb } from '../../src/vulns/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/** Issue 20.8: real processes importing and auditing one database at the same time. */

const CLI = path.resolve(import.meta.dirname, '..', '..', 'bin', 'depwarden.js');

function run(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d));
    p.stderr.on('data', (d: Buffer) => (stderr += d));
    p.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

const advisory = (id: string, eco: string, name: string) =>
  JSON.stringify({ id, modified: '2024-05-01T00:00:00Z', affected: [{ package: { ecosystem: eco, name }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '9.0' }] }] }] });
const zipOf = (prefix: string, eco: string, n: number): Uint8Array =>
  zipSync(Object.fromEntries(Array.from({ length: n }, (_, i) => [`${prefix}-${i}.json`, strToU8(advisory(`${prefix}-${i}`, eco, `${prefix.toLowerCase()}-pkg-${i}`))])));

describe('advisory database under concurrency', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-conc-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const db = path.join(tmp, 'db');
  const env = { DEPWARDEN_HOME: path.join(tmp, 'home'), SOURCE_DATE_EPOCH: String(Date.parse('2024-05-02T00:00:00Z') / 1000) };

  it('four parallel imports all land (merged, CURRENT valid, no lock left); audits during them never fail', async () => {
    const sets = [
      ['PYSEC-A', 'PyPI'],
      ['PYSEC-B', 'PyPI'],
      ['GHSA-C', 'npm'],
      ['GHSA-D', 'npm'],
    ] as const;
    for (const [prefix, eco] of sets) writeFileSync(path.join(tmp, `${prefix}.zip`), zipOf(prefix, eco, 300));
    writeFileSync(path.join(tmp, 'base.zip'), zipOf('PYSEC-BASE', 'PyPI', 5));
    assert.equal((await runCli(['db', 'import', path.join(tmp, 'base.zip'), '--db', db])).code, 0);
    const repo = writeTree({
      'svc/poetry.lock': `[[package]]\nname = "pysec-base-pkg-1"\nversion = "1.0"\ndescription = ""\noptional = false\npython-versions = "*"\nfiles = []\n\n[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "x"\n`,
    });
    after(() => rmSync(repo, { recursive: true, force: true }));

    const imports = Promise.all(sets.map(([prefix]) => run(['db', 'import', path.join(tmp, `${prefix}.zip`), '--db', db], env)));
    let importing = true;
    void imports.then(() => (importing = false));
    const audits: { code: number; stderr: string }[] = [];
    const auditor = async (): Promise<void> => {
      do audits.push(await run(['audit', repo, '--db', db, '--format', 'json', '--fail-on', 'critical'], env));
      while (importing && audits.length < 8);
    };
    const [done] = await Promise.all([imports, auditor(), auditor()]);
    assert.ok(audits.length >= 2);

    for (const r of done) assert.equal(r.code, 0, r.stderr);
    for (const a of audits) {
      assert.equal(a.code, 0, a.stderr);
      assert.doesNotMatch(a.stderr, /ENOENT|internal error/);
    }
    const d = AdvisoryDb.open(db)!;
    assert.deepEqual(Object.fromEntries(Object.entries(d.meta.ecosystems).map(([e, m]) => [e, m.advisories])), { PyPI: 605, npm: 600 });
    assert.ok(existsSync(d.dir));
    d.close();
    const left = readdirSync(db).sort();
    assert.ok(!left.includes('LOCK'), left.join());
    assert.ok(!left.some((f) => f.endsWith('.tmp')), left.join());
    assert.ok(left.filter((f) => f.startsWith('gen-')).length <= 2, left.join());
    assert.ok(left.includes(readFileSync(path.join(db, 'CURRENT'), 'utf8').trim()));
  });

  it('a reader keeps its generation while writers replace and prune it', async () => {
    const r = AdvisoryDb.open(db)!;
    const held = r.dir;
    for (let i = 0; i < 3; i++) assert.equal((await runCli(['db', 'import', path.join(tmp, `${['PYSEC-A', 'PYSEC-B', 'GHSA-C'][i]}.zip`), '--db', db, '--replace'])).code, 0);
    assert.ok(!existsSync(held), 'pruned');
    assert.equal(r.lookup('PyPI', 'pysec-base-pkg-1')[0]!.id, 'PYSEC-BASE-1');
    r.close();
  });

  it('a lock left by a process that no longer runs is taken over; a live one makes the writer wait', async () => {
    writeFileSync(path.join(db, 'LOCK'), JSON.stringify({ pid: 2 ** 22 + 12345, host: (await import('node:os')).hostname(), since: '2024-01-01T00:00:00Z' }));
    const r = await runCli(['db', 'import', path.join(tmp, 'GHSA-D.zip'), '--db', db]);
    assert.equal(r.code, 0, r.stderr);
    assert.ok(!existsSync(path.join(db, 'LOCK')));
    const { withDbLock } = await import('../../src/vulns/lock.ts');
    writeFileSync(path.join(db, 'LOCK'), JSON.stringify({ pid: process.ppid, host: (await import('node:os')).hostname(), since: '2024-01-01T00:00:00Z' }));
    assert.throws(() => withDbLock(db, () => 1, 300), /advisory database at .* is locked by process \d+ .* remove .*LOCK/);
    rmSync(path.join(db, 'LOCK'));
  });

  it('a CURRENT that names a missing generation: readers say "damaged" (exit 2), the next import rebuilds from the newest intact one', async () => {
    const before = AdvisoryDb.open(db)!;
    const counts = Object.fromEntries(Object.entries(before.meta.ecosystems).map(([e, m]) => [e, m.advisories]));
    before.close();
    writeFileSync(path.join(db, 'CURRENT'), 'gen-gone-1');
    const r = await runCli(['audit', tmp, '--db', db]);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /advisory database at .* is damaged: gen-gone-1: missing files; run `depwarden db sync` or `depwarden db import` again/);
    writeFileSync(path.join(tmp, 'one.zip'), zipOf('PYSEC-ONE', 'PyPI', 1));
    const i = await runCli(['db', 'import', path.join(tmp, 'one.zip'), '--db', db]);
    assert.equal(i.code, 0, i.stderr);
    assert.match(i.stderr, /is damaged.*rebuilding from gen-/);
    const after = AdvisoryDb.open(db)!;
    assert.deepEqual(Object.fromEntries(Object.entries(after.meta.ecosystems).map(([e, m]) => [e, m.advisories])), { ...counts, PyPI: counts.PyPI! + 1 });
    after.close();
  });
});
