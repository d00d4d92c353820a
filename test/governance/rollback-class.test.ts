import assert from 'node:assert/strict';
import { test } from 'node:test';
import { approve, gate, merge, proposeChange } from '../../src/governance/changes.ts';
import { openReviews } from '../../src/governance/emergency.ts';
import { applyAutomaticRollback } from '../../src/governance/rollback.ts';
import { freshStore, govFor, makeRepo, members } from './gov-fixture.ts';
import { needTool } from '../helpers/system-tool.ts';
const NO_SSH_KEYGEN = needTool('ssh-keygen', 'apt-get install openssh-client', ['-Y', 'sign', '-n', 'x']);

/**
 * `rollback` is its own update class: a manual rollback needs the approvals governance.policy.rollback names
 * (default one team-lead) and owes a post-update review once merged; an automatic one (a failed deploy gate)
 * needs none and owes the review too.
 */
test('the rollback class: team-lead approval for a manual rollback, none for an automatic one, a review for both', { skip: NO_SSH_KEYGEN }, async () => {
  const repo = makeRepo(['alice', 'bob', 'lead'], (pub) => members(pub, 'developers', ['alice', 'bob']) + members(pub, 'team-lead', ['lead']));
  const { store, drop } = await freshStore('pglite', repo.dir);
  try {
    const gov = await govFor(store, repo);
    const sha = repo.branch('rollback-api', { 'api/requirements.txt': 'requests==2.30.0 --hash=sha256:' + 'c'.repeat(64) + '\n' });
    await proposeChange(gov, { id: 'rb1', title: 'Roll api back', class: 'rollback', author: repo.actor('alice'), commit: sha });
    assert.deepEqual((await gate(gov, 'rb1')).missing, ['1 more approval from team-lead']);
    await approve(gov, 'rb1', repo.actor('bob'));
    assert.deepEqual((await gate(gov, 'rb1')).missing, ['1 more approval from team-lead'], 'a developer approval does not count');
    const r = await approve(gov, 'rb1', repo.actor('lead'));
    assert.equal(r.gate.ok, true);
    repo.git('merge', '-q', '--ff-only', 'rollback-api');
    await merge(gov, 'rb1', repo.actor('lead'), 'main');
    const auto = await applyAutomaticRollback(store, gov.policy.governance, { service: 'api', deployId: 'api-1', to: ['sha256:' + 'a'.repeat(64)], from: ['sha256:' + 'b'.repeat(64)], reason: 'readiness gate failed', actor: 'depwarden' });
    const reviews = await openReviews(store);
    assert.deepEqual(reviews.map((x) => [x.changeId, x.role]).sort(), [['rb1', 'team-lead'], [auto.changeId, 'team-lead']]);
    const row = (await store.query<{ state: string; class: string }>('SELECT state, class FROM changes WHERE id = $1', [auto.changeId]))[0];
    assert.deepEqual(row, { state: 'merged', class: 'rollback' });
  } finally {
    await drop();
    repo.cleanup();
  }
});
