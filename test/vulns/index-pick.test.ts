import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import type { Advisory } from '../../src/vulns/osv-record.ts';
import { AdvisoryDb, pickIndex, writeDb } from '../../src/vulns/store.ts';

/** Issue 19.2: an audit reads only the index entries of the packages it scans, with the same answers as the whole index. */

const adv = (id: string, ecosystem: string, name: string): Advisory =>
  ({ id, aliases: [], modified: '2024-01-01T00:00:00Z', summary: `about ${name}`, affected: [{ ecosystem, name, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.0.0' }] }], versions: [] }] }) as unknown as Advisory;

// Names that break a naive reader of the index: prototype keys, an escaped quote and backslash, non-ASCII, digits only.
const NAMES = ['requests', '__proto__', 'constructor', 'a"b\\c', 'påkke', '123', 'toString'];

describe('index of the advisory database, read by name', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-pick-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  writeDb(dir, [...NAMES.map((n, i) => adv(`PYSEC-${i}`, 'PyPI', n)), adv('GHSA-1', 'npm', 'left-pad'), adv('GHSA-2', 'npm', '__proto__')], { source: 'test', builtAt: '2024-01-02T00:00:00Z', watermark: {}, invalid: [] });
  const gen = path.join(dir, readFileSync(path.join(dir, 'CURRENT'), 'utf8').trim());
  const text = readFileSync(path.join(gen, 'index.json'), 'utf8');
  const full = JSON.parse(text) as Record<string, Record<string, [number, number]>>;

  it('picks exactly the wanted entries, as JSON.parse reads them', () => {
    const picked = pickIndex(text, new Map([['PyPI', new Set([...NAMES, 'absent'])], ['npm', new Set(['__proto__'])]]))!;
    for (const n of NAMES) assert.deepEqual(picked.PyPI![n], full.PyPI![n], n);
    assert.equal(Object.hasOwn(picked.PyPI!, 'absent'), false);
    assert.deepEqual(Object.keys(picked.npm!), ['__proto__']);
    assert.deepEqual(picked.npm!.__proto__, full.npm!.__proto__);
  });

  it('gives up (undefined) on text not shaped like the written index, so the caller parses it whole', () => {
    assert.equal(pickIndex(JSON.stringify(full, null, 1), new Map([['PyPI', new Set(['requests'])]])), undefined);
    assert.equal(pickIndex(text.slice(0, -2), new Map([['PyPI', new Set(['requests'])]])), undefined);
    assert.deepEqual(pickIndex('{}', new Map([['PyPI', new Set(['requests'])]])), Object.create(null));
  });

  it('lookups after prepare() equal lookups on the whole index, and unprepared names still answer', () => {
    const a = AdvisoryDb.open(dir)!;
    const b = AdvisoryDb.open(dir)!;
    try {
      a.prepare(NAMES.map((name) => ({ ecosystem: 'PyPI', name })));
      b.all(); // parses the whole index
      for (const n of [...NAMES, 'absent']) assert.deepEqual(a.lookup('PyPI', n), b.lookup('PyPI', n), n);
      assert.equal(a.lookup('PyPI', 'requests')[0]!.id, 'PYSEC-0');
      assert.deepEqual(a.lookup('PyPI', 'hasOwnProperty'), []);
      assert.equal(a.lookup('npm', 'left-pad')[0]!.id, 'GHSA-1'); // not prepared: read from the whole index
      assert.equal(a.lookup('npm', '__proto__')[0]!.id, 'GHSA-2');
    } finally {
      a.close();
      b.close();
    }
  });

  it('a cut-off index is reported as damage when the database is opened', () => {
    writeFileSync(path.join(gen, 'index.json'), text.slice(0, 20));
    assert.throws(() => AdvisoryDb.open(dir), /damaged: .*index\.json is incomplete/);
    writeFileSync(path.join(gen, 'index.json'), text);
  });
});
