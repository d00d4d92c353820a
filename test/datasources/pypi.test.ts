import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { createDatasources, IndexSelectionError, NotFoundError } from '../../src/datasources/index.ts';
import { normalizePypiName, parsePypiJson, parseSimpleHtml, parseSimpleJson, type PypiIndex, searchOrder, versionFromFilename } from '../../src/datasources/pypi.ts';
import { type StandIn, startStandIn } from '../helpers/registry-stand-in.ts';

const fixture = (f: string): string => readFileSync(new URL(`../fixtures/registries/pypi/${f}`, import.meta.url), 'utf8');

describe('PyPI datasource: parsing', () => {
  it('JSON API: PEP 440 order, invalid and empty versions, yanked releases, upload times, hashes, links', () => {
    const r = parsePypiJson(JSON.parse(fixture('requests.json')), 'https://pypi.org/pypi/');
    assert.equal(r.datasource, 'pypi');
    assert.equal(r.name, 'requests');
    assert.deepEqual(
      r.releases.map((x) => x.version),
      ['0.0.1', '2.4.0', '2.31.0', '2.32.0', '2.32.3', '3.0.0b1'],
    );
    const yanked = r.releases.find((x) => x.version === '2.32.0')!;
    assert.equal(yanked.yanked, true);
    assert.equal(yanked.yankedReason, 'Yanked due to conflicts with CVE-2024-35195 mitigation');
    const cur = r.releases.find((x) => x.version === '2.32.3')!;
    assert.equal(cur.yanked, undefined);
    assert.equal(cur.releasedAt, '2024-05-29T15:37:47.027Z');
    assert.equal(cur.files!.length, 2);
    assert.equal(cur.files![0]!.filename, 'requests-2.32.3-py3-none-any.whl');
    assert.equal(cur.files![0]!.requiresPython, '>=3.8');
    assert.equal(cur.files![0]!.hashes.length, 1);
    assert.match(cur.files![0]!.hashes[0]!, /^sha256:[0-9a-f]{64}$/);
    // The sdist of 2.4.0 was uploaded before its wheel: the release time is the earliest.
    assert.equal(r.releases.find((x) => x.version === '2.4.0')!.releasedAt, '2014-08-29T19:57:50.482Z');
    assert.deepEqual(r.releases.find((x) => x.version === '0.0.1'), { version: '0.0.1', files: [] });
    assert.equal(r.latestTag, '2.32.3');
    assert.equal(r.homepage, 'https://requests.readthedocs.io');
    assert.equal(r.sourceUrl, 'https://github.com/psf/requests');
  });

  it('PEP 691 JSON: versions key, versions from file names, yanked as bool or reason, relative URLs', () => {
    const page = 'https://pkgs.acme.example/simple/acme-utils/';
    const r = parseSimpleJson(JSON.parse(fixture('simple-acme-utils.json')), page, 'Acme_Utils');
    assert.equal(r.registry, 'https://pkgs.acme.example/simple/');
    assert.deepEqual(
      r.releases.map((x) => x.version),
      ['0.9.0', '1.0.0', '1.1.0', '1.2.0rc1', '2.0.dev0'],
    );
    const v11 = r.releases.find((x) => x.version === '1.1.0')!;
    assert.equal(v11.yanked, true, 'every file of 1.1.0 is yanked');
    assert.equal(v11.yankedReason, 'broken wheel metadata');
    const v10 = r.releases.find((x) => x.version === '1.0.0')!;
    assert.equal(v10.yanked, undefined);
    assert.equal(v10.releasedAt, '2023-06-01T08:59:00.000Z');
    assert.deepEqual(
      v10.files!.map((f) => f.url),
      ['https://pkgs.acme.example/packages/acme_utils-1.0.0-py3-none-any.whl', 'https://pkgs.acme.example/packages/acme_utils-1.0.0.tar.gz'],
    );
    assert.equal(v10.files![0]!.requiresPython, '>=3.9');
    assert.deepEqual(r.releases.find((x) => x.version === '2.0.dev0'), { version: '2.0.dev0', files: [] });
  });

  it('PEP 503 HTML: anchors, #sha256 fragments, entities in data-requires-python, data-yanked, dashed sdist names', () => {
    const r = parseSimpleHtml(fixture('simple-python-dateutil.html'), 'https://mirror.example/simple/python-dateutil/', 'python-dateutil');
    assert.deepEqual(
      r.releases.map((x) => x.version),
      ['2.8.1', '2.8.2', '2.9.0', '2.9.0.post0'],
    );
    const v282 = r.releases.find((x) => x.version === '2.8.2')!;
    assert.deepEqual(v282.files!.find((f) => f.filename.endsWith('.whl')), {
      filename: 'python_dateutil-2.8.2-py2.py3-none-any.whl',
      url: 'https://mirror.example/packages/11/python_dateutil-2.8.2-py2.py3-none-any.whl',
      hashes: ['sha256:110a0ad306da7e4c04cb8375fb8d68da29715200cdef5f07e2cba898c1da9974'],
      requiresPython: '>=2.7, !=3.0.*, !=3.1.*, !=3.2.*',
    });
    const v290 = r.releases.find((x) => x.version === '2.9.0')!;
    assert.equal(v290.yanked, true);
    assert.equal(v290.yankedReason, 'superseded by 2.9.0.post0');
  });

  it('names and file names', () => {
    assert.equal(normalizePypiName('Zope.Interface__x'), 'zope-interface-x');
    assert.equal(versionFromFilename('python-dateutil-2.8.1.tar.gz', 'python_dateutil'), '2.8.1');
    assert.equal(versionFromFilename('Foo_Bar-1.0-1-cp311-cp311-manylinux_2_17_x86_64.whl', 'foo-bar'), '1.0');
    assert.equal(versionFromFilename('foo-1.0-py3.8.egg', 'foo'), '1.0');
    assert.equal(versionFromFilename('other-1.0.tar.gz', 'foo'), undefined);
    assert.equal(versionFromFilename('foo-1.0.exe', 'foo'), undefined);
  });
});

