import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { AdvisoryDb } from '../../src/vulns/store.ts';
import { syncDb } from '../../src/vulns/sync.ts';

function osv(id: string, pkg: string, fixed: string, modified: string): Record<string, unknown> {
  return { id, modified, aliases: [`CVE-${id.slice(-4)}`], affected: [{ package: { ecosystem: 'PyPI', name: pkg }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed }] }] }] };
}

/** A local stand-in for osv.dev's bucket: /PyPI/all.zip, /PyPI/modified_id.csv, /PyPI/<id>.json. */
class Bucket {
  records = new Map<string, Record<string, unknown>>();
  mode: 'ok' | 'cut' | 'corrupt' | 'busy-once' = 'ok';
  /** What the mirror answers instead of the real thing (issue 20.9). */
  lie: 'none' | 'html' | 'empty' | 'older-csv' | 'empty-zip' | 'html-record' = 'none';
  requests: string[] = [];
  server: Server = createServer((req, res) => {
    this.requests.push(req.url ?? '');
    if (this.mode === 'busy-once') {
      this.mode = 'ok';
      res.writeHead(429, { 'retry-after': '0' }).end();
      return;
    }
    if (this.lie === 'html' || (this.lie === 'html-record' && /\/PyPI\/[^/]+\.json$/.test(req.url ?? ''))) {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><html><body>Service Unavailable</body></html>');
      return;
    }
    if (this.lie === 'empty') {
      res.writeHead(200).end();
      return;
    }
    if (req.url === '/PyPI/all.zip' && this.lie === 'empty-zip') {
      res.writeHead(200).end(Buffer.from(zipSync({})));
      return;
    }
    if (req.url === '/PyPI/all.zip') {
      const files: Record<string, Uint8Array> = {};
      for (const [id, r] of this.records) files[`${id}.json`] = strToU8(JSON.stringify(r));
      const zip = zipSync(files);
      if (this.mode === 'corrupt') {
        const bad = Buffer.from(zip);
        for (let i = 40; i < bad.length - 30; i += 7) bad[i] = bad[i]! ^ 0xff;
        res.writeHead(200, { 'content-length': bad.length }).end(bad);
      } else if (this.mode === 'cut') {
        res.writeHead(200, { 'content-length': zip.length });
        res.write(Buffer.from(zip).subarray(0, Math.floor(zip.length / 2)));
        setTimeout(() => res.destroy(), 5);
      } else res.writeHead(200, { 'content-length': zip.length }).end(Buffer.from(zip));
      return;
    }
    if (req.url === '/PyPI/modified_id.csv') {
      let rows = [...this.records.values()].map((r) => `${r.modified as string},${r.id as string}`).sort().reverse();
      if (this.lie === 'older-csv') rows = rows.slice(3);
      res.writeHead(200).end(`${rows.join('\n')}\n`);
      return;
    }
    const m = /^\/PyPI\/(.+)\.json$/.exec(req.url ?? '');
    const rec = m ? this.records.get(decodeURIComponent(m[1]!)) : undefined;
    if (rec) res.writeHead(200).end(JSON.stringify(rec));
    else res.writeHead(404).end();
  });
  get base(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
}

describe('db sync against a local OSV bucket', () => {
  const bucket = new Bucket();
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-osv-'));
  const sync = () => syncDb({ dbDir: dir, base: bucket.base, ecosystems: ['PyPI'], http: { backoffMs: 5, retries: 2, timeoutMs: 5000 } });
  before(async () => {
    for (let i = 0; i < 50; i++) bucket.records.set(`PYSEC-2024-${1000 + i}`, osv(`PYSEC-2024-${1000 + i}`, `pkg-${i}`, '2.0', `2024-01-${String(1 + (i % 28)).padStart(2, '0')}T00:00:00Z`));
    await new Promise<void>((r) => bucket.server.listen(0, '127.0.0.1', r));
  });
  after(() => {
    bucket.server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('downloads all.zip the first time', async () => {
    const r = await sync();
    assert.deepEqual(r.mode, { PyPI: 'full' });
    const db = AdvisoryDb.open(dir)!;
    assert.equal(db.meta.advisories, 50);
    assert.equal(db.lookup('PyPI', 'pkg-7')[0]!.id, 'PYSEC-2024-1007');
    db.close();
  });

  it('then fetches only what modified_id.csv says changed', async () => {
    bucket.records.set('PYSEC-2024-1003', osv('PYSEC-2024-1003', 'pkg-3', '3.0', '2024-02-01T00:00:00Z'));
    bucket.records.set('PYSEC-2024-2000', osv('PYSEC-2024-2000', 'newpkg', '1.1', '2024-02-02T00:00:00Z'));
    bucket.requests = [];
    const r = await sync();
    assert.deepEqual(r.mode, { PyPI: 'incremental' });
    assert.deepEqual(bucket.requests.sort(), ['/PyPI/PYSEC-2024-1003.json', '/PyPI/PYSEC-2024-2000.json', '/PyPI/modified_id.csv']);
    const db = AdvisoryDb.open(dir)!;
    assert.equal(db.meta.advisories, 51);
    const fixed = (db.lookup('PyPI', 'pkg-3')[0]!.affected[0]!.ranges[0]!.events[1] as { fixed: string }).fixed;
    assert.equal(fixed, '3.0');
    db.close();
  });

  it('reports nothing to do when nothing changed, after a 429 with Retry-After', async () => {
    bucket.mode = 'busy-once';
    const r = await sync();
    assert.deepEqual(r.mode, { PyPI: 'unchanged' });
  });

  it('an interrupted download fails clearly and leaves the old database in use', async () => {
    const before = AdvisoryDb.open(dir)!.dir;
    const fresh = mkdtempSync(path.join(tmpdir(), 'dw-osv-cut-'));
    bucket.mode = 'cut';
    // A new database directory forces a full download.
    await assert.rejects(syncDb({ dbDir: fresh, base: bucket.base, ecosystems: ['PyPI'], http: { backoffMs: 5, retries: 1 } }), /failed after 2 attempts: .*(interrupted|terminated|other side closed)/i);
    assert.equal(AdvisoryDb.open(fresh), undefined);
    // And in the existing directory, with its watermark removed so a full sync is needed:
    bucket.records.set('PYSEC-2024-9999', osv('PYSEC-2024-9999', 'x', '1', '2025-01-01T00:00:00Z'));
    await assert.rejects(syncDb({ dbDir: dir, base: bucket.base, ecosystems: ['PyPI'], incrementalLimit: 0, http: { backoffMs: 5, retries: 1 } }));
    assert.equal(AdvisoryDb.open(dir)!.dir, before);
    rmSync(fresh, { recursive: true, force: true });
  });

  it('a corrupt archive is refused and the old database stays', async () => {
    const before = AdvisoryDb.open(dir)!;
    bucket.mode = 'corrupt';
    await assert.rejects(syncDb({ dbDir: dir, base: bucket.base, ecosystems: ['PyPI'], incrementalLimit: 0, http: { backoffMs: 5, retries: 0 } }), /not a readable OSV archive/);
    const now = AdvisoryDb.open(dir)!;
    assert.equal(now.dir, before.dir);
    assert.equal(now.meta.advisories, 51);
    bucket.mode = 'ok';
  });

  it('refuses hosts that are not configured', async () => {
    await assert.rejects(syncDb({ dbDir: dir, base: 'http://127.0.0.2:1', ecosystems: ['PyPI'], http: { allowHosts: ['127.0.0.1'], retries: 0 } }), /not a configured host/);
  });
});

describe('db sync does not mask staleness (issue 20.9)', () => {
  const bucket = new Bucket();
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-osv-lie-'));
  const first = new Date('2024-03-01T00:00:00Z');
  const later = new Date('2024-03-10T00:00:00Z');
  const sync = (db = dir) => syncDb({ dbDir: db, base: bucket.base, ecosystems: ['PyPI'], now: () => later, http: { backoffMs: 5, retries: 0, timeoutMs: 5000 } });
  before(async () => {
    for (let i = 0; i < 10; i++) bucket.records.set(`PYSEC-2024-${i}`, osv(`PYSEC-2024-${i}`, `pkg-${i}`, '2.0', `2024-02-${String(10 + i).padStart(2, '0')}T00:00:00Z`));
    await new Promise<void>((r) => bucket.server.listen(0, '127.0.0.1', r));
    await syncDb({ dbDir: dir, base: bucket.base, ecosystems: ['PyPI'], now: () => first });
  });
  after(() => {
    bucket.server.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const unchangedDb = (): void => {
    const db = AdvisoryDb.open(dir)!;
    assert.equal(db.meta.builtAt, first.toISOString());
    assert.equal(db.meta.ecosystems.PyPI!.advisories, 10);
    assert.equal(db.meta.ecosystems.PyPI!.watermark, '2024-02-19T00:00:00Z');
    db.close();
  };

  it('an HTML page instead of modified_id.csv is an error; the database and its build time stay', async () => {
    bucket.lie = 'html';
    await assert.rejects(sync(), /modified_id\.csv line 1 is not "<time>,<id>": "<!doctype html>/);
    unchangedDb();
  });

  it('an empty answer is an error, not "up to date"', async () => {
    bucket.lie = 'empty';
    await assert.rejects(sync(), /modified_id\.csv is empty/);
    unchangedDb();
  });

  it('a modified_id.csv older than the watermark (a mirror that fell behind) is an error', async () => {
    bucket.lie = 'older-csv';
    await assert.rejects(sync(), /is older than the database: its newest entry is 2024-02-16T00:00:00Z, the database already has 2024-02-19T00:00:00Z/);
    unchangedDb();
  });

  it('a changed record the mirror answers with HTML is an error, and the watermark does not move past it', async () => {
    bucket.records.set('PYSEC-2024-99', osv('PYSEC-2024-99', 'pkg-99', '2.0', '2024-03-05T00:00:00Z'));
    bucket.lie = 'html-record';
    await assert.rejects(sync(), /PYSEC-2024-99\.json is not a readable OSV record/);
    unchangedDb();
    bucket.records.delete('PYSEC-2024-99');
  });

  it('a valid answer with nothing newer is "up to date" and leaves the build time alone', async () => {
    bucket.lie = 'none';
    const r = await sync();
    assert.deepEqual(r.mode, { PyPI: 'unchanged' });
    assert.equal(r.written, false);
    unchangedDb();
  });

  it('an all.zip without advisories is an error (a fresh database stays absent)', async () => {
    bucket.lie = 'empty-zip';
    const fresh = mkdtempSync(path.join(tmpdir(), 'dw-osv-lie-fresh-'));
    try {
      await assert.rejects(sync(fresh), /all\.zip holds no readable PyPI advisory/);
      assert.equal(AdvisoryDb.open(fresh), undefined);
    } finally {
      rmSync(fresh, { recursive: true, force: true });
      bucket.lie = 'none';
    }
  });

  it('the CLI says the sync failed and the previous database is still used (exit 2)', async () => {
    bucket.lie = 'html';
    const { runCli } = await import('../helpers/run-cli.ts');
    const r = await runCli(['db', 'sync', '--source', bucket.base, '--db', dir, '--ecosystem', 'PyPI']);
    bucket.lie = 'none';
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /sync failed: .*modified_id\.csv line 1[^\n]*\nthe previous database \(built 2024-03-01T00:00:00\.000Z\) is unchanged and still used/);
    unchangedDb();
  });
});
