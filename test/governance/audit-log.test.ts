import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { type AuditEntry, appendEvent, entryHash, readLog, verifyLog } from '../../src/governance/audit-log.ts';
import { openStore, type Store } from '../../src/store/store.ts';

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const NODE = process.execPath;
const WORKER = path.join(import.meta.dirname, 'append-worker.ts');

function chain(n: number): AuditEntry[] {
  const out: AuditEntry[] = [];
  for (let i = 1; i <= n; i++) {
    const base = { seq: i, prev: out[i - 2]?.hash ?? '0'.repeat(64), time: `2024-01-0${i}T00:00:00.000Z`, actor: 'ci', kind: 'tested', payload: { i } };
    out.push({ ...base, hash: entryHash(base) });
  }
  return out;
}

describe('audit log verification names each kind of tampering', () => {
  it('a clean chain verifies', () => assert.deepEqual(verifyLog(chain(5), { seq: 5, hash: chain(5)[4]!.hash }), []));
  it('edited', () => {
    const c = chain(5);
    c[2] = { ...c[2]!, payload: { i: 99 } };
    assert.deepEqual(verifyLog(c).map((t) => `${t.kind} ${t.seq}`), ['edited 3']);
  });
  it('deleted', () => {
    const c = chain(5);
    c.splice(2, 1);
    assert.deepEqual(verifyLog(c).map((t) => `${t.kind} ${t.seq}`), ['deleted 3']);
  });
  it('inserted (an entry replaced by a well-hashed forgery)', () => {
    const c = chain(5);
    const base = { seq: 3, prev: c[1]!.hash, time: '2024-01-03T00:00:00.000Z', actor: 'mallory', kind: 'approved', payload: { change: 7 } };
    c[2] = { ...base, hash: entryHash(base) };
    assert.deepEqual(verifyLog(c).map((t) => `${t.kind} ${t.seq}`), ['inserted 4']);
  });
  it('reordered', () => {
    const c = chain(5);
    [c[2], c[3]] = [c[3]!, c[2]!];
    // Read in stored order [1, 2, 4, 3, 5]: the jump to 4 and the step back to 3 are both named.
    assert.deepEqual(verifyLog(c).map((t) => `${t.kind} ${t.seq}`), ['deleted 3', 'reordered 3']);
  });
  it('truncated tail and rewritten history, against the recorded head', () => {
    const c = chain(5);
    assert.deepEqual(verifyLog(c.slice(0, 3), { seq: 5, hash: c[4]!.hash }).map((t) => t.kind), ['truncated']);
    const rewritten = chain(5).map((e) => ({ ...e }));
    assert.deepEqual(verifyLog(rewritten, { seq: 5, hash: 'f'.repeat(64) }).map((t) => t.kind), ['head-mismatch']);
  });
});

