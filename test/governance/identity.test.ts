import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readLog } from '../../src/governance/audit-log.ts';
import { runCli } from '../helpers/run-cli.ts';
import { type GovRepo, makeRepo, members, requirement } from './gov-fixture.ts';
import { needPostgres, needTool } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();
const NO_SSH_KEYGEN = needTool('ssh-keygen', 'apt-get install openssh-client', ['-Y', 'sign', '-n', 'x']);

/**
 * Attacks on identity and policy (issues 20.3, 11.4), through the CLI as an attacker would run it. The repository
 * has its policy committed on main: developers alice and bob, team-lead lead, security sec, ci; mallory holds
 * no role but has a key of her own.
 */
describe('identities are proven and the policy comes from the trusted ref', { skip: NO_SSH_KEYGEN || NO_PG }, () => {
  let repo: GovRepo;
  const run = (...a: string[]) => runCli([...a, '-C', repo.root]);
  const k = (n: string) => ['--key', repo.keys[n]!.file];
  const kinds = async () => (await runCli(['audit-log', 'export', repo.root])).stdout.trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { kind: string; actor: string; payload: { action?: string; change?: string } });
  before(() => {
    repo = makeRepo(['alice', 'bob', 'lead', 'sec', 'ci', 'mallory'], (pub) => members(pub, 'developers', ['alice', 'bob']) + members(pub, 'team-lead', ['lead']) + members(pub, 'security', ['sec']) + members(pub, 'ci', ['ci']));
  });
  after(() => repo.cleanup());

  it('bob cannot propose as alice and then approve "her" change himself', async () => {
    const sha = repo.branch('p1', { 'api/requirements.txt': requirement('requests', '2.32.3') });
    const forged = await run('changes', 'propose', 'p1', '--title', 'requests', '--class', 'patch', '--author', 'alice', '--commit', sha, ...k('bob'));
    assert.equal(forged.code, 1, forged.stdout + forged.stderr);
    assert.match(forged.stderr, /not alice's signature of change p1 \(propose\)/);
    // No proof at all is refused too, and says what to sign.
    const bare = await run('changes', 'propose', 'p1', '--title', 'requests', '--class', 'patch', '--author', 'alice', '--commit', sha);
    assert.equal(bare.code, 1);
    assert.match(bare.stderr, /needs alice's SSH signature \(--key, or --signature of: \{"action":"propose"/);
    assert.equal((await run('changes', 'show', 'p1')).code, 1); // nothing was recorded
    // Bob's honest proposal: his own approval is refused as self-approval.
    assert.equal((await run('changes', 'propose', 'p1', '--title', 'requests', '--class', 'patch', '--author', 'bob', '--commit', sha, ...k('bob'))).code, 0);
    assert.match((await run('approve', 'p1', '--as', 'bob', ...k('bob'))).stderr, /bob is the author of p1/);
    const refused = (await kinds()).filter((e) => e.kind === 'refused');
    assert.deepEqual(refused.map((e) => `${e.actor} ${e.payload.action}`), ['alice propose', 'alice propose', 'bob approve']);
  });

  it('a branch that adds the requester\'s key under new logins grants nothing: roles and keys come from main', async () => {
    // Bob's branch: a major update, plus depwarden.yaml naming his own key as the team lead "bob-lead" and security "bob-sec".
    const policy = `governance:\n  roles:\n${members((n) => repo.keys[n === 'bob-lead' || n === 'bob-sec' ? 'bob' : n]!.pub, 'developers', ['alice', 'bob'])}${members((n) => repo.keys[n === 'bob-lead' ? 'bob' : n]!.pub, 'team-lead', ['lead', 'bob-lead'])}${members((n) => repo.keys[n === 'bob-sec' ? 'bob' : n]!.pub, 'security', ['sec', 'bob-sec'])}${members((n) => repo.keys[n]!.pub, 'ci', ['ci'])}`;
    const sha = repo.branch('p2', { 'api/requirements.txt': requirement('requests', '3.0.0'), 'depwarden.yaml': policy });
    // CI runs on the change's own checkout: the working tree has bob's policy.
    repo.git('checkout', '-q', 'p2');
    try {
      assert.equal((await run('changes', 'propose', 'p2', '--title', 'requests 3', '--class', 'major', '--author', 'bob', '--commit', sha, '--impact', ...k('bob'))).code, 0);
      assert.equal((await run('changes', 'tested', 'p2', '--actor', 'ci', ...k('ci'))).code, 0);
      const lead = await run('approve', 'p2', '--as', 'bob-lead', ...k('bob'));
      assert.equal(lead.code, 1);
      assert.match(lead.stderr, /bob-lead holds no role in the policy at main/);
      assert.equal((await run('approve', 'p2', '--as', 'bob-sec', ...k('bob'))).code, 1);
      const g = await run('gate', 'p2');
      assert.equal(g.code, 1);
      assert.match(g.stdout, /1 more approval from team-lead; 1 more approval from security/);
    } finally {
      repo.git('checkout', '-q', 'main');
    }
  });

  it('a change to the governance policy needs the approvals the current policy gives policy changes (major by default)', async () => {
    const policy = `governance:\n  roles:\n${members((n) => repo.keys[n]!.pub, 'developers', ['alice', 'bob', 'mallory'])}${members((n) => repo.keys[n]!.pub, 'team-lead', ['lead'])}${members((n) => repo.keys[n]!.pub, 'security', ['sec'])}${members((n) => repo.keys[n]!.pub, 'ci', ['ci'])}`;
    const sha = repo.branch('p3', { 'depwarden.yaml': policy });
    assert.equal((await run('changes', 'propose', 'p3', '--title', 'add mallory', '--class', 'patch', '--author', 'bob', '--commit', sha, ...k('bob'))).code, 0);
    assert.equal((await run('changes', 'tested', 'p3', '--actor', 'ci', ...k('ci'))).code, 0);
    assert.equal((await run('approve', 'p3', '--as', 'alice', ...k('alice'))).code, 0);
    const g = await run('gate', 'p3');
    assert.equal(g.code, 1, 'a patch-class approval is not enough for a policy change');
    assert.match(g.stdout, /no impact assessment attached; 1 more approval from team-lead; 1 more approval from security/);
  });

  it('every step the policy gives to a role needs the actor\'s signature and role; each refusal is an audit event', async () => {
    const sha = repo.branch('p4', { 'api/requirements.txt': requirement('requests', '2.31.5') });
    assert.equal((await run('changes', 'propose', 'p4', '--title', 'r', '--class', 'patch', '--author', 'alice', '--commit', sha, ...k('alice'))).code, 0);
    const before = (await kinds()).filter((e) => e.kind === 'refused').length;
    const attempts: [string[], RegExp][] = [
      [['changes', 'tested', 'p4', '--actor', 'ci'], /needs ci's SSH signature/],
      [['changes', 'tested', 'p4', '--actor', 'ci', ...k('mallory')], /not ci's signature/],
      [['reject', 'p4', '--as', 'mallory', '--reason', 'no', ...k('mallory')], /mallory holds no role/],
      [['reject', 'p4', '--as', 'lead', '--reason', 'no', ...k('lead')], /lead \(team-lead\) does not hold a role that may reject for a patch change \(developers\)/],
      [['changes', 'emergency-merge', 'p4', '--actor', 'mallory', '--reason', 'now', ...k('mallory')], /only security fixes|mallory holds no role/],
    ];
    for (const [args, re] of attempts) {
      const r = await run(...args);
      assert.equal(r.code, 1, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
      assert.match(r.stderr, re);
    }
    assert.equal((await kinds()).filter((e) => e.kind === 'refused').length - before, attempts.length);
    assert.match((await run('changes', 'list')).stdout, /^p4\s+proposed/m);
  });

  it('the emergency lane is for the security role: a developer or an outsider is refused, security may', async () => {
    const sha = repo.branch('s1', { 'api/requirements.txt': requirement('urllib3', '2.2.2') });
    assert.equal((await run('changes', 'propose', 's1', '--title', 'CVE fix', '--class', 'security', '--author', 'alice', '--commit', sha, ...k('alice'))).code, 0);
    const mallory = await run('changes', 'emergency-merge', 's1', '--actor', 'mallory', '--reason', 'exploited', ...k('mallory'));
    assert.equal(mallory.code, 1);
    assert.match(mallory.stderr, /mallory holds no role/);
    const dev = await run('changes', 'emergency-merge', 's1', '--actor', 'bob', '--reason', 'exploited', ...k('bob'));
    assert.equal(dev.code, 1);
    assert.match(dev.stderr, /bob \(developers\) does not hold a role that may take the emergency lane \(security\)/);
    const sec = await run('changes', 'emergency-merge', 's1', '--actor', 'sec', '--reason', 'exploited', ...k('sec'));
    assert.equal(sec.code, 0, sec.stderr);
    const log = await kinds();
    assert.deepEqual(log.filter((e) => e.payload.change === 's1').map((e) => e.kind), ['proposed', 'refused', 'refused', 'emergency_bypass']);
  });

  it('the policy is not read from the working tree: a repository without a trusted ref refuses to run governance', async () => {
    const sha = repo.branch('p5', { 'api/requirements.txt': requirement('requests', '2.31.6') });
    const r = await run('changes', 'propose', 'p5', '--title', 'r', '--class', 'patch', '--author', 'alice', '--commit', sha, '--trusted-ref', 'no-such-branch', ...k('alice'));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /the trusted ref no-such-branch does not name a commit/);
    // The audit log of every refusal above still verifies.
    assert.deepEqual((await import('../../src/governance/audit-log.ts')).verifyLog((await readLogOf(repo)) ?? []), []);
  });
});

async function readLogOf(repo: GovRepo) {
  const { openRepositoryStore } = await import('../../src/store/store.ts');
  const s = await openRepositoryStore(repo.root, {});
  try {
    return await readLog(s);
  } finally {
    await s.close();
  }
}
