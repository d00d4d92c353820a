import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { openRepositoryStore, readStoreSummary } from '../../src/store/store.ts';
import { runCli } from '../helpers/run-cli.ts';

describe('audit log rows edited outside depwarden (issue 20.12)', () => {
  it('a non-JSON payload is named: verify reports the entry as edited (exit 1), export refuses with a clear error (exit 2), no stack trace', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-badpayload-'));
    try {
      for (const k of ['deployed', 'suppression_added']) assert.equal((await runCli(['audit-log', 'record', k, '--actor', 'alice', '--payload', '{"change":"c1"}', '-C', repo])).code, 0);
      const s = await openRepositoryStore(repo, {});
      await s.query(`UPDATE audit_log SET payload = '{not json' WHERE seq = 2`);
      await s.close();
      const v = await runCli(['audit-log', 'verify', repo]);
      assert.equal(v.code, 1, v.stderr);
      assert.match(v.stdout, /TAMPERED {2}entry 2 \(suppression_added by alice\) was edited: its stored payload is not JSON/);
      const x = await runCli(['audit-log', 'export', repo]);
      assert.equal(x.code, 2);
      assert.match(x.stderr, /^depwarden: audit log entry 2 \(suppression_added by alice\): its stored payload is not JSON .*run `depwarden audit-log verify`\n$/);
      assert.doesNotMatch(v.stderr + x.stderr, /internal error|at .*\.ts:\d+/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe('the governance store is created only by commands that write (issue 11.10)', () => {
  it('read-only commands on a directory without a store say so (exit 2) and create nothing', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-nostore-'));
    try {
      for (const args of [['audit-log', 'verify', repo], ['audit-log', 'export', repo], ['audit-log', 'head', repo], ['changes', 'list', '-C', repo], ['changes', 'show', 'c1', '-C', repo], ['gate', 'c1', '-C', repo]]) {
        const r = await runCli(args);
        assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
        assert.match(r.stderr, /^depwarden: no governance store here \(\.depwarden\/state does not exist\)/, args.join(' '));
      }
      assert.equal(existsSync(path.join(repo, '.depwarden')), false);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('a writing command creates it owner-only and git-ignored (keeping an existing .gitignore)', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-newstore-'));
    try {
      mkdirSync(path.join(repo, '.depwarden'));
      writeFileSync(path.join(repo, '.depwarden', '.gitignore'), 'cache/');
      assert.equal((await runCli(['audit-log', 'record', 'deployed', '--actor', 'alice', '-C', repo])).code, 0);
      assert.equal(readFileSync(path.join(repo, '.depwarden', '.gitignore'), 'utf8').split('\n').filter((l) => l && !l.startsWith('#')).join(','), 'cache/,state*');
      const loose: string[] = [];
      const walk = (p: string): void => {
        const st = statSync(p);
        if (st.mode & 0o077) loose.push(`${p} ${(st.mode & 0o777).toString(8)}`);
        if (st.isDirectory()) for (const e of readdirSync(p)) walk(path.join(p, e));
      };
      walk(path.join(repo, '.depwarden', 'state'));
      assert.deepEqual(loose, [], 'every file and directory of the store is owner-only');
      const { execFileSync } = await import('node:child_process');
      execFileSync('git', ['-C', repo, 'init', '-q']);
      assert.equal(execFileSync('git', ['-C', repo, 'status', '--porcelain', '--untracked-files=all'], { encoding: 'utf8' }), '?? .depwarden/.gitignore\n');
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });

  it('a committed .depwarden that is a symbolic link to outside the repository is refused: no store, .gitignore or head written there', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-linkedstate-'));
    const outside = mkdtempSync(path.join(tmpdir(), 'dw-linkedstate-out-'));
    try {
      symlinkSync(outside, path.join(repo, '.depwarden'));
      const r = await runCli(['audit-log', 'record', 'deployed', '--actor', 'alice', '-C', repo]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /^depwarden: cannot use the governance store: \.depwarden\/\.gitignore: \.depwarden is a symbolic link to .*, outside the repository/);
      assert.deepEqual(readdirSync(outside), []);
    } finally {
      rmSync(repo, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('check does not start the store when nothing can be overdue (it returns while another process holds the store), and does when a review is open', async () => {
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-checkstore-'));
    // A depwarden.yaml makes the folder a repository to check (an empty folder is a usage error, issue 11.3).
    writeFileSync(path.join(repo, 'depwarden.yaml'), 'failOn: high\n');
    const holder = { kill: () => {} } as { kill: () => void };
    try {
      assert.equal((await runCli(['audit-log', 'record', 'deployed', '--actor', 'alice', '-C', repo])).code, 0);
      const h = spawn(process.execPath, [path.join(import.meta.dirname, 'hold-worker.ts'), repo]);
      holder.kill = () => h.kill('SIGKILL');
      await new Promise<void>((resolve, reject) => {
        h.stdout.on('data', (d) => (String(d).includes('held') ? resolve() : undefined));
        h.on('exit', (c) => reject(new Error(`holder exited ${c}`)));
      });
      const t0 = Date.now();
      const r = await runCli(['check', repo]);
      assert.equal(r.code, 0, r.stderr);
      assert.ok(Date.now() - t0 < 20_000, `check waited ${Date.now() - t0} ms for the store another process holds`);
      holder.kill();
      await new Promise((res) => h.on('exit', res));

      // An open post-update review past its due time: the summary says so, and check opens the store to report it.
      const s = await openRepositoryStore(repo, {});
      await s.query("INSERT INTO changes (id, title, class, author, digest, state, created) VALUES ('c1', 't', 'security', 'alice', 'd', 'merged', '2024-01-01T00:00:00.000Z')");
      await s.query("INSERT INTO reviews (change_id, role, due, reason) VALUES ('c1', 'security', '2024-01-02T00:00:00.000Z', 'emergency')");
      assert.equal(readStoreSummary(repo), undefined, 'a change to the store removes the summary until the store is closed');
      await s.close();
      assert.deepEqual(readStoreSummary(repo), { openReviews: 1, earliestReviewDue: '2024-01-02T00:00:00.000Z' });
      const overdue = await runCli(['check', repo, '-f', 'json']);
      assert.match(overdue.stdout, /DW501/);
    } finally {
      holder.kill();
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