for (const kind of ['pglite', 'postgres'] as const) {
  describe(`audit log on ${kind}`, () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-audit-store-'));
    const schema = `dw_test_${process.pid}_${Date.now().toString(36)}`;
    const stores: Store[] = [];
    const open = async (): Promise<Store> => {
      const s = await openStore(kind === 'postgres' ? { databaseUrl: DATABASE_URL, schema, dir } : { dir: path.join(dir, 'state') });
      stores.push(s);
      return s;
    };
    // PGlite is one process's database: close before another process needs it.
    const done = async (s: Store): Promise<void> => {
      stores.splice(stores.indexOf(s), 1);
      await s.close();
    };
    after(async () => {
      for (const s of stores) await s.close().catch(() => {});
      if (kind === 'postgres') {
        const s = await openStore({ databaseUrl: DATABASE_URL, dir });
        await s.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await s.close();
      }
      rmSync(dir, { recursive: true, force: true });
    });

    it('appends a chain that verifies, and detects tampering done with SQL', async () => {
      const s = await open();
      for (const k of ['proposed', 'tested', 'approved', 'merged']) await appendEvent(s, { actor: 'alice', kind: k, payload: { change: 'c1' } });
      const log = await readLog(s);
      assert.deepEqual(log.map((e) => `${e.seq} ${e.kind}`), ['1 proposed', '2 tested', '3 approved', '4 merged']);
      assert.deepEqual(verifyLog(log), []);
      await s.query(`UPDATE audit_log SET payload = '{"change":"c2"}' WHERE seq = 3`);
      assert.deepEqual(verifyLog(await readLog(s)).map((t) => `${t.kind} ${t.seq}`), ['edited 3']);
      await s.query('DELETE FROM audit_log WHERE seq = 2');
      assert.ok(verifyLog(await readLog(s)).some((t) => t.kind === 'deleted' && t.seq === 2));
      await s.query('DELETE FROM audit_log');
      await done(s);
    });

    {
      it('two writer processes never fork or lose the chain', async () => {
        const run = (actor: string): Promise<string> =>
          new Promise((resolve, reject) => {
            const c = spawn(NODE, kind === 'postgres' ? [WORKER, DATABASE_URL, schema, '40', actor] : [WORKER, 'pglite', path.join(dir, 'state'), '40', actor]);
            let out = '';
            c.stdout.on('data', (d) => (out += d));
            c.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`worker exited ${code}`))));
          });
        const [a, b] = await Promise.all([run('w1'), run('w2')]);
        const acked = [...a.trim().split('\n'), ...b.trim().split('\n')].map(Number).sort((x, y) => x - y);
        const s = await open();
        const log = await readLog(s);
        await done(s);
        assert.equal(log.length, 80);
        assert.deepEqual(acked, log.map((e) => e.seq));
        assert.deepEqual(verifyLog(log), []);
      });

      it('kill -9 in the middle of writing loses nothing that was acknowledged', async () => {
        const s0 = await open();
        const before = (await readLog(s0)).length;
        await done(s0);
        const c = spawn(NODE, kind === 'postgres' ? [WORKER, DATABASE_URL, schema, '100000', 'crashy'] : [WORKER, 'pglite', path.join(dir, 'state'), '100000', 'crashy']);
        let out = '';
        await new Promise<void>((resolve) => {
          c.stdout.on('data', (d) => {
            out += d;
            if (out.split('\n').length > 30) {
              c.kill('SIGKILL');
              resolve();
            }
          });
        });
        await new Promise((r) => c.on('exit', r));
        const acked = out.split('\n').filter((l) => /^\d+$/.test(l)).map(Number);
        const s = await open();
        const log = await readLog(s);
        await done(s);
        const seqs = new Set(log.map((e) => e.seq));
        for (const a of acked) assert.ok(seqs.has(a), `acknowledged entry ${a} lost`);
        assert.ok(log.length >= before + acked.length);
        assert.deepEqual(verifyLog(log), []);
      });
    }
  });
}

describe('audit-log command (embedded PGlite)', () => {
  it('records, verifies, exports, commits the head, and catches a rewritten tail', async () => {
    const { runCli } = await import('../helpers/run-cli.ts');
    const { writeFileSync } = await import('node:fs');
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-audit-cli-'));
    try {
      for (const k of ['deployed', 'suppression_added']) assert.equal((await runCli(['audit-log', 'record', k, '--actor', 'alice', '--payload', '{"change":"c1"}', '-C', repo])).code, 0);
      assert.match((await runCli(['audit-log', 'head', repo])).stdout, /^\.depwarden\/audit-head: #2 [0-9a-f]{64}\n$/);
      const ok = await runCli(['audit-log', 'verify', repo]);
      assert.equal(ok.code, 0, ok.stdout);
      assert.match(ok.stdout, /2 entries, chain intact, head #2 matches/);
      const lines = (await runCli(['audit-log', 'export', repo])).stdout.trim().split('\n');
      assert.equal(lines.length, 2);
      // A head that names another history: the log was rewritten after the head was committed.
      writeFileSync(path.join(repo, '.depwarden', 'audit-head'), `${JSON.stringify({ seq: 2, hash: 'e'.repeat(64) })}\n`);
      const bad = await runCli(['audit-log', 'verify', repo]);
      assert.equal(bad.code, 1);
      assert.match(bad.stdout, /TAMPERED {2}entry 2 does not have the hash recorded as the head/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
