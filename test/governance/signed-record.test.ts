import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { appendEvent, readLog, verifyLog } from '../../src/governance/audit-log.ts';
import { approvalPayload, approve, gate, getChange, merge, proposeChange, recordTests, reject } from '../../src/governance/changes.ts';
import { type Gov, signatureActor, signPayload } from '../../src/governance/trust.ts';
import type { Store } from '../../src/store/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { freshStore, type GovRepo, govFor, makeRepo, members, requirement, type StoreKind } from './gov-fixture.ts';
import { needPostgres, needTool } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();
const NO_SSH_KEYGEN = needTool('ssh-keygen', 'apt-get install openssh-client', ['-Y', 'sign', '-n', 'x']);

const roles = (pub: (l: string) => string) => members(pub, 'developers', ['alice', 'bob']) + members(pub, 'team-lead', ['lead']) + members(pub, 'security', ['sec']) + members(pub, 'ci', ['ci']);

/** Issues 20.4, 20.5, 11.5, 11.6: what the gate trusts, what signatures bind, the order of steps, what merge means. */
describe('the gate decides from signed events only', { skip: NO_SSH_KEYGEN || NO_PG }, () => {
  let repo: GovRepo;
  let store: Store;
  let gov: Gov;
  let drop: () => Promise<void>;
  before(async () => {
    repo = makeRepo(['alice', 'bob', 'lead', 'sec', 'ci'], roles);
    ({ store, drop } = await freshStore('pglite', repo.dir));
    gov = await govFor(store, repo);
  });
  after(async () => {
    await drop();
    repo.cleanup();
  });
  const propose = async (id: string, cls: 'patch' | 'major', v: string) => proposeChange(gov, { id, title: id, class: cls, author: repo.actor('alice'), commit: repo.branch(id, { 'api/requirements.txt': requirement('requests', v) }), impact: cls === 'major' });

  it('a database administrator who turns a major change into a patch (or changes its author) by SQL does not pass the gate', async () => {
    await propose('m1', 'major', '3.0.0');
    await recordTests(gov, 'm1', repo.actor('ci'), true);
    await approve(gov, 'm1', repo.actor('bob'));
    await store.query(`UPDATE changes SET class = 'patch' WHERE id = 'm1'`);
    assert.deepEqual(verifyLog(await readLog(store)), [], 'the chain itself is intact');
    const g = await gate(gov, 'm1');
    assert.equal(g.ok, false);
    assert.match(g.missing.join('; '), /the stored change disagrees with its signed proposal \(class: patch stored, major signed\)/);
    assert.match(g.missing.join('; '), /1 more approval from team-lead; 1 more approval from security/);
    await store.query(`UPDATE changes SET class = 'major', author = 'lead' WHERE id = 'm1'`);
    assert.match((await gate(gov, 'm1')).missing.join('; '), /author: lead stored, alice signed/);
  });

  it('a forged approval event does not count: `audit-log record approved` is refused, and an appended event without a valid signature is ignored', async () => {
    await propose('m2', 'patch', '2.31.9');
    await recordTests(gov, 'm2', repo.actor('ci'), true);
    const r = await runCli(['audit-log', 'record', 'approved', '--actor', 'sec', '--payload', '{"change":"m2","approver":"sec"}', '-C', repo.root]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /approved is a governance event: it is recorded only by its own command/);
    // A database administrator appends a well-chained event (the chain stays intact) with a made-up signature.
    await appendEvent(store, { actor: 'bob', kind: 'approved', payload: { change: 'm2', approver: 'bob', roles: ['developers'], signature: '-----BEGIN SSH SIGNATURE-----\nAAAA\n-----END SSH SIGNATURE-----\n' } });
    // …and one with bob's real signature of another change.
    const other = await getChange(store, 'm1');
    await appendEvent(store, { actor: 'bob', kind: 'approved', payload: { change: 'm2', approver: 'bob', roles: ['developers'], signature: signPayload(approvalPayload(gov, other), repo.keys.bob!.file) } });
    assert.deepEqual(verifyLog(await readLog(store)), []);
    assert.deepEqual((await gate(gov, 'm2')).missing, ['1 more approval from developers']);
  });

  it('approvals and tests come in either order: approved before the tests, the gate and merge agree', async () => {
    await propose('o1', 'patch', '2.31.7');
    const a = await approve(gov, 'o1', repo.actor('bob'));
    assert.equal(a.change.state, 'proposed');
    assert.deepEqual(a.gate.missing, ['tests have not passed']);
    assert.equal((await recordTests(gov, 'o1', repo.actor('ci'), true)).state, 'approved');
    assert.equal((await gate(gov, 'o1')).ok, true);
    repo.git('merge', '-q', '--no-ff', '-m', 'merge o1', 'o1');
    assert.equal((await merge(gov, 'o1', repo.actor('bob'))).state, 'merged');
  });

  it('merge records a merge that happened in git: refused while the base does not contain the change, or contains other dependency content', async () => {
    await propose('g1', 'patch', '2.31.8');
    await recordTests(gov, 'g1', repo.actor('ci'), true);
    await approve(gov, 'g1', repo.actor('bob'));
    assert.equal((await gate(gov, 'g1')).ok, true);
    await assert.rejects(merge(gov, 'g1', repo.actor('bob')), /main \([0-9a-f]{12}\) does not contain change g1/);
    // The branch grows after the approval (another dependency edit) and that is what gets merged.
    repo.git('checkout', '-q', 'g1');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(`${repo.root}/api/requirements.txt`, requirement('evil', '6.6.6'));
    repo.git('commit', '-qam', 'more');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge g1', 'g1');
    await assert.rejects(merge(gov, 'g1', repo.actor('bob')), /does not contain change g1/);
    assert.equal((await getChange(store, 'g1')).state, 'approved');
  });
});

