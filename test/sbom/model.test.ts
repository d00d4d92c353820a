import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PackageURL } from 'packageurl-js';
import { makeImageRef } from '../../src/formats/image-ref.ts';
import type { Dependency, LockedPackage, PackageSource } from '../../src/model/dependency.ts';
import type { ActionRef, ParsedData } from '../../src/model/files.ts';
import type { Inventory, Service } from '../../src/model/inventory.ts';
import { renderCycloneDx, uuidFromContent, validateCycloneDxJson } from '../../src/sbom/cyclonedx.ts';
import { jsonSerializerSource } from '../../src/sbom/cyclonedx-library.ts';
import { lockGraph } from '../../src/sbom/graph.ts';
import { repositorySbom, serviceSbom } from '../../src/sbom/model.ts';
import { renderSpdx, validateSpdxJson } from '../../src/sbom/spdx.ts';
import { sbomTimestamp } from '../../src/sbom/timestamp.ts';
import { vulnerabilitiesFor } from '../../src/sbom/vulnerabilities.ts';
import type { VulnMatch } from '../../src/vulns/audit.ts';
import { validateCycloneDxXml } from './xml-schema.ts';

const TS = new Date('2024-05-06T07:08:09Z');
const H = (c: string): string => `sha256:${c.repeat(64)}`;

function pkg(file: string, name: string, version: string, extra: Partial<LockedPackage> = {}): LockedPackage {
  const ecosystem = file.endsWith('package-lock.json') ? 'npm' : 'PyPI';
  return {
    ecosystem,
    name,
    normalizedName: ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name,
    version,
    hashes: [],
    groups: ['main'],
    dev: false,
    optional: false,
    dependencies: [],
    span: { file, line: 1, column: 1 },
    ...extra,
  };
}
const edge = (name: string, constraint = '*'): LockedPackage['dependencies'][number] => ({ name, normalizedName: name.toLowerCase().replace(/[-_.]+/g, '-'), constraint });
const dep = (name: string, ecosystem: 'PyPI' | 'npm' = 'PyPI'): Dependency => ({
  ecosystem,
  name,
  normalizedName: ecosystem === 'PyPI' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name,
  constraint: '*',
  constraintSyntax: ecosystem === 'PyPI' ? 'poetry' : 'npm',
  group: 'main',
  dev: false,
  optional: false,
  span: { file: 'x', line: 1, column: 1 },
});

function service(name: string, locked: LockedPackage[], extra: Partial<Service> = {}): Service {
  return { name, root: name, origin: 'discovered', files: [], units: [], dockerfiles: [], compose: [], dependencies: [], locked, images: [], ...extra };
}
function inventory(services: Service[], files: [string, ParsedData][] = [], actions: ActionRef[] = []): Inventory {
  return { root: '/nowhere', services, files: new Map(files), allFiles: new Set(), kinds: new Map(), actions, findings: [] };
}

