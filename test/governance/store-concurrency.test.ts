import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readLog, verifyLog } from '../../src/governance/audit-log.ts';
import { openStore } from '../../src/store/store.ts';
import { needPostgres } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();

const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const WORKER = path.join(import.meta.dirname, 'append-worker.ts');
const LOCK_WORKER = path.join(import.meta.dirname, 'lock-worker.ts');

function worker(args: string[]): Promise<{ code: number | null; out: string; err: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [WORKER, ...args]);
    let out = '';
    let err = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (err += d));
    c.on('exit', (code) => resolve({ code, out, err }));
  });
}

/** The pid of a process that has exited: its lock is what a killed depwarden leaves behind. */
function deadPid(): number {
  const r = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' });
  return Number(r.stdout);
}

describe('concurrent writers (issue 20.7)', { skip: NO_PG }, () => {
  it('the embedded store lock: a dead holder\'s lock is taken over by exactly one of many processes starting together', async () => {
    for (let round = 0; round < 3; round++) {
      const dir = mkdtempSync(path.join(tmpdir(), 'dw-lock-'));
      try {
        const file = path.join(dir, 'state.lock');
        const journal = path.join(dir, 'journal');
        writeFileSync(file, String(deadPid()));
        writeFileSync(journal, '');
        const startAt = String(Date.now() + 1500);
        const codes = await Promise.all(Array.from({ length: 8 }, () => new Promise<number | null>((resolve) => spawn(process.execPath, [LOCK_WORKER, file, journal, startAt], { stdio: 'inherit' }).on('exit', resolve))));
        assert.deepEqual(codes, Array(8).fill(0));
        const lines = readFileSync(journal, 'utf8').trim().split('\n');
        assert.equal(lines.length, 16);
        // Held by one at a time: every "enter" is followed by the same process's "exit".
        for (let i = 0; i < lines.length; i += 2) assert.equal(lines[i + 1], lines[i]!.replace('enter', 'exit'), `two processes held the lock at once:\n${lines.join('\n')}`);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  });

  it('PostgreSQL: concurrent first use of a fresh schema does not race the migrations', async () => {
    for (let round = 0; round < 2; round++) {
      const schema = `dw_race_${process.pid}_${round}_${Date.now().toString(36)}`;
      try {
        const runs = await Promise.all(['w1', 'w2', 'w3', 'w4'].map((a) => worker([DATABASE_URL, schema, '3', a])));
        for (const r of runs) assert.equal(r.code, 0, r.err);
        const s = await openStore({ databaseUrl: DATABASE_URL, schema, dir: '' });
        const log = await readLog(s);
        await s.close();
        assert.equal(log.length, 12);
        assert.deepEqual(verifyLog(log), []);
      } finally {
        const s = await openStore({ databaseUrl: DATABASE_URL, dir: '' });
        await s.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await s.close();
      }
    }
  });
});
