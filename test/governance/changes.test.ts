import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { readLog, verifyLog } from '../../src/governance/audit-log.ts';
import { approvalPayload, approve, gate, getChange, merge, PolicyError, proposeChange, recordTests, reject, verifyChange } from '../../src/governance/changes.ts';
import { type Gov, signatureActor, signPayload } from '../../src/governance/trust.ts';
import type { Store } from '../../src/store/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { freshStore, type GovRepo, govFor, makeRepo, members, requirement } from './gov-fixture.ts';
import { needTool } from '../helpers/system-tool.ts';
const NO_SSH_KEYGEN = needTool('ssh-keygen', 'apt-get install openssh-client', ['-Y', 'sign', '-n', 'x']);

describe('change requests and approvals', { skip: NO_SSH_KEYGEN }, () => {
  let repo: GovRepo;
  let store: Store;
  let gov: Gov;
  let drop: () => Promise<void>;
  const req = (v: string) => ({ 'api/requirements.txt': requirement('requests', v) });
  before(async () => {
    repo = makeRepo(['alice', 'bob', 'lead', 'sec', 'ci', 'mallory'], (pub) => members(pub, 'developers', ['alice', 'bob']) + members(pub, 'team-lead', ['lead']) + members(pub, 'security', ['sec']) + members(pub, 'ci', ['ci']));
    ({ store, drop } = await freshStore('pglite', repo.dir));
    gov = await govFor(store, repo);
  });
  after(async () => {
    await drop();
    repo.cleanup();
  });
  const propose = (id: string, cls: 'patch' | 'minor' | 'major' | 'security', v: string, author = 'alice', impact = false) => proposeChange(gov, { id, title: `requests ${v}`, class: cls, author: repo.actor(author), commit: repo.branch(id, req(v)), impact });

  it('a minor update: tests, one developer\'s signed approval, merge, verify — every step in the audit log', async () => {
    await propose('c1', 'minor', '2.32.3');
    assert.deepEqual((await gate(gov, 'c1')).missing, ['tests have not passed', '1 more approval from developers']);
    await recordTests(gov, 'c1', repo.actor('ci'), true);
    const r = await approve(gov, 'c1', repo.actor('bob'));
    assert.equal(r.change.state, 'approved');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge c1', 'c1');
    assert.equal((await merge(gov, 'c1', repo.actor('bob'))).state, 'merged');
    assert.equal((await verifyChange(gov, 'c1', repo.actor('ci'))).state, 'verified');
    const log = await readLog(store);
    assert.deepEqual(log.filter((e) => (e.payload as { change?: string }).change === 'c1').map((e) => e.kind), ['proposed', 'tests_passed', 'approved', 'merged', 'verified']);
    assert.deepEqual(verifyLog(log), []);
  });

  it('the author cannot approve their own change', async () => {
    await propose('c2', 'minor', '2.32.0');
    await assert.rejects(approve(gov, 'c2', repo.actor('alice')), /alice is the author of c2/);
  });

  it('a non-member cannot approve, even with a valid key of their own', async () => {
    await assert.rejects(approve(gov, 'c2', repo.actor('mallory')), /mallory holds no role/);
  });

  it('a forged or altered signature is refused', async () => {
    // Mallory signs in Bob's name: the signature does not verify against Bob's key.
    await assert.rejects(approve(gov, 'c2', repo.actor('bob', 'mallory')), PolicyError);
    // Bob's real signature of another change cannot be reused here.
    const c1 = await getChange(store, 'c1');
    const other = signPayload(approvalPayload(gov, c1), repo.keys.bob!.file);
    await assert.rejects(approve(gov, 'c2', signatureActor('bob', other)), /not bob's signature of change c2/);
    const good = signPayload(approvalPayload(gov, await getChange(store, 'c2')), repo.keys.bob!.file);
    const altered = good.replace(/[A-Za-z](?=[^\n]*\n-----END)/, (ch) => (ch === 'A' ? 'B' : 'A'));
    await assert.rejects(approve(gov, 'c2', signatureActor('bob', altered)), PolicyError);
  });

  it('an approval edited in the database does not count at the gate', async () => {
    await recordTests(gov, 'c2', repo.actor('ci'), true);
    await approve(gov, 'c2', repo.actor('bob'));
    assert.equal((await getChange(store, 'c2')).state, 'approved');
    await store.query(`UPDATE changes SET digest = 'd2-tampered' WHERE id = 'c2'`);
    assert.match((await gate(gov, 'c2')).missing.join('\n'), /disagrees with its signed proposal \(digest: d2-tampered stored/);
    repo.git('merge', '-q', '--no-ff', '-m', 'merge c2', 'c2');
    await assert.rejects(merge(gov, 'c2', repo.actor('bob')), /cannot be merged: the stored change disagrees/);
  });

  it('a major update needs the impact assessment, the team lead and security', async () => {
    await propose('c3', 'major', '3.0.0');
    await recordTests(gov, 'c3', repo.actor('ci'), true);
    await approve(gov, 'c3', repo.actor('bob'));
    assert.deepEqual((await gate(gov, 'c3')).missing, ['no impact assessment attached', '1 more approval from team-lead', '1 more approval from security']);
    await approve(gov, 'c3', repo.actor('lead'));
    await approve(gov, 'c3', repo.actor('sec'));
    assert.deepEqual((await gate(gov, 'c3')).missing, ['no impact assessment attached']);
  });

  it('transitions follow the state machine', async () => {
    await propose('c4', 'patch', '2.31.1');
    await assert.rejects(verifyChange(gov, 'c4', repo.actor('ci')), /c4 is proposed; it cannot become verified/);
    await reject(gov, 'c4', repo.actor('bob'), 'not needed');
    await assert.rejects(recordTests(gov, 'c4', repo.actor('ci'), true), /c4 is rejected/);
    await propose('c5', 'patch', '2.31.2');
    assert.equal((await recordTests(gov, 'c5', repo.actor('ci'), false)).state, 'rejected');
  });
});

describe('governance commands', { skip: NO_SSH_KEYGEN }, () => {
  it('changes list says "no changes" when there are none', async () => {
    const repo = makeRepo(['alice'], (pub) => members(pub, 'developers', ['alice']));
    try {
      const { openRepositoryStore } = await import('../../src/store/store.ts');
      await (await openRepositoryStore(repo.root, {})).close(); // a store with nothing in it
      const r = await runCli(['changes', 'list', '-C', repo.root]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, 'no changes\n');
    } finally {
      repo.cleanup();
    }
  });

  it('propose → tested → approve (signed with the key) → gate, and self-approval refused', async () => {
    const repo = makeRepo(['alice', 'bob', 'ci'], (pub) => members(pub, 'developers', ['alice', 'bob']) + members(pub, 'ci', ['ci']));
    try {
      const sha = repo.branch('c1', { 'api/requirements.txt': requirement('requests', '2.31.1') });
      const run = (...a: string[]) => runCli([...a, '-C', repo.root]);
      const k = (n: string) => ['--key', repo.keys[n]!.file];
      const p = await run('changes', 'propose', 'c1', '--title', 'urllib3 2.2.2', '--class', 'patch', '--author', 'alice', '--commit', sha, ...k('alice'));
      assert.equal(p.code, 0, p.stderr);
      assert.equal((await run('gate', 'c1')).code, 1);
      assert.equal((await run('changes', 'tested', 'c1', '--actor', 'ci', ...k('ci'))).code, 0);
      const self = await run('approve', 'c1', '--as', 'alice', ...k('alice'));
      assert.equal(self.code, 1);
      assert.match(self.stderr, /alice is the author of c1 and cannot approve it/);
      const ok = await run('approve', 'c1', '--as', 'bob', ...k('bob'));
      assert.equal(ok.code, 0, ok.stderr);
      assert.match(ok.stdout, /approved by bob; the policy is met/);
      assert.equal((await run('gate', 'c1')).code, 0);
      assert.match((await run('changes', 'list')).stdout, /^c1\s+approved\s+patch\s+alice/m);
      assert.equal((await runCli(['audit-log', 'verify', repo.root])).code, 0);
    } finally {
      repo.cleanup();
    }
  });
});

describe('emergency lane', { skip: NO_SSH_KEYGEN }, () => {
  it('a security fix merged without approvals is recorded, its review becomes overdue in check and changes list, and a signed review clears it', async () => {
    const repo = makeRepo(['alice', 'sec', 'sec2'], (pub) => members(pub, 'developers', ['alice']) + members(pub, 'security', ['sec', 'sec2']), '  emergency:\n    reviewDeadlineHours: 24\n');
    try {
      const t0 = { SOURCE_DATE_EPOCH: String(Date.parse('2026-01-01T00:00:00Z') / 1000) };
      const t2 = { SOURCE_DATE_EPOCH: String(Date.parse('2026-01-03T00:00:00Z') / 1000) };
      const run = (env: Record<string, string>, ...a: string[]) => runCli([...a, '-C', repo.root], { env });
      const k = (n: string) => ['--key', repo.keys[n]!.file];
      const m1 = repo.branch('minor1', { 'api/requirements.txt': requirement('requests', '2.32.0') });
      assert.equal((await run(t0, 'changes', 'propose', 'minor1', '--title', 'x', '--class', 'minor', '--author', 'alice', '--commit', m1, ...k('alice'))).code, 0);
      const refused = await run(t0, 'changes', 'emergency-merge', 'minor1', '--actor', 'sec', '--reason', 'hurry', ...k('sec'));
      assert.equal(refused.code, 1);
      assert.match(refused.stderr, /only security fixes may take the emergency lane/);
      const s1 = repo.branch('sec1', { 'api/requirements.txt': requirement('urllib3', '2.2.2') });
      await run(t0, 'changes', 'propose', 'sec1', '--title', 'urllib3 CVE fix', '--class', 'security', '--author', 'alice', '--commit', s1, ...k('alice'));
      const em = await run(t0, 'changes', 'emergency-merge', 'sec1', '--actor', 'sec', '--reason', 'CVE-2024-37891 exploited', ...k('sec'));
      assert.equal(em.code, 0, em.stderr);
      // Before the deadline: listed as due; check is clean. After it: overdue in both.
      assert.match((await run(t0, 'changes', 'list')).stdout, /sec1\s+merged .*\[post-update review by security due 2026-01-02T00:00:00\.000Z\]/);
      assert.equal((await runCli(['check', repo.root, '--format', 'json'], { env: t0 })).code, 0);
      assert.match((await run(t2, 'changes', 'list')).stdout, /OVERDUE since 2026-01-02/);
      const late = await runCli(['check', repo.root, '--format', 'json'], { env: t2 });
      assert.equal(late.code, 1);
      assert.deepEqual((JSON.parse(late.stdout) as { findings: { ruleId: string; subject: string }[] }).findings.map((f) => `${f.ruleId} ${f.subject}`), ['DW501 sec1']);
      // The author cannot sign off; a security member can.
      assert.equal((await run(t2, 'changes', 'review', 'sec1', '--as', 'alice', ...k('alice'))).code, 1);
      const rv = await run(t2, 'changes', 'review', 'sec1', '--as', 'sec2', ...k('sec2'));
      assert.equal(rv.code, 0, rv.stderr);
      assert.equal((await runCli(['check', repo.root], { env: t2 })).code, 0);
      const log = (await runCli(['audit-log', 'export', repo.root])).stdout;
      assert.match(log, /"kind":"emergency_bypass"/);
      assert.match(log, /"kind":"review_signed_off"/);
    } finally {
      repo.cleanup();
    }
  });
});