describe('signatures are bound to the repository, the store and a digest depwarden computes', { skip: NO_SSH_KEYGEN || NO_PG }, () => {
  it('an approval made for c1 in one store does not count for c1 in another store with other content', async () => {
    const repo = makeRepo(['alice', 'bob', 'lead', 'sec', 'ci'], roles);
    const a = await freshStore('pglite', repo.dir);
    const b = await freshStore('pglite', repo.dir);
    try {
      const govA = await govFor(a.store, repo);
      const govB = await govFor(b.store, repo);
      await proposeChange(govA, { id: 'c1', title: 'benign', class: 'patch', author: repo.actor('alice'), commit: repo.branch('benign', { 'api/requirements.txt': requirement('requests', '2.31.1') }) });
      await recordTests(govA, 'c1', repo.actor('ci'), true);
      const sig = signPayload(approvalPayload(govA, await getChange(a.store, 'c1')), repo.keys.bob!.file);
      await approve(govA, 'c1', signatureActor('bob', sig));
      assert.equal((await gate(govA, 'c1')).ok, true);
      // Store B: same id, other content. Bob's signature from store A is replayed, through approve and as a raw event.
      await proposeChange(govB, { id: 'c1', title: 'evil', class: 'patch', author: repo.actor('alice'), commit: repo.branch('evil', { 'api/requirements.txt': requirement('evil', '6.6.6') }) });
      await recordTests(govB, 'c1', repo.actor('ci'), true);
      await assert.rejects(approve(govB, 'c1', signatureActor('bob', sig)), /not bob's signature of change c1 \(approve\)/);
      await appendEvent(b.store, { actor: 'bob', kind: 'approved', payload: { change: 'c1', approver: 'bob', roles: ['developers'], signature: sig } });
      assert.deepEqual((await gate(govB, 'c1')).missing, ['1 more approval from developers']);
      // Same content in both stores still does not carry over: the store id is signed.
      await proposeChange(govB, { id: 'c2', title: 'benign', class: 'patch', author: repo.actor('alice'), commit: 'benign' });
      await recordTests(govB, 'c2', repo.actor('ci'), true);
      const c2b = await getChange(b.store, 'c2');
      assert.equal(c2b.digest, (await getChange(a.store, 'c1')).digest, 'the digest is computed from the commit, the same content gives the same digest');
    } finally {
      await a.drop();
      await b.drop();
      repo.cleanup();
    }
  });

  it('the digest is depwarden\'s, not a free string: propose takes a commit, and a commit rewritten in the database fails the gate', async () => {
    const repo = makeRepo(['alice', 'bob', 'ci'], (pub) => members(pub, 'developers', ['alice', 'bob']) + members(pub, 'ci', ['ci']));
    try {
      const sha = repo.branch('c1', { 'api/requirements.txt': requirement('requests', '2.31.1') });
      const evil = repo.branch('c1-evil', { 'api/requirements.txt': requirement('evil', '6.6.6') });
      const run = (...a: string[]) => runCli([...a, '-C', repo.root]);
      const free = await run('changes', 'propose', 'c1', '--title', 't', '--class', 'patch', '--author', 'alice', '--digest', 'whatever', '--key', repo.keys.alice!.file);
      assert.equal(free.code, 2);
      const p = await run('changes', 'propose', 'c1', '--title', 't', '--class', 'patch', '--author', 'alice', '--commit', sha, '--key', repo.keys.alice!.file);
      assert.equal(p.code, 0, p.stderr);
      assert.match(p.stdout, /digest sha256:[0-9a-f]{64}/);
      await run('changes', 'tested', 'c1', '--actor', 'ci', '--key', repo.keys.ci!.file);
      await run('approve', 'c1', '--as', 'bob', '--key', repo.keys.bob!.file);
      assert.equal((await run('gate', 'c1')).code, 0);
      const { openRepositoryStore } = await import('../../src/store/store.ts');
      const s = await openRepositoryStore(repo.root, {});
      await s.query('UPDATE changes SET commit = $1 WHERE id = $2', [evil, 'c1']);
      await s.close();
      const g = await run('gate', 'c1');
      assert.equal(g.code, 1);
      assert.match(g.stdout, /commit: [0-9a-f]{40} stored, [0-9a-f]{40} signed/);
    } finally {
      repo.cleanup();
    }
  });
});

/** Issue 20.7: every state change holds the row's lock, on PGlite and on the real server. */
for (const kind of ['pglite', 'postgres'] as StoreKind[]) {
  describe(`concurrent steps on one change (${kind})`, { skip: NO_SSH_KEYGEN }, () => {
    let repo: GovRepo;
    let store: Store;
    let gov: Gov;
    let drop: () => Promise<void>;
    before(async () => {
      repo = makeRepo(['alice', 'bob', 'ci'], (pub) => members(pub, 'developers', ['alice', 'bob']) + members(pub, 'ci', ['ci']));
      ({ store, drop } = await freshStore(kind, repo.dir));
      gov = await govFor(store, repo);
    });
    after(async () => {
      await drop();
      repo.cleanup();
    });
    const ROUNDS = 6;

    it('merge and reject race: never both succeed, and the state matches the winner', async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const id = `r${i}`;
        await proposeChange(gov, { id, title: id, class: 'patch', author: repo.actor('alice'), commit: repo.branch(id, { 'api/requirements.txt': requirement('requests', `2.40.${i}`) }) });
        await recordTests(gov, id, repo.actor('ci'), true);
        await approve(gov, id, repo.actor('bob'));
        repo.git('merge', '-q', '--no-ff', '-m', `merge ${id}`, id);
        const [m, r] = await Promise.allSettled([merge(gov, id, repo.actor('bob')), reject(gov, id, repo.actor('bob'), 'race')]);
        assert.equal([m, r].filter((x) => x.status === 'fulfilled').length, 1, `round ${i}: ${JSON.stringify([m.status, r.status])}`);
        assert.equal((await getChange(store, id)).state, m.status === 'fulfilled' ? 'merged' : 'rejected');
      }
    });

    it('tests and reject race: a rejected change is never revived', async () => {
      for (let i = 0; i < ROUNDS; i++) {
        const id = `t${i}`;
        await proposeChange(gov, { id, title: id, class: 'patch', author: repo.actor('alice'), commit: repo.branch(id, { 'api/requirements.txt': requirement('requests', `2.50.${i}`) }) });
        const [t, r] = await Promise.allSettled([recordTests(gov, id, repo.actor('ci'), true), reject(gov, id, repo.actor('bob'), 'race')]);
        assert.equal(r.status, 'fulfilled', 'rejecting an open change succeeds whatever the order');
        assert.equal((await getChange(store, id)).state, 'rejected', `round ${i}: tests ${t.status}`);
      }
    });
  });
}
