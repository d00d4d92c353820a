import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createDatasources, NotFoundError } from '../../src/datasources/index.ts';
import { parseChallenge, parseImageName } from '../../src/datasources/oci.ts';
import { candidateTags, classifyTagUpdate, sortImageTags } from '../../src/versioning/tag.ts';
import { type StandIn, startStandIn } from '../helpers/registry-stand-in.ts';

const raw = (f: string) => readFileSync(new URL(`../fixtures/registries/oci/${f}`, import.meta.url), 'utf8');

describe('OCI: names and tags', () => {
  it('Docker Hub naming and other registries', () => {
    assert.deepEqual(parseImageName('python'), { host: 'docker.io', repository: 'library/python' });
    assert.deepEqual(parseImageName('python:3.12-slim@sha256:abc123'), { host: 'docker.io', repository: 'library/python' });
    assert.deepEqual(parseImageName('docker.io/python'), { host: 'docker.io', repository: 'library/python' });
    assert.deepEqual(parseImageName('bitnami/redis'), { host: 'docker.io', repository: 'bitnami/redis' });
    assert.deepEqual(parseImageName('ghcr.io/acme/api:1.0'), { host: 'ghcr.io', repository: 'acme/api' });
    assert.deepEqual(parseImageName('localhost:5000/app'), { host: 'localhost:5000', repository: 'app' });
  });

  const tags = [...JSON.parse(raw('tags-page1.json')).tags, ...JSON.parse(raw('tags-page2.json')).tags] as string[];

  it('sorts version-like tags by suffix, then version; other tags are left out', () => {
    assert.deepEqual(sortImageTags(tags), [
      'v1.2',
      '3.12.0',
      '3.12.1',
      '3.12.2',
      '3.11.9-alpine',
      '3.12.1-alpine',
      '20-alpine',
      '3.12.0-slim',
      '3.12.1-slim',
      '3.12.2-slim',
      '3.13.0rc1-slim',
      '3.11-slim-bookworm',
      '3.11.4-slim-bookworm',
      '3.11.5-slim-bookworm',
      '3.11.6-slim-bookworm',
      '3.11.10-slim-bookworm',
    ]);
    assert.ok(!sortImageTags(tags).includes('latest') && !sortImageTags(tags).includes('slim'));
  });

  it('candidate tags keep the suffix and the number of components (Renovate docker versioning)', () => {
    assert.deepEqual(candidateTags('3.11.4-slim-bookworm', tags), ['3.11.4-slim-bookworm', '3.11.5-slim-bookworm', '3.11.6-slim-bookworm', '3.11.10-slim-bookworm']);
    assert.deepEqual(candidateTags('3.12.0-slim', tags), ['3.12.0-slim', '3.12.1-slim', '3.12.2-slim'], 'no prerelease for a stable tag');
    assert.deepEqual(candidateTags('3.13.0rc1-slim', tags), ['3.12.0-slim', '3.12.1-slim', '3.12.2-slim', '3.13.0rc1-slim']);
    assert.deepEqual(candidateTags('3.12.0', tags), ['3.12.0', '3.12.1', '3.12.2']);
    assert.deepEqual(candidateTags('18-alpine', tags), ['20-alpine']);
    assert.deepEqual(candidateTags('v1.0', tags), ['v1.2']);
    assert.deepEqual(candidateTags('latest', tags), []);
    assert.deepEqual(['3.11.4-slim>3.11.9-slim', '3.11.4-slim>3.12.0-slim', '18-alpine>20-alpine', 'v4.1.0>v4.2.2', '3.13.0rc1>3.13.0', '3.12.1>3.12.0', '3.12-slim>3.12.1'].map((p) => classifyTagUpdate(...(p.split('>') as [string, string]))), ['patch', 'minor', 'major', 'minor', 'prerelease', undefined, undefined]);
  });

  it('parses WWW-Authenticate challenges', () => {
    assert.deepEqual(parseChallenge('Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/python:pull"'), {
      scheme: 'bearer',
      params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/python:pull' },
    });
  });
});