describe('PyPI datasource: indexes and Poetry source priorities', () => {
  let pypi: StandIn;
  let priv: StandIn;
  let supp: StandIn;
  const simplePage = (name: string, versions: string[]) => ({
    headers: { 'content-type': 'application/vnd.pypi.simple.v1+json' },
    body: { meta: { 'api-version': '1.1' }, name, versions, files: versions.map((v) => ({ filename: `${name.replace(/-/g, '_')}-${v}-py3-none-any.whl`, url: `/files/${name}-${v}.whl`, hashes: { sha256: 'ab'.repeat(32) } })) },
  });
  before(async () => {
    const requests = JSON.parse(fixture('requests.json'));
    pypi = await startStandIn((req) => {
      if (req.url === '/pypi/requests/json') return { body: requests };
      if (req.url === '/pypi/shared-lib/json') return { body: { info: { name: 'shared-lib', version: '9.0.0' }, releases: { '9.0.0': [], '1.0.0': [] } } };
      // A mirror of the private index's project: one file in common (same sha256), and a newer release.
      if (req.url === '/pypi/mirrored-lib/json') {
        const f = (v: string, h: string) => [{ filename: `mirrored_lib-${v}-py3-none-any.whl`, url: `https://files/mirrored_lib-${v}.whl`, digests: { sha256: h } }];
        return { body: { info: { name: 'mirrored-lib', version: '2.0.0' }, releases: { '1.0.0': f('1.0.0', 'ab'.repeat(32)), '2.0.0': f('2.0.0', 'cd'.repeat(32)) } } };
      }
      return undefined;
    });
    priv = await startStandIn((req) => {
      if (req.url === '/simple/shared-lib/') return simplePage('shared-lib', ['1.0.0', '1.1.0']);
      if (req.url === '/simple/internal-only/') return simplePage('internal-only', ['0.1.0']);
      if (req.url === '/simple/mirrored-lib/') return simplePage('mirrored-lib', ['1.0.0']);
      if (req.url === '/simple/python-dateutil/') return { headers: { 'content-type': 'text/html' }, body: fixture('simple-python-dateutil.html') };
      return undefined;
    });
    supp = await startStandIn((req) => (req.url === '/simple/internal-only/' ? simplePage('internal-only', ['0.2.0']) : req.url === '/simple/extra-tool/' ? simplePage('extra-tool', ['3.0']) : undefined));
  });
  after(async () => {
    await Promise.all([pypi.close(), priv.close(), supp.close()]);
  });
  const make = () => createDatasources({ allowHosts: ['127.0.0.1'], env: {}, npmrcTexts: [], netrcText: '', pypi: { indexes: [{ name: 'PyPI', url: `${pypi.url}/pypi`, priority: 'primary' }] } });

  it('the default index answers through the JSON API; the simple index through PEP 691 or HTML', async () => {
    const ds = make();
    const r = await ds.pypi('Requests');
    assert.equal(r.releases.at(-1)!.version, '3.0.0b1');
    assert.equal(pypi.requests.at(-1)!.url, '/pypi/requests/json');
    const html = await ds.pypi('python_dateutil', { indexes: [{ name: 'mirror', url: `${priv.url}/simple` }] });
    assert.equal(html.releases.length, 4);
    assert.equal(priv.requests.at(-1)!.url, '/simple/python-dateutil/');
    assert.match(priv.requests.at(-1)!.headers.accept!, /^application\/vnd\.pypi\.simple\.v1\+json/);
    await assert.rejects(ds.pypi('no-such-thing'), NotFoundError);
  });

  it('searchOrder: default, primary, implicit PyPI only without primaries, secondary, supplemental; explicit left out', () => {
    const names = (ix: PypiIndex[]) => searchOrder(ix).map((i) => `${i.name}:${i.priority}`);
    assert.deepEqual(names([{ name: 'supp', url: 'https://s/simple', priority: 'supplemental' }, { name: 'exp', url: 'https://e/simple', priority: 'explicit' }]), ['PyPI:primary', 'supp:supplemental']);
    assert.deepEqual(names([{ name: 'corp', url: 'https://c/simple' }]), ['corp:primary'], 'a source without priority is primary and disables PyPI');
    assert.deepEqual(
      names([
        { name: 'sec', url: 'https://x/simple', priority: 'secondary' },
        { name: 'b', url: 'https://b/simple', priority: 'primary' },
        { name: 'PyPI', url: '', priority: 'supplemental' },
      ]),
      ['b:primary', 'sec:secondary', 'PyPI:supplemental'],
    );
  });

  it('primary sources are all asked, never merged: two that publish a package with no file in common are DW406; supplemental not asked', async () => {
    const ds = make();
    const before = supp.requests.length;
    const indexes: PypiIndex[] = [
      { name: 'corp', url: `${priv.url}/simple`, priority: 'primary' },
      { name: 'PyPI', url: `${pypi.url}/pypi`, priority: 'primary' },
      { name: 'extra', url: `${supp.url}/simple`, priority: 'supplemental' },
    ];
    // Merged, as Poetry and pip would, the public 9.0.0 would win over the private 1.1.0.
    await assert.rejects(ds.pypi('shared-lib', { indexes }), (e: Error) => e instanceof IndexSelectionError && e.ruleId === 'DW406' && e.severity === 'high' && /shared-lib is published on corp .* and PyPI .* with no file in common/.test(e.message));
    assert.equal(supp.requests.length, before);
  });

  it('a mirror (a file in common) is not a conflict: the first index that publishes the package answers alone', async () => {
    const ds = make();
    const r = await ds.pypi('mirrored-lib', {
      indexes: [
        { name: 'corp', url: `${priv.url}/simple`, priority: 'primary' },
        { name: 'PyPI', url: `${pypi.url}/pypi`, priority: 'primary' },
      ],
    });
    assert.deepEqual(
      r.releases.map((x) => x.version),
      ['1.0.0'],
    );
    assert.equal(r.registry, `${priv.url}/simple/`);
  });

  it('a locked index answers alone; a package found only on another index than its lock records is DW405', async () => {
    const ds = make();
    const indexes: PypiIndex[] = [
      { name: 'corp', url: `${priv.url}/simple`, priority: 'supplemental' },
      { name: 'PyPI', url: `${pypi.url}/pypi`, priority: 'primary' },
    ];
    // Locked from corp (URL spelt with credentials and without the trailing slash): PyPI's 9.0.0 is not seen.
    const locked = { url: `http://user:secret@${priv.host}/simple`, file: 'svc/poetry.lock' };
    assert.deepEqual(
      (await ds.pypi('shared-lib', { indexes, locked })).releases.map((x) => x.version),
      ['1.0.0', '1.1.0'],
    );
    // The private index lost the package: the public one has it. Critical, and the credentials are not shown.
    await assert.rejects(ds.pypi('requests', { indexes, locked }), (e: Error) => e instanceof IndexSelectionError && e.ruleId === 'DW405' && e.severity === 'critical' && /requests is found only on PyPI .* but svc\/poetry\.lock records it from http:\/\/.*which no longer publishes it/.test(e.message) && !e.message.includes('secret'));
    // The lock's index is no longer declared at all.
    await assert.rejects(ds.pypi('shared-lib', { indexes: [{ name: 'PyPI', url: `${pypi.url}/pypi` }], locked }), (e: Error) => e instanceof IndexSelectionError && /which the project no longer declares/.test(e.message));
    // Locked from PyPI (no source in the lock) while a private primary index also has it: PyPI answers alone.
    assert.deepEqual(
      (await ds.pypi('shared-lib', { indexes: [{ name: 'corp', url: `${priv.url}/simple` }, { name: 'PyPI', url: `${pypi.url}/pypi` }], locked: { file: 'svc/poetry.lock' } })).releases.map((x) => x.version),
      ['1.0.0', '9.0.0'],
    );
    // Found nowhere: not found (DW404), not a confusion finding.
    await assert.rejects(ds.pypi('nothing-anywhere', { indexes, locked }), NotFoundError);
  });

  it('supplemental sources answer only when no primary source knows the package', async () => {
    const ds = make();
    const indexes: PypiIndex[] = [
      { name: 'extra', url: `${supp.url}/simple`, priority: 'supplemental' },
      { name: 'corp', url: `${priv.url}/simple`, priority: 'primary' },
    ];
    assert.deepEqual(
      (await ds.pypi('internal-only', { indexes })).releases.map((x) => x.version),
      ['0.1.0'],
    );
    assert.deepEqual(
      (await ds.pypi('extra-tool', { indexes })).releases.map((x) => x.version),
      ['3.0'],
    );
  });

  it('explicit sources serve only the dependencies that name them', async () => {
    const ds = make();
    const indexes: PypiIndex[] = [
      { name: 'Private', url: `${supp.url}/simple`, priority: 'explicit' },
      { name: 'PyPI', url: `${pypi.url}/pypi` },
    ];
    await assert.rejects(ds.pypi('extra-tool', { indexes }), (e: Error) => e instanceof NotFoundError && /asked: PyPI/.test(e.message));
    assert.deepEqual(
      (await ds.pypi('extra-tool', { indexes, source: 'private' })).releases.map((x) => x.version),
      ['3.0'],
    );
    await assert.rejects(ds.pypi('extra-tool', { indexes, source: 'nope' }), /names the package source "nope", which is not configured/);
  });

  it('an index that fails is an error, not a skipped index (a private package must not fall through to PyPI)', async () => {
    const down = await startStandIn(() => ({ status: 500, body: 'boom' }));
    try {
      const ds = createDatasources({ allowHosts: ['127.0.0.1'], env: {}, npmrcTexts: [], netrcText: '', retries: 1, backoffMs: 1 });
      await assert.rejects(
        ds.pypi('shared-lib', {
          indexes: [
            { name: 'corp', url: `${down.url}/simple`, priority: 'primary' },
            { name: 'PyPI', url: `${pypi.url}/pypi`, priority: 'primary' },
          ],
        }),
        /failed after 2 attempts: GET .* HTTP 500/,
      );
    } finally {
      await down.close();
    }
  });

  it('credentials in an index URL travel as a header and never appear in answers or errors', async () => {
    const ds = make();
    const r = await ds.pypi('internal-only', { indexes: [{ name: 'corp', url: `http://deploy:s3cret-pw@127.0.0.1:${new URL(priv.url).port}/simple` }] });
    assert.equal(priv.requests.at(-1)!.authorization, true);
    assert.doesNotMatch(JSON.stringify(r), /s3cret/);
    await assert.rejects(ds.pypi('missing', { indexes: [{ name: 'corp', url: `http://deploy:s3cret-pw@127.0.0.1:${new URL(priv.url).port}/simple` }] }), (e: Error) => !/s3cret/.test(e.message));
  });
});
