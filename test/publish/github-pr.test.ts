import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { openOrUpdatePr } from '../../src/publish/github-pr.ts';
import { startStandIn } from '../helpers/registry-stand-in.ts';

describe('GitHub pull requests', () => {
  it('an API error names the status, never the credentials it may quote', async () => {
    const api = await startStandIn(() => ({ status: 422, body: { message: 'Validation failed for https://bot:ghp_secret1@github.example/x?token=ghp_secret2 (Authorization: token ghp_secret3)' } }));
    try {
      await assert.rejects(openOrUpdatePr({ api: api.url, owner: 'acme', repo: 'fleet', token: 'ghp_secret4' }, { head: 'b', base: 'main', title: 't', body: 'b', labels: [], reviewers: [] }), (e: Error) => {
        assert.match(e.message, /^GitHub API http:\/\/127\.0\.0\.1:\d+\/: HTTP 422 /);
        assert.doesNotMatch(e.message, /ghp_secret/);
        return true;
      });
    } finally {
      await api.close();
    }
  });
});