const GIT: PackageSource = { type: 'git', url: 'https://github.com/python-poetry/poetry-core.git', reference: 'main', resolvedReference: 'e3998b0e111dc03e4aa721fd054c48e5c7de6fc5' };
const LOCK = 'api/poetry.lock';
const api = service(
  'api',
  [
    pkg(LOCK, 'Zope.Interface_Extra', '6.0', { hashes: [H('a'), H('b')], dependencies: [edge('numpy', '>=1.26')] }),
    pkg(LOCK, 'numpy', '1.24.4', { markers: 'python_version < "3.9"', hashes: [H('c')] }),
    pkg(LOCK, 'numpy', '1.26.4', { markers: 'python_version >= "3.9"', hashes: [H('d')] }),
    pkg(LOCK, 'poetry-core', '2.0.0', { source: GIT }),
    pkg(LOCK, 'torch', '2.3.0', { source: { type: 'legacy', url: 'https://download.pytorch.org/whl/cpu', name: 'pytorch' } }),
    pkg(LOCK, 'pytest', '8.2.0', { dev: true, groups: ['test'], license: 'MIT' }),
    pkg(LOCK, 'extra-only', '1.0', { optional: true, license: 'Some Custom Licence v2' }),
    pkg(LOCK, 'local-lib', '0.1.0', { source: { type: 'directory', path: '../lib', develop: true } }),
  ],
  {
    dependencies: [dep('Zope.Interface_Extra'), dep('pytest'), dep('poetry-core'), dep('torch'), dep('extra-only'), dep('local-lib')],
    units: [{ ecosystem: 'PyPI', manifest: 'api/pyproject.toml', lock: LOCK }],
    images: [
      makeImageRef('python:3.12-slim@sha256:' + 'e'.repeat(64), 'python:3.12-slim@sha256:' + 'e'.repeat(64), [], { file: 'api/Dockerfile', line: 1, column: 6 }),
      makeImageRef('ghcr.io/acme/base:1.2', 'ghcr.io/acme/base:1.2', [], { file: 'api/Dockerfile', line: 9, column: 6 }),
    ],
  },
);
const NPM = 'web/package-lock.json';
const web = service(
  'web',
  [
    pkg(NPM, 'a', '1.0.0', { path: 'node_modules/a', dependencies: [edge('b')], license: 'MIT OR Apache-2.0', hashes: ['sha512:' + 'f'.repeat(128)] }),
    pkg(NPM, 'b', '2.0.0', { path: 'node_modules/a/node_modules/b' }),
    pkg(NPM, 'b', '1.0.0', { path: 'node_modules/b' }),
    pkg(NPM, 'c', '1.0.0', { path: 'node_modules/c', dependencies: [edge('b'), edge('missing')] }),
    pkg(NPM, '@scope/d', '3.0.0', { path: 'node_modules/@scope/d', source: { type: 'registry', url: 'https://npm.acme.dev/repo/@scope/d/-/d-3.0.0.tgz' }, dependencies: [edge('b')] }),
    pkg(NPM, 'e', '1.0.0', { path: 'node_modules/e', source: { type: 'registry', url: 'https://registry.npmjs.org/e/-/e-1.0.0.tgz' }, dev: true, groups: ['dev'] }),
  ],
  { dependencies: [dep('a', 'npm'), dep('c', 'npm'), dep('@scope/d', 'npm'), dep('e', 'npm'), dep('b', 'npm')], units: [{ ecosystem: 'npm', manifest: 'web/package.json', lock: NPM }] },
);
const files: [string, ParsedData][] = [
  ['api/pyproject.toml', { kind: 'pyproject', file: 'api/pyproject.toml', projectName: 'api', projectVersion: '1.4.2', license: 'Apache-2.0', hasPoetrySection: true, hasProjectSection: true, dependencies: [], sources: [], groups: [], extras: {}, contentHash: { poetry1: '', poetry2: '' } }],
];
const CHECKOUT: ActionRef = { raw: 'actions/checkout@' + '1'.repeat(40), kind: 'action', owner: 'actions', repo: 'checkout', ref: '1'.repeat(40), refKind: 'sha', versionComment: 'v4.1.7', span: { file: '.github/workflows/ci.yml', line: 10, column: 15 } };
const CACHE: ActionRef = { raw: 'actions/cache/restore@v4', kind: 'action', owner: 'actions', repo: 'cache', path: 'restore', ref: 'v4', refKind: 'tag', span: { file: '.github/workflows/ci.yml', line: 12, column: 15 } };
const inv = inventory([api, web], files, [CHECKOUT, { ...CHECKOUT, span: { ...CHECKOUT.span, file: '.github/workflows/release.yml' } }, CACHE]);

const byName = (doc: ReturnType<typeof serviceSbom>, name: string, version?: string) => doc.components.find((c) => c.name === name && (version === undefined || c.version === version))!;

