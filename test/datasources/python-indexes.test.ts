import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { createDatasources } from '../../src/datasources/index.ts';
import { applyRequirementsOptions, loadPipConfTexts, parsePipConf, pipBaseSettings, pipIndexes, sameIndexKey } from '../../src/datasources/python-indexes.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { collectCandidates } from '../../src/updates/candidates.ts';
import { declaredIndexHosts } from '../../src/updates/registry-lookup.ts';
import { startStandIn } from '../helpers/registry-stand-in.ts';
import { writeTree } from '../helpers/temp-tree.ts';

const PYPI = 'https://pypi.org/pypi';
const urls = (s: ReturnType<typeof pipIndexes>): string[] => s.map((i) => `${i.name}=${i.url}${i.api ? `(${i.api})` : ''}`);

describe('pip index selection', () => {
  it('pip.conf: [install] over [global], continuation lines, underscores, no-index', () => {
    const c = parsePipConf('[global]\nindex-url = https://g/simple\nextra_index_url =\n    https://e1/simple\n    https://e2/simple\n; comment\n[install]\nindex-url = https://i/simple\nno-index = false\n');
    assert.deepEqual(c, { indexUrl: 'https://i/simple', extraIndexUrls: ['https://e1/simple', 'https://e2/simple'], noIndex: false });
  });

  it('precedence: user pip.conf < repository pip.conf < PIP_CONFIG_FILE < PIP_* variables', () => {
    const home = writeTree({ '.config/pip/pip.conf': '[global]\nindex-url = https://user/simple\nextra-index-url = https://user-extra/simple\n' });
    const repo = writeTree({ 'pip.conf': '[global]\nindex-url = https://repo/simple\n', 'ci/pip.conf': '[global]\nextra-index-url = https://ci-extra/simple\n' });
    const texts = loadPipConfTexts({ HOME: home, PIP_CONFIG_FILE: 'ci/pip.conf' }, repo);
    assert.equal(texts.length, 3);
    assert.deepEqual(pipBaseSettings(texts, {}), { indexUrl: 'https://repo/simple', extraIndexUrls: ['https://ci-extra/simple'], noIndex: false, findLinks: [] });
    assert.deepEqual(pipBaseSettings(texts, { PIP_INDEX_URL: 'https://env/simple', PIP_EXTRA_INDEX_URL: 'https://x1/simple https://x2/simple' }), {
      indexUrl: 'https://env/simple',
      extraIndexUrls: ['https://x1/simple', 'https://x2/simple'],
      noIndex: false,
      findLinks: [],
    });
    assert.deepEqual(loadPipConfTexts({}, undefined), [], 'no HOME, no project: no personal files are read');
  });

  it('requirements options apply like pip: --index-url replaces the base (extras too), extras add, --no-index sticks; extras are asked first', () => {
    const base = pipBaseSettings([], { PIP_INDEX_URL: 'https://env/simple', PIP_EXTRA_INDEX_URL: 'https://env-extra/simple' });
    assert.deepEqual(urls(pipIndexes(applyRequirementsOptions(base, []), PYPI)), ['extra-index-url 1=https://env-extra/simple', 'index-url=https://env/simple']);
    assert.deepEqual(urls(pipIndexes(applyRequirementsOptions(base, [{ name: '-i', value: 'https://priv/simple' }]), PYPI)), ['index-url=https://priv/simple']);
    assert.deepEqual(
      urls(pipIndexes(applyRequirementsOptions(pipBaseSettings([], {}), [{ name: '--extra-index-url', value: 'https://priv/simple' }, { name: '-f', value: 'https://wheels.example/links/' }, { name: '--find-links', value: './wheels' }]), PYPI)),
      ['extra-index-url 1=https://priv/simple', 'PyPI=https://pypi.org/pypi(json)', 'find-links 1=https://wheels.example/links/(links)'],
    );
    assert.deepEqual(
      urls(pipIndexes(applyRequirementsOptions(base, [{ name: '--index-url', value: 'https://${PIP_USER}:${PIP_TOKEN}@priv/simple' }, { name: '--extra-index-url', value: 'https://${UNSET_HOST}/simple' }], { PIP_USER: 'ci', PIP_TOKEN: 't0k' }), PYPI)),
      ['extra-index-url 1=https://${UNSET_HOST}/simple', 'index-url=https://ci:t0k@priv/simple'],
      'pip expands ${VAR} in requirements files; an unset one stays as written',
    );
    assert.deepEqual(urls(pipIndexes(applyRequirementsOptions(base, [{ name: '--no-index' }, { name: '--index-url', value: 'https://late/simple' }]), PYPI)), [], '--no-index wins over a later --index-url');
  });

  it('one key per index whatever its spelling; pypi.org JSON and simple are one index', () => {
    assert.equal(sameIndexKey('HTTP://u:p@Priv.Example:80/simple/'), 'http://priv.example/simple');
    assert.equal(sameIndexKey('https://pypi.org/simple/'), sameIndexKey('https://pypi.org/pypi'));
    assert.notEqual(sameIndexKey('https://priv.example/a/simple'), sameIndexKey('https://priv.example/b/simple'));
  });

  it('a requirements dependency carries the index options of its file, its compiled lock and the files including it', async () => {
    const root = writeTree({
      'svc/requirements.in': 'acme-lib\n',
      'svc/requirements.txt': '--index-url https://priv.example/simple\nacme-lib==1.0 \\\n    --hash=sha256:' + 'a'.repeat(64) + '\n',
      'job/requirements-base.txt': '--extra-index-url https://own-extra.example/simple\nacme-tool==2.0\n',
      'web/package.json': '{"name":"web","dependencies":{"@acme/x":"1.0.0"}}',
      'web/.npmrc': '@acme:registry=https://npm.acme.example/\nregistry=https://mirror.example/npm/\n',
      'job/requirements.txt': '--index-url https://extra.example/simple\n--trusted-host extra.example\n-r requirements-base.txt\n',
    });
    const cfg = configSchema.parse({});
    const inv = await buildInventory(root, cfg);
    const cands = collectCandidates(inv);
    assert.deepEqual(cands.find((c) => c.displayName === 'acme-lib')?.pipOptions, [{ name: '--index-url', value: 'https://priv.example/simple' }]);
    const tool = cands.find((c) => c.displayName === 'acme-tool')!.pipOptions!;
    // pip reads the including file's --index-url before the -r line, then the included file's extra index.
    assert.deepEqual(tool, [{ name: '--index-url', value: 'https://extra.example/simple' }, { name: '--extra-index-url', value: 'https://own-extra.example/simple' }]);
    assert.deepEqual(urls(pipIndexes(applyRequirementsOptions(pipBaseSettings([], {}), tool), PYPI)), ['extra-index-url 1=https://own-extra.example/simple', 'index-url=https://extra.example/simple']);
    assert.deepEqual(declaredIndexHosts(inv, pipBaseSettings([], { PIP_EXTRA_INDEX_URL: 'https://ci.example/simple' }), {}), ['ci.example', 'extra.example', 'mirror.example', 'npm.acme.example', 'own-extra.example', 'priv.example']);
  });

  it('a --find-links page answers with the files of the project it lists', async () => {
    const page = await startStandIn((req) =>
      req.url === '/links/'
        ? { headers: { 'content-type': 'text/html' }, body: `<a href="acme_lib-1.0-py3-none-any.whl#sha256=${'a'.repeat(64)}">acme_lib-1.0-py3-none-any.whl</a><a href="other-9.0.tar.gz">other-9.0.tar.gz</a><a href="acme-lib-1.2.tar.gz">acme-lib-1.2.tar.gz</a>` }
        : undefined,
    );
    try {
      const ds = createDatasources({ allowHosts: ['127.0.0.1'], env: {}, npmrcTexts: [], netrcText: '' });
      const indexes = pipIndexes(applyRequirementsOptions(pipBaseSettings([], {}), [{ name: '--no-index' }, { name: '-f', value: `${page.url}/links/` }]), PYPI);
      const r = await ds.pypi('acme-lib', { indexes });
      assert.deepEqual(r.releases.map((x) => x.version), ['1.0', '1.2']);
      assert.equal(r.releases[0]!.files![0]!.url, `${page.url}/links/acme_lib-1.0-py3-none-any.whl`);
      await assert.rejects(ds.pypi('absent', { indexes }), /absent was not found in any package index/);
    } finally {
      await page.close();
    }
  });
});
