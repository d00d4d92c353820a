import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createDatasources, NotFoundError } from '../../src/datasources/index.ts';
import { npmHashes, npmRegistryFor, packumentUrl, parsePackument, repositoryUrl } from '../../src/datasources/npm.ts';
import { parseNpmrc } from '../../src/http/auth.ts';
import { type StandIn, startStandIn } from '../helpers/registry-stand-in.ts';

const fixture = (f: string) => JSON.parse(readFileSync(new URL(`../fixtures/registries/npm/${f}`, import.meta.url), 'utf8'));

describe('npm datasource: packuments', () => {
  it('recorded left-pad: semver order, times as ISO 8601, sha512 + sha1 hashes in hex, latest dist-tag', () => {
    const r = parsePackument(fixture('left-pad.json'), 'https://registry.npmjs.org/');
    assert.deepEqual(
      r.releases.map((x) => x.version),
      ['0.0.0', '0.0.1', '0.0.2', '0.0.3', '0.0.4', '0.0.9', '1.0.0', '1.0.1', '1.0.2', '1.1.0', '1.1.1', '1.1.2', '1.1.3', '1.2.0', '1.3.0'],
    );
    const last = r.releases.at(-1)!;
    assert.equal(last.releasedAt, '2024-09-05T00:40:51.026Z');
    assert.deepEqual(last.files, [
      {
        filename: 'left-pad-1.3.0.tgz',
        url: 'https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz',
        hashes: [
          `sha1:5b8a3a7765dfe001261dde915589e782f8c94d1e`,
          `sha512:${Buffer.from('XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQGinBN9yTQT3bFlCBy/aVx2HrNcqQGsdot8ghrjyrvMCoEA==', 'base64').toString('hex')}`,
        ],
      },
    ]);
    assert.equal(r.latestTag, '1.3.0');
  });

  it('full packument: deprecated, prerelease order, homepage and repository', () => {
    const r = parsePackument(fixture('acme-widget.json'), 'https://npm.acme.example/');
    assert.equal(r.name, '@acme/widget');
    assert.deepEqual(
      r.releases.map((x) => x.version),
      ['1.0.0', '1.1.0', '1.2.0', '2.0.0-beta.1', '2.0.0'],
    );
    assert.equal(r.releases[1]!.deprecated, '1.1.0 leaks file handles, use 1.2.0');
    assert.equal(r.releases[0]!.deprecated, undefined);
    assert.equal(r.latestTag, '2.0.0');
    assert.equal(r.homepage, 'https://github.com/acme/widget#readme');
    assert.equal(r.sourceUrl, 'https://github.com/acme/widget');
    assert.equal(parsePackument(fixture('isaacs-string-locale-compare.json'), 'https://registry.npmjs.org/').releases.length, 3);
  });

  it('helpers: scoped URLs, SRI hashes, repository shorthands', () => {
    assert.equal(packumentUrl('https://r.example/npm', '@scope/pkg'), 'https://r.example/npm/@scope%2fpkg');
    assert.equal(packumentUrl('https://r.example/', 'pkg'), 'https://r.example/pkg');
    assert.deepEqual(npmHashes('sha1-AAAA sha512-AQID', undefined), ['sha1:000000', 'sha512:010203']);
    assert.equal(repositoryUrl('github:o/r'), 'https://github.com/o/r');
    assert.equal(repositoryUrl('o/r'), 'https://github.com/o/r');
    assert.equal(repositoryUrl({ type: 'git', url: 'git@github.com:azer/left-pad.git' }), 'https://github.com/azer/left-pad');
  });
});

describe('.npmrc: registries per scope and auth', () => {
  const env = { NPM_TOKEN: 'npm_SECRET_token', CI_PASS: 'pw' };
  const project = ['# project', '@acme:registry=https://npm.acme.example/repo/', '//npm.acme.example/repo/:_authToken=${NPM_TOKEN}', 'registry = "https://mirror.example/npm/"', '//mirror.example/:username=ci', `//mirror.example/:_password=${Buffer.from('mirrorpw').toString('base64')}`].join('\n');
  const user = ['registry=https://user-default.example/', '@other:registry=https://other.example/', '//other.example/:_auth=dXNlcjpwYXNz', '@acme:registry=https://ignored.example/', 'broken=${UNSET_VAR}'].join('\n');

  it('scope registry, then registry=, then the fallback; the project .npmrc overrides the user one', () => {
    assert.deepEqual(npmRegistryFor('@acme/widget', [project, user], env), { registry: 'https://npm.acme.example/repo/', authorization: 'Bearer npm_SECRET_token' });
    assert.deepEqual(npmRegistryFor('@other/x', [project, user], env), { registry: 'https://other.example/', authorization: 'Basic dXNlcjpwYXNz' });
    assert.deepEqual(npmRegistryFor('left-pad', [project, user], env), { registry: 'https://mirror.example/npm/', authorization: `Basic ${Buffer.from('ci:mirrorpw').toString('base64')}` }, 'auth of a parent path applies');
    assert.deepEqual(npmRegistryFor('left-pad', [user], env), { registry: 'https://user-default.example/' });
    assert.deepEqual(npmRegistryFor('left-pad', [], env), { registry: 'https://registry.npmjs.org/' });
  });

  it('parses comments, quotes, ${VAR} and ${VAR?}, drops lines naming unset variables', () => {
    const rc = parseNpmrc('; c\n# c\na = "x"\nb=${CI_PASS}-${NOPE?}\nc=${NOPE}\n', env);
    assert.deepEqual([...rc], [
      ['a', 'x'],
      ['b', 'pw-'],
    ]);
  });

  describe('against a registry stand-in', () => {
    let reg: StandIn;
    before(async () => {
      const widget = fixture('acme-widget.json');
      reg = await startStandIn((req) => {
        if (req.url !== '/repo/@acme%2fwidget') return undefined;
        if (req.headers.authorization !== 'Bearer npm_SECRET_token') return { status: 401, body: { error: 'unauthorized' } };
        return { body: widget };
      });
    });
    after(() => reg.close());

    it('sends the scope registry its token; a token never shows in errors', async () => {
      const npmrc = `@acme:registry=${reg.url}/repo/\n//${reg.host}/repo/:_authToken=\${NPM_TOKEN}\n`;
      const ds = createDatasources({ allowHosts: ['127.0.0.1'], env, npmrcTexts: [npmrc], netrcText: '' });
      const r = await ds.npm('@acme/widget');
      assert.equal(r.registry, `${reg.url}/repo/`);
      assert.equal(r.latestTag, '2.0.0');
      assert.equal(reg.requests.at(-1)!.authorization, true);
      assert.doesNotMatch(JSON.stringify(reg.requests), /SECRET/);

      const wrong = createDatasources({ allowHosts: ['127.0.0.1'], env: { NPM_TOKEN: 'npm_WRONG_SECRET' }, npmrcTexts: [npmrc], netrcText: '' });
      await assert.rejects(wrong.npm('@acme/widget'), (e: Error) => {
        assert.match(e.message, /HTTP 401 \(check the credentials configured for this host\)/);
        assert.doesNotMatch(e.message + String(e.stack), /SECRET/);
        return true;
      });
      await assert.rejects(ds.npm('@acme/nothing'), (e: Error) => e instanceof NotFoundError && !/SECRET/.test(e.message));
    });
  });
});