describe('SBOM components from a hand-built inventory', () => {
  const doc = serviceSbom(api, inv);

  it('purls: PyPI names per the purl spec, git commit as vcs_url, other indexes as repository_url, a source folder no file_name (it is no artefact)', () => {
    assert.equal(byName(doc, 'Zope.Interface_Extra').purl, 'pkg:pypi/zope.interface-extra@6.0');
    // Qualifier values are percent-encoded by packageurl-js; compared decoded here.
    const q = (name: string) => { const p = PackageURL.fromString(byName(doc, name).purl!); return { ...p.qualifiers }; };
    assert.match(byName(doc, 'poetry-core').purl!, /^pkg:pypi\/poetry-core@2\.0\.0\?vcs_url=/);
    assert.deepEqual(q('poetry-core'), { vcs_url: 'git+https://github.com/python-poetry/poetry-core.git@e3998b0e111dc03e4aa721fd054c48e5c7de6fc5' });
    assert.deepEqual(q('torch'), { repository_url: 'https://download.pytorch.org/whl/cpu' });
    assert.deepEqual(q('local-lib'), {});
    assert.equal(byName(doc, 'local-lib').properties['depwarden:source'], 'directory:../lib');
    const w = serviceSbom(web, inv);
    const d = PackageURL.fromString(byName(w, '@scope/d').purl!);
    assert.deepEqual([d.namespace, d.name, d.version, { ...d.qualifiers }], ['@scope', 'd', '3.0.0', { repository_url: 'https://npm.acme.dev/repo' }]);
    assert.match(byName(w, '@scope/d').purl!, /^pkg:npm\/%40scope\/d@3\.0\.0\?/);
    assert.equal(byName(w, 'e').purl, 'pkg:npm/e@1.0.0', 'the default registry is no qualifier');
  });

  it('scopes, hashes, markers, git commits and licences are kept', () => {
    assert.equal(byName(doc, 'pytest').scope, 'excluded');
    assert.equal(byName(doc, 'extra-only').scope, 'optional');
    assert.equal(byName(doc, 'torch').scope, 'required');
    assert.deepEqual(byName(doc, 'Zope.Interface_Extra').hashes, [H('a'), H('b')]);
    assert.equal(byName(doc, 'numpy', '1.24.4').properties['depwarden:markers'], 'python_version < "3.9"');
    assert.deepEqual(byName(doc, 'poetry-core').vcs, { url: GIT.url, commit: 'e3998b0e111dc03e4aa721fd054c48e5c7de6fc5' });
    assert.equal(byName(doc, 'poetry-core').properties['depwarden:vcs-reference'], 'main');
    assert.equal(byName(doc, 'torch').properties['depwarden:source'], 'legacy:https://download.pytorch.org/whl/cpu');
    assert.deepEqual(doc.subject, { ref: doc.rootRef, name: 'api', version: '1.4.2', license: 'Apache-2.0' });
  });

  it('graph: npm resolves by node_modules lookup, Poetry picks the version the constraint allows', () => {
    const w = serviceSbom(web, inv);
    const ref = (name: string, version: string) => byName(w, name, version).ref;
    assert.deepEqual(w.dependencies.get(ref('a', '1.0.0')), [ref('b', '2.0.0')], 'a uses its nested b');
    assert.deepEqual(w.dependencies.get(ref('c', '1.0.0')), [ref('b', '1.0.0')], 'c uses the top-level b');
    assert.deepEqual(w.dependencies.get(ref('@scope/d', '3.0.0')), [ref('b', '1.0.0')]);
    // The service depends on the top-level installs of what package.json declares, never a nested copy.
    assert.deepEqual(w.dependencies.get(w.rootRef), [ref('@scope/d', '3.0.0'), ref('a', '1.0.0'), ref('b', '1.0.0'), ref('c', '1.0.0'), ref('e', '1.0.0')].sort());
    assert.deepEqual(doc.dependencies.get(byName(doc, 'Zope.Interface_Extra').ref), [byName(doc, 'numpy', '1.26.4').ref]);
    assert.equal(lockGraph(web.locked).unresolved, 1, 'the edge to a package that is not locked is counted, not invented');
    // Two versions both allowed by the constraints: each edge goes to the version locked under its own markers.
    const old = pkg(LOCK, 'numpy', '1.24.4', { markers: 'python_version < "3.12"' });
    const cur = pkg(LOCK, 'numpy', '1.26.4', { markers: 'python_version >= "3.12"' });
    const user = pkg(LOCK, 'pandas', '2.2.0', { dependencies: [{ ...edge('numpy', '>=1.22'), markers: 'python_version >= "3.12"' }, { ...edge('numpy', '>=1.22'), markers: 'python_version < "3.12"' }] });
    const g = lockGraph([old, cur, user]).edges.get(user)!;
    assert.deepEqual(g.map((p) => p.version).sort(), ['1.24.4', '1.26.4']);
  });

  it('images: digest as purl version with the tag qualifier and a SHA-256 hash; registries other than Docker Hub as repository_url', () => {
    const py = doc.components.find((c) => c.kind === 'container' && c.name === 'library/python')!;
    assert.equal(py.purl, `pkg:docker/library/python@sha256:${'e'.repeat(64)}?tag=3.12-slim`);
    assert.deepEqual(py.hashes, [`sha256:${'e'.repeat(64)}`]);
    const ghcr = doc.components.find((c) => c.kind === 'container' && c.name === 'ghcr.io/acme/base')!;
    assert.equal(ghcr.purl, 'pkg:docker/acme/base@1.2?repository_url=ghcr.io');
    assert.equal(ghcr.properties['depwarden:pinned'], 'false');
    assert.ok(doc.dependencies.get(doc.rootRef)!.includes(py.ref));
  });

  it('repository SBOM: services as applications, actions once per ref with every workflow, pkg:github purls', () => {
    const r = repositorySbom(inv, 'fleet');
    const checkout = r.components.filter((c) => c.kind === 'action' && c.name === 'actions/checkout');
    assert.equal(checkout.length, 1);
    assert.equal(checkout[0]!.purl, `pkg:github/actions/checkout@${'1'.repeat(40)}`);
    assert.equal(checkout[0]!.properties['depwarden:workflow'], '.github/workflows/ci.yml,.github/workflows/release.yml');
    assert.deepEqual(checkout[0]!.hashes, [`sha1:${'1'.repeat(40)}`]);
    assert.equal(r.components.find((c) => c.name === 'actions/cache/restore')!.purl, 'pkg:github/actions/cache@v4#restore');
    const svc = r.components.find((c) => c.kind === 'application' && c.name === 'api')!;
    assert.equal(svc.version, '1.4.2');
    assert.equal(r.components.length, api.locked.length + 2 + web.locked.length + 2 + 2);
  });
});

