import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { type DiffEntry, diffSboms, renderSbomDiff, sbomEntries } from '../../src/sbom/diff.ts';

const cdx = (components: unknown[]): string => JSON.stringify({ bomFormat: 'CycloneDX', specVersion: '1.6', components });
const c = (purl: string, extra: Record<string, unknown> = {}) => ({ type: 'library', name: purl.split('/').pop()!.split('@')[0], version: purl.split('@').pop()!.split('?')[0], purl, ...extra });
const sha = (ch: string) => ({ alg: 'SHA-256', content: ch.repeat(64) });

describe('sbom diff', () => {
  it('classifies upgrades and downgrades per ecosystem, and names digest and commit moves', () => {
    const D1 = 'sha256:' + '1'.repeat(64);
    const D2 = 'sha256:' + '2'.repeat(64);
    const before = sbomEntries(cdx([c('pkg:pypi/django@4.2.11'), c('pkg:npm/left-pad@1.3.0'), c(`pkg:docker/library/python@${D1}?tag=3.12`), c(`pkg:github/actions/checkout@${'a'.repeat(40)}`), c('pkg:pypi/requests@2.31.0'), c('pkg:npm/thing@1.0.0')]), 'a');
    const after = sbomEntries(cdx([c('pkg:pypi/django@5.0.1'), c('pkg:npm/left-pad@1.2.9'), c(`pkg:docker/library/python@${D2}?tag=3.12`), c(`pkg:github/actions/checkout@${'b'.repeat(40)}`), c('pkg:pypi/requests@2.31.1'), c('pkg:npm/thing@1.1.0-beta.1')]), 'b');
    const d = diffSboms(before, after);
    assert.deepEqual(
      d.changed.map((x) => `${x.key} ${x.direction} ${x.updateType}`),
      ['docker/library/python change digest', 'github/actions/checkout change commit', 'npm/left-pad downgrade minor', 'npm/thing upgrade minor', 'pypi/django upgrade major', 'pypi/requests upgrade patch'],
    );
    assert.equal(d.added.length + d.removed.length + d.hashChanges.length, 0);
  });

  it('a git dependency moved to another commit under the same version is a change', () => {
    const git = (commit: string) => c(`pkg:pypi/poetry-core@2.0.0?vcs_url=${encodeURIComponent(`git+https://github.com/python-poetry/poetry-core.git@${commit}`)}`);
    // diffSboms takes the SBOM texts as they are, too.
    const d = diffSboms(cdx([git('a'.repeat(40))]), cdx([git('b'.repeat(40))]));
    assert.deepEqual(d.changed.map((x) => [x.updateType, x.from, x.to]), [['commit', '2.0.0 (aaaaaaaaaaaa)', '2.0.0 (bbbbbbbbbbbb)']]);
  });

  it('licence changes at the same version and across an upgrade', () => {
    const before = sbomEntries(cdx([c('pkg:npm/a@1.0.0', { licenses: [{ license: { id: 'MIT' } }] }), c('pkg:npm/b@1.0.0', { licenses: [{ expression: 'MIT OR Apache-2.0' }] })]), 'a');
    const after = sbomEntries(cdx([c('pkg:npm/a@1.0.0', { licenses: [{ license: { name: 'Commercial' } }] }), c('pkg:npm/b@2.0.0', { licenses: [{ license: { id: 'BUSL-1.1' } }] })]), 'b');
    const d = diffSboms(before, after);
    assert.deepEqual(d.licenseChanges.map((l) => `${l.name}@${l.version}: ${l.from} -> ${l.to}`), ['a@1.0.0: MIT -> Commercial', 'b@2.0.0: MIT OR Apache-2.0 -> BUSL-1.1']);
  });

  it('same version, different hashes: a red flag of severity high, first in the markdown; one hash in common is no change', () => {
    const before = sbomEntries(cdx([c('pkg:pypi/idna@3.7', { hashes: [sha('a')] }), c('pkg:pypi/six@1.16.0', { hashes: [sha('b')], properties: [{ name: 'depwarden:hashes', value: `sha256:${'b'.repeat(64)} sha256:${'c'.repeat(64)}` }] })]), 'a');
    const after = sbomEntries(cdx([c('pkg:pypi/idna@3.7', { hashes: [sha('d')] }), c('pkg:pypi/six@1.16.0', { hashes: [sha('c')] }), c('pkg:pypi/new@1.0')]), 'b');
    const d = diffSboms(before, after);
    assert.deepEqual(d.hashChanges.map((h) => [h.name, h.version, h.severity]), [['idna', '3.7', 'high']]);
    const md = renderSbomDiff(d, 'markdown');
    assert.ok(md.indexOf('Supply-chain red flag') < md.indexOf('| added |'), md);
    assert.match(md, /\| high \| idna \| 3\.7 \|/);
    assert.match(renderSbomDiff(d, 'table'), /^HASH CHANGED {2}idna 3\.7 \(severity high/m);
    assert.equal((JSON.parse(renderSbomDiff(d, 'json')) as { hashChanges: { severity: string }[] }).hashChanges[0]!.severity, 'high');
  });

  it('several versions of one package on a side are compared as sets (npm nesting)', () => {
    const d = diffSboms(sbomEntries(cdx([c('pkg:npm/b@1.0.0'), c('pkg:npm/b@2.0.0')]), 'a'), sbomEntries(cdx([c('pkg:npm/b@2.0.0'), c('pkg:npm/b@3.0.0'), c('pkg:npm/b@4.0.0')]), 'b'));
    assert.deepEqual([d.removed.map((e) => e.version), d.added.map((e) => e.version), d.changed.length], [['1.0.0'], ['3.0.0', '4.0.0'], 0]);
  });

  it('SPDX: the described package is the subject (documentDescribes or a DESCRIBES relationship), checksums and licences read', () => {
    const spdx = JSON.stringify({
      spdxVersion: 'SPDX-2.3',
      packages: [
        { SPDXID: 'SPDXRef-root', name: 'svc' },
        { SPDXID: 'SPDXRef-a', name: 'a', versionInfo: '1.0.0', licenseDeclared: 'MIT', checksums: [{ algorithm: 'SHA256', checksumValue: 'A'.repeat(64) }], externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: 'pkg:npm/a@1.0.0' }] },
        { SPDXID: 'SPDXRef-b', name: 'b', versionInfo: '2.0', licenseDeclared: 'NOASSERTION' },
      ],
      relationships: [{ spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: 'SPDXRef-root' }],
    });
    const e = sbomEntries(spdx, 'x');
    assert.deepEqual(e, [
      { name: 'a', hashes: [`sha256:${'a'.repeat(64)}`], license: 'MIT', key: 'npm/a', version: '1.0.0', ecosystem: 'npm' },
      { name: 'b', hashes: [], key: 'b', version: '2.0' },
    ] satisfies DiffEntry[]);
  });

  it('hostile input: deep nesting does not overflow, malformed fields are skipped, non-SBOMs are refused with a message', () => {
    // 50,000 levels: JSON.parse copes; a recursive walk of the components would not on a small stack.
    const depth = 50_000;
    const json = `{"bomFormat":"CycloneDX","components":[${'{"name":"n","version":"1","components":['.repeat(depth)}{"name":"leaf","version":"1","purl":"pkg:npm/leaf@1"}${']}'.repeat(depth)}]}`;
    assert.equal(sbomEntries(json, 'deep').length, depth + 1);
    const odd = sbomEntries(cdx([{ name: 7, hashes: [{ alg: 'SHA-256', content: 'not hex' }, 'x', null, { alg: 5 }], licenses: ['MIT', { license: 5 }], purl: 'not a purl', components: 'no' }, null, 'x']), 'odd');
    assert.deepEqual(odd, [{ name: '', hashes: [], key: '', version: '' }]);
    assert.throws(() => sbomEntries('[1,2]', 'list.json'), /list\.json is neither CycloneDX JSON/);
    assert.throws(() => sbomEntries('{', 'broken.json'), /broken\.json is not JSON/);
    assert.throws(() => sbomEntries('<?xml version="1.0"?><bom/>', 'a.cdx.xml'), /a\.cdx\.xml is XML: sbom diff reads CycloneDX JSON and SPDX JSON/);
  });
});
