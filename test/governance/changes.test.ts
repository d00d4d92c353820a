import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type Config, configSchema } from '../../src/config/schema.ts';
import { readLog, verifyLog } from '../../src/governance/audit-log.ts';
import { approve, gate, getChange, merge, PolicyError, proposeChange, recordTests, reject, signApproval, verifyChange } from '../../src/governance/changes.ts';
import { openStore, type Store } from '../../src/store/store.ts';

describe('change requests and approvals', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-gov-'));
  const key = (name: string): { file: string; pub: string } => {
    const file = path.join(dir, name);
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', name, '-f', file]);
    return { file, pub: readFileSync(`${file}.pub`, 'utf8').trim() };
  };
  let store: Store;
  let config: Config;
  const keys: Record<string, { file: string; pub: string }> = {};
  before(async () => {
    for (const n of ['alice', 'bob', 'lead', 'sec', 'mallory']) keys[n] = key(n);
    config = configSchema.parse({
      governance: {
        roles: {
          developers: [{ login: 'alice', key: keys.alice!.pub }, { login: 'bob', key: keys.bob!.pub }],
          'team-lead': [{ login: 'lead', key: keys.lead!.pub }],
          security: [{ login: 'sec', key: keys.sec!.pub }],
        },
      },
    });
    store = await openStore({ dir: path.join(dir, 'state') });
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a minor update: tests, one developer\'s signed approval, merge, verify — every step in the audit log', async () => {
    await proposeChange(store, { id: 'c1', title: 'requests 2.31.0 -> 2.32.3', class: 'minor', author: 'alice', digest: 'd1' });
    assert.deepEqual((await gate(store, config, 'c1')).missing, ['tests have not passed', '1 more approval from developers']);
    await recordTests(store, 'c1', 'ci', true);
    const r = await approve(store, config, 'c1', 'bob', signApproval({ id: 'c1', digest: 'd1' }, keys.bob!.file));
    assert.equal(r.change.state, 'approved');
    assert.equal((await merge(store, config, 'c1', 'bob')).state, 'merged');
    assert.equal((await verifyChange(store, 'c1', 'ci')).state, 'verified');
    const log = await readLog(store);
    assert.deepEqual(log.filter((e) => (e.payload as { change?: string }).change === 'c1').map((e) => e.kind), ['proposed', 'tests_passed', 'approved', 'approved', 'merged', 'verified']);
    assert.deepEqual(verifyLog(log), []);
  });

  it('the author cannot approve their own change', async () => {
    await proposeChange(store, { id: 'c2', title: 't', class: 'minor', author: 'alice', digest: 'd2' });
    await assert.rejects(approve(store, config, 'c2', 'alice', signApproval({ id: 'c2', digest: 'd2' }, keys.alice!.file)), /alice is the author of c2/);
  });

  it('a non-member cannot approve, even with a valid key of their own', async () => {
    await assert.rejects(approve(store, config, 'c2', 'mallory', signApproval({ id: 'c2', digest: 'd2' }, keys.mallory!.file)), /mallory holds no role/);
  });

  it('a forged or altered signature is refused', async () => {
    // Mallory signs in Bob's name: the signature does not verify against Bob's key.
    await assert.rejects(approve(store, config, 'c2', 'bob', signApproval({ id: 'c2', digest: 'd2' }, keys.mallory!.file)), PolicyError);
    // Bob's real signature of another change (or another digest) cannot be reused here.
    await assert.rejects(approve(store, config, 'c2', 'bob', signApproval({ id: 'c1', digest: 'd1' }, keys.bob!.file)), /not bob's signature of change c2/);
    const good = signApproval({ id: 'c2', digest: 'd2' }, keys.bob!.file);
    const altered = good.replace(/[A-Za-z](?=[^\n]*\n-----END)/, (ch) => (ch === 'A' ? 'B' : 'A'));
    await assert.rejects(approve(store, config, 'c2', 'bob', altered), PolicyError);
  });

  it('an approval edited in the database does not count at the gate', async () => {
    await recordTests(store, 'c2', 'ci', true);
    await approve(store, config, 'c2', 'bob', signApproval({ id: 'c2', digest: 'd2' }, keys.bob!.file));
    assert.equal((await getChange(store, 'c2')).state, 'approved');
    await store.query(`UPDATE changes SET digest = 'd2-tampered' WHERE id = 'c2'`);
    assert.deepEqual((await gate(store, config, 'c2')).missing, ['1 more approval from developers']);
    await assert.rejects(merge(store, config, 'c2', 'bob'), /cannot be merged: 1 more approval from developers/);
  });

  it('a major update needs the impact assessment, the team lead and security', async () => {
    await proposeChange(store, { id: 'c3', title: 'pydantic 1 -> 2', class: 'major', author: 'alice', digest: 'd3' });
    await recordTests(store, 'c3', 'ci', true);
    await approve(store, config, 'c3', 'bob', signApproval({ id: 'c3', digest: 'd3' }, keys.bob!.file));
    assert.deepEqual((await gate(store, config, 'c3')).missing, ['no impact assessment attached', '1 more approval from team-lead', '1 more approval from security']);
    await approve(store, config, 'c3', 'lead', signApproval({ id: 'c3', digest: 'd3' }, keys.lead!.file));
    await approve(store, config, 'c3', 'sec', signApproval({ id: 'c3', digest: 'd3' }, keys.sec!.file));
    assert.deepEqual((await gate(store, config, 'c3')).missing, ['no impact assessment attached']);
  });

  it('transitions follow the state machine', async () => {
    await proposeChange(store, { id: 'c4', title: 't', class: 'patch', author: 'alice', digest: 'd4' });
    await assert.rejects(verifyChange(store, 'c4', 'ci'), /c4 is proposed; it cannot become verified/);
    await reject(store, 'c4', 'lead', 'not needed');
    await assert.rejects(recordTests(store, 'c4', 'ci', true), /c4 is rejected/);
    await proposeChange(store, { id: 'c5', title: 't', class: 'patch', author: 'alice', digest: 'd5' });
    assert.equal((await recordTests(store, 'c5', 'ci', false)).state, 'rejected');
  });
});

describe('governance commands', () => {
  it('propose → tested → approve (signed with the key) → gate, and self-approval refused', async () => {
    const { runCli } = await import('../helpers/run-cli.ts');
    const { writeFileSync } = await import('node:fs');
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-gov-cli-'));
    try {
      for (const n of ['alice', 'bob']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', n, '-f', path.join(repo, n)]);
      const pub = (n: string): string => readFileSync(path.join(repo, `${n}.pub`), 'utf8').trim();
      writeFileSync(path.join(repo, 'depwarden.yaml'), `governance:\n  roles:\n    developers:\n      - login: alice\n        key: "${pub('alice')}"\n      - login: bob\n        key: "${pub('bob')}"\n`);
      const run = (...a: string[]) => runCli([...a, '-C', repo]);
      assert.equal((await run('changes', 'propose', 'c1', '--title', 'urllib3 2.2.2', '--class', 'patch', '--author', 'alice', '--digest', 'abc123')).code, 0);
      assert.equal((await run('gate', 'c1')).code, 1);
      assert.equal((await run('changes', 'tested', 'c1', '--actor', 'ci')).code, 0);
      const self = await run('approve', 'c1', '--as', 'alice', '--key', path.join(repo, 'alice'));
      assert.equal(self.code, 1);
      assert.match(self.stderr, /alice is the author of c1 and cannot approve it/);
      const ok = await run('approve', 'c1', '--as', 'bob', '--key', path.join(repo, 'bob'));
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /approved by bob; the policy is met/);
      assert.equal((await run('gate', 'c1')).code, 0);
      assert.match((await run('changes', 'list')).stdout, /^c1\s+approved\s+patch\s+alice/m);
      assert.equal((await runCli(['audit-log', 'verify', repo])).code, 0);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});

describe('emergency lane', () => {
  it('a security fix merged without approvals is recorded, its review becomes overdue in check and changes list, and a signed review clears it', async () => {
    const { runCli } = await import('../helpers/run-cli.ts');
    const { writeFileSync } = await import('node:fs');
    const repo = mkdtempSync(path.join(tmpdir(), 'dw-emergency-'));
    try {
      for (const n of ['alice', 'sec']) execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', n, '-f', path.join(repo, n)]);
      const pub = (n: string): string => readFileSync(path.join(repo, `${n}.pub`), 'utf8').trim();
      writeFileSync(path.join(repo, 'depwarden.yaml'), `governance:\n  roles:\n    developers:\n      - login: alice\n        key: "${pub('alice')}"\n    security:\n      - login: sec\n        key: "${pub('sec')}"\n  emergency:\n    reviewDeadlineHours: 24\n`);
      const t0 = { SOURCE_DATE_EPOCH: String(Date.parse('2026-01-01T00:00:00Z') / 1000) };
      const t2 = { SOURCE_DATE_EPOCH: String(Date.parse('2026-01-03T00:00:00Z') / 1000) };
      const run = (env: Record<string, string>, ...a: string[]) => runCli([...a, '-C', repo], { env });
      await run(t0, 'changes', 'propose', 'minor1', '--title', 'x', '--class', 'minor', '--author', 'alice', '--digest', 'd0');
      const refused = await run(t0, 'changes', 'emergency-merge', 'minor1', '--actor', 'alice', '--reason', 'hurry');
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /only security fixes may take the emergency lane/);
      await run(t0, 'changes', 'propose', 'sec1', '--title', 'urllib3 CVE fix', '--class', 'security', '--author', 'alice', '--digest', 'd1');
      assert.equal((await run(t0, 'changes', 'emergency-merge', 'sec1', '--actor', 'alice', '--reason', 'CVE-2024-37891 exploited')).code, 0);
      // Before the deadline: listed as due; check is clean. After it: overdue in both.
      assert.match((await run(t0, 'changes', 'list')).stdout, /sec1\s+merged .*\[post-update review by security due 2026-01-02T00:00:00\.000Z\]/);
      assert.equal((await runCli(['check', repo, '--format', 'json'], { env: t0 })).code, 0);
      assert.match((await run(t2, 'changes', 'list')).stdout, /OVERDUE since 2026-01-02/);
      const late = await runCli(['check', repo, '--format', 'json'], { env: t2 });
      assert.equal(late.code, 1);
      assert.deepEqual((JSON.parse(late.stdout) as { findings: { ruleId: string; subject: string }[] }).findings.map((f) => `${f.ruleId} ${f.subject}`), ['DW501 sec1']);
      // The author cannot sign off; the security member can.
      assert.equal((await run(t2, 'changes', 'review', 'sec1', '--as', 'alice', '--key', path.join(repo, 'alice'))).code, 1);
      assert.equal((await run(t2, 'changes', 'review', 'sec1', '--as', 'sec', '--key', path.join(repo, 'sec'))).code, 0);
      assert.equal((await runCli(['check', repo], { env: t2 })).code, 0);
      const log = (await runCli(['audit-log', 'export', repo])).stdout;
      assert.match(log, /"kind":"emergency_bypass"/);
      assert.match(log, /"kind":"review_signed_off"/);
    } finally {
      rmSync(repo, { recursive: true, force: true });
    }
  });
});