describe('a manifest without a lock', () => {
  it('declarations become components: the version only for an exact pin, marked unlocked, one per declaration across files', () => {
    const req = (file: string, name: string, constraint: string, extra: Partial<Dependency> = {}): Dependency => ({ ...dep(name), constraint, constraintSyntax: 'pep440', span: { file, line: 1, column: 1 }, ...extra });
    const s = service('e2e', [], {
      units: [{ ecosystem: 'PyPI', manifest: 'e2e/requirements.txt' }, { ecosystem: 'PyPI', manifest: 'e2e/requirements-gpu.txt' }],
      dependencies: [
        req('e2e/requirements.txt', 'requests', '==2.32.4', { hashes: [H('9')] }),
        req('e2e/requirements.txt', 'pytest', '', { dev: true, group: 'dev' }),
        req('e2e/requirements.txt', 'torch', '>=2'),
        req('e2e/requirements-gpu.txt', 'torch', '>=2'),
      ],
    });
    // A constraints file (`-c`) installs nothing: its entries are no components.
    s.units.push({ ecosystem: 'PyPI', manifest: 'e2e/constraints.txt' });
    s.dependencies.push(req('e2e/constraints.txt', 'django', '<6.0'));
    const reqFile: ParsedData = { kind: 'requirements', file: 'e2e/requirements.txt', requirements: [], options: [], includes: [{ kind: 'constraint', path: 'constraints.txt', resolvedPath: 'e2e/constraints.txt', exists: true, span: { file: 'e2e/requirements.txt', line: 1, column: 1 } }] };
    const d = serviceSbom(s, inventory([s], [['e2e/requirements.txt', reqFile]]));
    assert.equal(d.components.find((x) => x.name === 'django'), undefined);
    const c = (n: string) => d.components.find((x) => x.name === n)!;
    assert.deepEqual([c('requests').version, c('requests').purl, c('requests').hashes, c('requests').properties['depwarden:locked']], ['2.32.4', 'pkg:pypi/requests@2.32.4', [H('9')], 'false']);
    assert.deepEqual([c('pytest').version, c('pytest').purl, c('pytest').scope], ['', 'pkg:pypi/pytest', 'excluded']);
    assert.equal(d.components.filter((x) => x.name === 'torch').length, 1);
    assert.equal(c('torch').properties['depwarden:declared-in'], 'e2e/requirements-gpu.txt,e2e/requirements.txt');
    assert.equal(c('torch').properties['depwarden:constraint'], '>=2');
    assert.equal(d.dependencies.get(d.rootRef)!.length, 3);
  });
});

