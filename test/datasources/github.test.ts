import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createDatasources, NotFoundError } from '../../src/datasources/index.ts';
import { compareTagNames } from '../../src/datasources/github.ts';
import { type StandIn, startStandIn } from '../helpers/registry-stand-in.ts';

const fixture = (f: string) => JSON.parse(readFileSync(new URL(`../fixtures/registries/github/${f}`, import.meta.url), 'utf8'));

describe('GitHub datasource against an API stand-in', () => {
  let api: StandIn;
  const ANNOTATED_TAG_OBJECT = 'c0ffee0000000000000000000000000000000001';
  before(async () => {
    api = await startStandIn((req) => {
      if (req.headers.authorization !== 'Bearer ghs_SECRET') return { status: 401, body: { message: 'Bad credentials' } };
      const u = new URL(req.url, api.url);
      switch (u.pathname) {
        case '/repos/actions/checkout/tags':
          if (u.searchParams.get('page') === '2') return { body: fixture('tags-page2.json') };
          return { headers: { link: `<${api.url}/repositories/197814629/tags?per_page=100&page=2>; rel="next", <${api.url}/repositories/197814629/tags?per_page=100&page=2>; rel="last"` }, body: fixture('tags-page1.json') };
        case '/repositories/197814629/tags':
          return { body: fixture('tags-page2.json') };
        case '/repos/actions/checkout/releases':
          return { body: fixture('releases.json') };
        case '/repos/actions/checkout/git/ref/tags/v4.2.2': // lightweight
          return { body: { ref: 'refs/tags/v4.2.2', object: { sha: '11bd71901bbe5b1630ceea73d27597364c9af683', type: 'commit', url: '' } } };
        case '/repos/actions/checkout/git/ref/tags/v4.1.0': // annotated
          return { body: { ref: 'refs/tags/v4.1.0', object: { sha: ANNOTATED_TAG_OBJECT, type: 'tag', url: '' } } };
        case `/repos/actions/checkout/git/tags/${ANNOTATED_TAG_OBJECT}`:
          return { body: { sha: ANNOTATED_TAG_OBJECT, tag: 'v4.1.0', message: 'v4.1.0\n', object: { sha: '8ade135a41bc03ea155e62e844d188df1ea18608', type: 'commit', url: '' } } };
        default:
          return { status: 404, body: { message: 'Not Found', documentation_url: 'https://docs.github.com/rest' } };
      }
    });
  });
  after(() => api.close());
  const make = (token = 'ghs_SECRET') => createDatasources({ allowHosts: ['127.0.0.1'], env: { GITHUB_TOKEN: token }, npmrcTexts: [], netrcText: '', githubApi: api.url });

  it('tags: Link pages followed, version order, commit SHAs as digests, non-version tags left out', async () => {
    const r = await make().githubTags('actions', 'checkout');
    assert.deepEqual(
      r.releases.map((x) => `${x.version}@${x.digest!.slice(0, 7)}`),
      ['releases/v1@50fbc62', 'v4@11bd719', 'v4.1.0@8ade135', 'v4.2.1@eef6144', 'v4.2.2@11bd719', 'v5.0.0-beta.1@0ad4b8f'],
    );
    assert.equal(api.requests[0]!.url, '/repos/actions/checkout/tags?per_page=100');
    assert.equal(api.requests[0]!.headers.accept, 'application/vnd.github+json');
    assert.equal(api.requests[0]!.headers['x-github-api-version'], '2022-11-28');
    assert.ok(api.requests.every((q) => q.authorization));
  });

  it('releases: drafts skipped, prerelease flagged, notes and links', async () => {
    const r = await make().githubReleases('actions', 'checkout');
    assert.deepEqual(
      r.releases.map((x) => x.version),
      ['v4.1.0', 'v4.2.1', 'v4.2.2', 'v5.0.0-beta.1'],
    );
    const v422 = r.releases.find((x) => x.version === 'v4.2.2')!;
    assert.equal(v422.releasedAt, '2024-10-23T14:46:00Z');
    assert.equal(v422.notesUrl, 'https://github.com/actions/checkout/releases/tag/v4.2.2');
    assert.match(v422.notes!, /^## What's Changed/);
    assert.equal(r.releases.at(-1)!.prerelease, true);
    assert.equal(v422.prerelease, undefined);
  });

  it('release notes of a version range (from, to]', async () => {
    const notes = await make().githubReleaseNotes('actions', 'checkout', 'v4.1.0', 'v4.2.2');
    assert.deepEqual(
      notes.map((n) => n.version),
      ['v4.2.1', 'v4.2.2'],
    );
  });

  it('the commit of a lightweight tag, and of an annotated tag through its tag object', async () => {
    const ds = make();
    assert.equal(await ds.githubTagCommit('actions', 'checkout', 'v4.2.2'), '11bd71901bbe5b1630ceea73d27597364c9af683');
    assert.equal(await ds.githubTagCommit('actions', 'checkout', 'v4.1.0'), '8ade135a41bc03ea155e62e844d188df1ea18608');
    assert.deepEqual(
      api.requests.slice(-2).map((q) => q.url),
      ['/repos/actions/checkout/git/ref/tags/v4.1.0', `/repos/actions/checkout/git/tags/${ANNOTATED_TAG_OBJECT}`],
    );
    await assert.rejects(ds.githubTagCommit('actions', 'checkout', 'v9'), NotFoundError);
  });

  it('a refused token is reported without the token', async () => {
    await assert.rejects(make('ghs_WRONG_SECRET').githubTags('actions', 'checkout'), (e: Error) => /HTTP 401/.test(e.message) && !/SECRET/.test(e.message));
  });

  it('tag order', () => {
    assert.ok(compareTagNames('v4', 'v4.0.0') < 0);
    assert.ok(compareTagNames('v4.0.0-rc.1', 'v4.0.0') < 0);
    assert.ok(compareTagNames('v4.10.0', 'v4.9.1') > 0);
    assert.ok(compareTagNames('v1.0.0-rc.10', 'v1.0.0-rc.9') > 0);
  });
});