describe('OCI: distribution API against a stand-in', () => {
  let reg: StandIn;
  let auth: StandIn;
  let tokensIssued = 0;
  const index = raw('index.json');
  const manifest = raw('manifest-v2.json');
  const indexDigest = `sha256:${createHash('sha256').update(index).digest('hex')}`;
  const manifestDigest = `sha256:${createHash('sha256').update(manifest).digest('hex')}`;
  before(async () => {
    auth = await startStandIn((req) => {
      const u = new URL(req.url, 'http://x');
      if (u.pathname !== '/token') return undefined;
      tokensIssued++;
      return { body: { token: `tok-for-${u.searchParams.get('scope')}-${u.searchParams.get('service')}-${req.headers.authorization ? 'user' : 'anon'}`, expires_in: 300 } };
    });
    reg = await startStandIn((req) => {
      const u = new URL(req.url, 'http://x');
      if (!req.headers.authorization?.startsWith('Bearer tok-for-repository:library/python:pull-registry.docker.io')) {
        return { status: 401, headers: { 'www-authenticate': `Bearer realm="${auth.url}/token",service="registry.docker.io",scope="repository:library/python:pull"` }, body: { errors: [{ code: 'UNAUTHORIZED' }] } };
      }
      if (u.pathname === '/v2/library/python/tags/list') {
        if (!u.searchParams.get('last')) return { headers: { link: '</v2/library/python/tags/list?last=3.12.0&n=1000>; rel="next"' }, body: raw('tags-page1.json') };
        return { body: raw('tags-page2.json') };
      }
      if (u.pathname === '/v2/library/python/manifests/3.12-slim') {
        return { headers: { 'content-type': 'application/vnd.oci.image.index.v1+json', 'docker-content-digest': indexDigest }, body: index };
      }
      if (u.pathname === '/v2/library/python/manifests/3.12.1') {
        // A registry that sends no Docker-Content-Digest: the digest is the sha256 of the body.
        return { headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v2+json' }, body: manifest };
      }
      return { status: 404, body: { errors: [{ code: 'MANIFEST_UNKNOWN' }] } };
    });
  });
  after(async () => {
    await Promise.all([reg.close(), auth.close()]);
  });
  const make = (env: NodeJS.ProcessEnv = {}) => createDatasources({ allowHosts: ['127.0.0.1'], env, npmrcTexts: [], netrcText: '', oci: { 'docker.io': reg.url } });

  it('token flow (401 → realm → token → retry), tag pages followed through Link, token reused per scope', async () => {
    const ds = make();
    const r = await ds.ociTags('python');
    assert.equal(r.name, 'library/python');
    assert.equal(r.registry, `${reg.url}/`);
    assert.equal(r.allTags.length, 18);
    assert.equal(r.releases.length, 16);
    const urls = reg.requests.map((q) => `${q.method} ${q.url} ${q.authorization}`);
    assert.deepEqual(urls, ['GET /v2/library/python/tags/list?n=1000 false', 'GET /v2/library/python/tags/list?n=1000 true', 'GET /v2/library/python/tags/list?last=3.12.0&n=1000 true']);
    assert.equal(auth.requests[0]!.url, '/token?service=registry.docker.io&scope=repository%3Alibrary%2Fpython%3Apull');
    assert.equal(tokensIssued, 1);
    // The next call for the same repository carries the token up front.
    const d = await ds.ociDigest('python', '3.12-slim');
    assert.equal(tokensIssued, 1);
    assert.deepEqual(d, { digest: indexDigest, multiArch: true, mediaType: 'application/vnd.oci.image.index.v1+json' });
    const head = reg.requests.at(-1)!;
    assert.equal(head.method, 'HEAD');
    assert.match(head.headers.accept!, /application\/vnd\.oci\.image\.index\.v1\+json.*application\/vnd\.docker\.distribution\.manifest\.list\.v2\+json.*application\/vnd\.oci\.image\.manifest\.v1\+json.*application\/vnd\.docker\.distribution\.manifest\.v2\+json/);
  });

  it('digest from the body hash when the registry sends no Docker-Content-Digest; single-arch manifest', async () => {
    const ds = make();
    const d = await ds.ociDigest('docker.io/library/python', '3.12.1');
    assert.deepEqual(d, { digest: manifestDigest, multiArch: false, mediaType: 'application/vnd.docker.distribution.manifest.v2+json' });
    assert.deepEqual(
      reg.requests.slice(-2).map((q) => q.method),
      ['HEAD', 'GET'],
    );
    await assert.rejects(ds.ociDigest('python', '0.0-none'), NotFoundError);
  });

  it('the realm is asked with the registry credentials as Basic when configured', async () => {
    const byUrl = createDatasources({ allowHosts: ['127.0.0.1'], env: { [`DEPWARDEN_AUTH_127_0_0_1_${new URL(reg.url).port}`]: 'robot:pat-SECRET' }, npmrcTexts: [], netrcText: '', oci: { 'docker.io': reg.url } });
    await byUrl.ociTags('python');
    assert.equal(auth.requests.at(-1)!.authorization, true);
    // Credentials for Docker Hub by its name apply to the base URL docker.io is mapped to.
    await make({ DEPWARDEN_AUTH_DOCKER_IO: 'robot:pat-SECRET' }).ociTags('python');
    assert.equal(auth.requests.at(-1)!.authorization, true);
    await make().ociTags('python');
    assert.equal(auth.requests.at(-1)!.authorization, false);
  });
});