describe('rendering', () => {
  const doc = serviceSbom(api, inv);
  const cdx = renderCycloneDx(doc, { version: '1.6', timestamp: TS, toolVersion: '9.9.9', format: 'json' });
  const bom = JSON.parse(cdx) as {
    serialNumber: string;
    metadata: { timestamp: string; component: { name: string; version: string; licenses: unknown[] } };
    components: { name: string; version: string; licenses?: { license?: { id?: string; name?: string }; expression?: string }[]; properties?: { name: string; value: string }[]; externalReferences?: { type: string; url: string }[] }[];
  };

  it('CycloneDX: schema-valid, licences as id / expression / name, the subject from the manifest', async () => {
    assert.equal(await validateCycloneDxJson(cdx, '1.6'), null);
    assert.equal(bom.metadata.timestamp, '2024-05-06T07:08:09.000Z');
    assert.deepEqual(bom.metadata.component.licenses, [{ license: { id: 'Apache-2.0' } }]);
    assert.equal(bom.metadata.component.version, '1.4.2');
    const comp = (n: string) => bom.components.find((c) => c.name === n)!;
    assert.deepEqual(comp('pytest').licenses, [{ license: { id: 'MIT' } }]);
    assert.deepEqual(comp('extra-only').licenses, [{ license: { name: 'Some Custom Licence v2' } }]);
    assert.equal(comp('Zope.Interface_Extra').properties!.find((p) => p.name === 'depwarden:hashes')!.value, `${H('a')} ${H('b')}`);
    assert.equal(comp('poetry-core').externalReferences![0]!.url, `${GIT.url}#e3998b0e111dc03e4aa721fd054c48e5c7de6fc5`);
    const w = JSON.parse(renderCycloneDx(serviceSbom(web, inv), { version: '1.6', timestamp: TS, toolVersion: '9.9.9', format: 'json' })) as typeof bom;
    assert.deepEqual(w.components.find((c) => c.name === 'a')!.licenses, [{ expression: 'MIT OR Apache-2.0' }]);
  });

  it('the serial number is a UUID derived from the content: same input, same serial; other input, other serial', () => {
    assert.match(bom.serialNumber, /^urn:uuid:[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(renderCycloneDx(doc, { version: '1.6', timestamp: TS, toolVersion: '9.9.9', format: 'json' }), cdx);
    const other = JSON.parse(renderCycloneDx(doc, { version: '1.6', timestamp: new Date(0), toolVersion: '9.9.9', format: 'json' })) as typeof bom;
    assert.notEqual(other.serialNumber, bom.serialNumber);
    assert.notEqual(uuidFromContent('a'), uuidFromContent('b'));
  });

  it('SPDX: schema-valid, free-text licence as LicenseRef with its text, dev and optional direct dependencies as SPDX relationships', () => {
    const text = renderSpdx(doc, { timestamp: TS, toolVersion: '9.9.9' });
    assert.equal(validateSpdxJson(text), null);
    const s = JSON.parse(text) as { packages: { name: string; licenseDeclared: string; checksums?: unknown[]; downloadLocation: string }[]; relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[]; hasExtractedLicensingInfos: { licenseId: string; extractedText: string }[] };
    const p = (n: string) => s.packages.find((x) => x.name === n)!;
    assert.match(p('extra-only').licenseDeclared, /^LicenseRef-[0-9a-f]{16}$/);
    assert.deepEqual(s.hasExtractedLicensingInfos.map((l) => [l.licenseId, l.extractedText]), [[p('extra-only').licenseDeclared, 'Some Custom Licence v2']]);
    assert.equal(p('Zope.Interface_Extra').checksums!.length, 2, 'SPDX lists every hash');
    assert.equal(p('poetry-core').downloadLocation, 'git+https://github.com/python-poetry/poetry-core.git@e3998b0e111dc03e4aa721fd054c48e5c7de6fc5');
    const rel = (t: string) => s.relationships.filter((r) => r.relationshipType === t).length;
    assert.equal(rel('DEV_DEPENDENCY_OF'), 1);
    assert.equal(rel('OPTIONAL_DEPENDENCY_OF'), 1);
    assert.equal(validateSpdxJson(text.replace('"SPDX-2.3"', '42')) !== null, true, 'the validator rejects a broken document');
  });

  it('CycloneDX XML validates against the library XSDs; a broken document does not', async () => {
    const xml = renderCycloneDx(doc, { version: '1.6', timestamp: TS, toolVersion: '9.9.9', format: 'xml' });
    assert.deepEqual(await validateCycloneDxXml([{ name: 'api', xml }], '1.6'), []);
    const errors = await validateCycloneDxXml([{ name: 'broken', xml: xml.replace('<components>', '<components><bogus/>') }], '1.6');
    assert.equal(errors.length, 1);
    assert.match(errors[0]!, /^broken: .*bogus/);
  });

  it('JSON is serialised by the library class the public Serialize entry exports, without loading the XML stack', () => {
    assert.equal(jsonSerializerSource(), 'internal');
    const req = createRequire(import.meta.url);
    const dir = path.dirname(req.resolve('@cyclonedx/cyclonedx-library/package.json'));
    const pub = req('@cyclonedx/cyclonedx-library/Serialize') as { JsonSerializer: unknown };
    assert.equal((req(path.join(dir, 'dist.node', 'serialize', 'index.common.js')) as { JsonSerializer: unknown }).JsonSerializer, pub.JsonSerializer);
  });

  it('vulnerabilities from the audit: CycloneDX VEX analysis per affected component, valid in JSON and XML', async () => {
    const numpy = api.locked.find((p) => p.name === 'numpy' && p.version === '1.24.4')!;
    const matches: VulnMatch[] = [
      { service: 'api', pkg: numpy, id: 'CVE-2024-0001', ids: ['CVE-2024-0001', 'GHSA-aaaa-bbbb-cccc'], summary: 'overflow', scored: { severity: 'high', score: 7.5, vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N', source: 'CVSS_V3' }, fixedIn: '1.26.0' },
      { service: 'api', pkg: numpy, id: 'PYSEC-2024-9', ids: ['PYSEC-2024-9'], scored: { severity: 'medium', source: 'database_specific' }, triage: { id: 'PYSEC-2024-9', state: 'not_affected', justification: 'code_not_reachable', owner: 'sec', reason: 'not used', expires: '2099-01-01' } as VulnMatch['triage'] & object },
    ];
    const vulns = vulnerabilitiesFor(doc, matches);
    assert.deepEqual(vulns.map((v) => [v.id, v.analysis.state, v.affects.length]), [['CVE-2024-0001', 'in_triage', 1], ['PYSEC-2024-9', 'not_affected', 1]]);
    const json = renderCycloneDx(doc, { version: '1.6', timestamp: TS, toolVersion: '9.9.9', format: 'json', vulnerabilities: vulns });
    assert.equal(await validateCycloneDxJson(json, '1.6'), null);
    const v = (JSON.parse(json) as { vulnerabilities: { id: string; ratings: { method: string; score?: number }[]; analysis: { state: string; justification?: string }; affects: { ref: string }[]; references?: { id: string }[] }[] }).vulnerabilities;
    assert.deepEqual(v.map((x) => [x.id, x.ratings[0]!.method, x.analysis.state, x.affects[0]!.ref]), [['CVE-2024-0001', 'CVSSv31', 'in_triage', byName(doc, 'numpy', '1.24.4').ref], ['PYSEC-2024-9', 'other', 'not_affected', byName(doc, 'numpy', '1.24.4').ref]]);
    assert.deepEqual(v[0]!.references!.map((r) => r.id), ['GHSA-aaaa-bbbb-cccc']);
    const xml = renderCycloneDx(doc, { version: '1.6', timestamp: TS, toolVersion: '9.9.9', format: 'xml', vulnerabilities: vulns });
    assert.deepEqual(await validateCycloneDxXml([{ name: 'vex', xml }], '1.6'), []);
    assert.match(xml, /<state>not_affected<\/state>/);
  });

  it('timestamp: SOURCE_DATE_EPOCH, else the files\' last commit, else (not committed) the current time, never 1970', () => {
    assert.equal(sbomTimestamp({ SOURCE_DATE_EPOCH: '1700000000' }, '/nowhere', ['x']).toISOString(), '2023-11-14T22:13:20.000Z');
    const now = new Date('2026-12-07T12:00:00Z');
    assert.equal(sbomTimestamp({}, '/nowhere', ['x'], () => now), now);
    assert.equal(sbomTimestamp({ SOURCE_DATE_EPOCH: 'soon' }, '/nowhere', [], () => now), now);
    assert.ok(Math.abs(sbomTimestamp({}, '/nowhere', ['x']).getTime() - Date.now()) < 60_000);
  });
});
