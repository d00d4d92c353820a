import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { readZip } from '../../src/vulns/import.ts';
import { AdvisoryDb } from '../../src/vulns/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { buildZip } from './zip-builder.ts';

/** Issue 20.8: hostile archives are refused quickly, with bounded memory, and never half-imported. */

const record = (id: string, fixed = '2.20.0') =>
  strToU8(JSON.stringify({ id, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }] }));
const MB = 1024 * 1024;

describe('OSV archives', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-zip-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('reads a well-formed archive, ZIP64 records included', () => {
    const entries = Array.from({ length: 5 }, (_, i) => ({ name: `PYSEC-1-${i}.json`, data: record(`PYSEC-1-${i}`) }));
    for (const zip64 of [false, true]) {
      const r = readZip(buildZip(entries, { zip64 }), 'x.zip');
      assert.deepEqual(r.invalid, []);
      assert.deepEqual(r.advisories.map((a) => a.id).sort(), entries.map((e) => e.name.replace('.json', '')));
    }
    // and what fflate writes (stored and deflated)
    assert.equal(readZip(zipSync({ 'a.json': record('PYSEC-1-1') }, { level: 0 }), 'y.zip').advisories.length, 1);
    assert.equal(readZip(zipSync({ 'a.json': record('PYSEC-1-1') }, { level: 9 }), 'y.zip').advisories.length, 1);
  });

  it('refuses a bomb of 300 entries x 8 MB before inflating it (declared total beyond the cap)', () => {
    const zeros = new Uint8Array(8 * MB - 1);
    const entries = Array.from({ length: 300 }, (_, i) => ({ name: `b${i}.json`, data: zeros }));
    const zip = buildZip(entries);
    assert.ok(zip.length < 3 * MB, `${zip.length}`);
    const t0 = performance.now();
    const rss0 = process.memoryUsage().rss;
    assert.throws(() => readZip(zip, 'bomb.zip'), /bomb\.zip is not a readable OSV archive: .*would expand to 2\.\d+ GB, more than the limit/);
    assert.ok(performance.now() - t0 < 2000, `${performance.now() - t0} ms`);
    assert.ok(process.memoryUsage().rss - rss0 < 200 * MB);
  });

  it('an entry that inflates beyond its declared size is stopped at the declared size', () => {
    const zip = buildZip([{ name: 'a.json', data: new Uint8Array(16 * MB), declaredSize: 100 }]);
    const t0 = performance.now();
    assert.throws(() => readZip(zip, 'liar.zip'), /liar\.zip is not a readable OSV archive: entry a\.json inflates beyond its declared size \(100 bytes\)/);
    assert.ok(performance.now() - t0 < 1000, `${performance.now() - t0} ms`);
  });

  it('entries that share one compressed body (overlapping entries) are refused', () => {
    const entries = [{ name: 'a.json', data: new Uint8Array(4 * MB) }, ...Array.from({ length: 2000 }, (_, i) => ({ name: `o${i}.json`, data: new Uint8Array(0), shareWith: 0 }))];
    const t0 = performance.now();
    assert.throws(() => readZip(buildZip(entries), 'overlap.zip'), /overlap\.zip is not a readable OSV archive: entries a\.json and o\d+\.json overlap/);
    assert.ok(performance.now() - t0 < 1000, `${performance.now() - t0} ms`);
  });

  it('a flipped bit fails the CRC-32 check; the archive is refused, not imported altered', () => {
    const good = zipSync({ 'PYSEC-1-1.json': record('PYSEC-1-1', '2.20.0') }, { level: 0 });
    const bad = Buffer.from(good);
    const at = bad.indexOf('2.20.0');
    bad[at + 2] = bad[at + 2]! ^ 0x01; // "2.20.0" -> "2.30.0": still a valid record
    assert.throws(() => readZip(bad, 'flip.zip'), /flip\.zip is not a readable OSV archive: entry PYSEC-1-1\.json fails its CRC-32 check/);
  });

  it('db import of a truncated or damaged archive is a clear error (exit 2), and the database is unchanged', async () => {
    const db = path.join(tmp, 'db');
    const good = zipSync(Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`PYSEC-2-${i}.json`, record(`PYSEC-2-${i}`)])));
    writeFileSync(path.join(tmp, 'good.zip'), good);
    assert.equal((await runCli(['db', 'import', path.join(tmp, 'good.zip'), '--db', db])).code, 0);
    const before = AdvisoryDb.open(db)!.dir;
    for (const [name, bytes] of [
      ['cut.zip', good.subarray(0, Math.floor(good.length / 2))],
      ['tail-cut.zip', good.subarray(0, good.length - 10)],
      ['garbage.zip', Buffer.from('<html>not a zip</html>')],
    ] as const) {
      writeFileSync(path.join(tmp, name), bytes);
      const r = await runCli(['db', 'import', path.join(tmp, name), '--db', db]);
      assert.equal(r.code, 2, `${name}: ${r.stderr}`);
      assert.match(r.stderr, new RegExp(`${name.replace('.', '\\.')} is not a readable OSV archive`));
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      assert.equal(AdvisoryDb.open(db)!.dir, before);
    }
  });
});
