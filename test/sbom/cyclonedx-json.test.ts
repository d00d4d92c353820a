import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, it } from 'node:test';
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import { fixupSpdxId } from '@cyclonedx/cyclonedx-library/SPDX';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { VulnMatch } from '../../src/vulns/audit.ts';
import { CDX_VERSIONS, type CycloneDxOptions, cycloneDxJsonText, HASH_VALUE, RATING_METHODS, renderCycloneDx, WRITTEN_HASH_ALGS } from '../../src/sbom/cyclonedx.ts';
import { licenseOf, renderCycloneDxWithLibrary } from '../../src/sbom/cyclonedx-library.ts';
import { sbomDocuments } from '../../src/sbom/documents.ts';
import { cdxSpdxId, cdxSpdxIdSource, licenseChoice } from '../../src/sbom/license-choice.ts';
import type { SbomComponent, SbomDoc } from '../../src/sbom/model.ts';
import { type SbomVulnerability, vulnerabilitiesFor } from '../../src/sbom/vulnerabilities.ts';
import { CORPUS, corpusCases } from '../helpers/corpus.ts';

// The direct JSON writer (cyclonedx.ts) against the official library's serializer (cyclonedx-library.ts): the
// library is the oracle, byte for byte.

const TS = new Date('2024-01-01T00:00:00Z');
const req = createRequire(import.meta.url);

function sameBytes(doc: SbomDoc, what: string, vulnerabilities?: SbomVulnerability[]): void {
  for (const version of CDX_VERSIONS) {
    const opts: CycloneDxOptions = { version, timestamp: TS, toolVersion: '1.2.3', format: 'json', ...(vulnerabilities ? { vulnerabilities } : {}) };
    assert.notEqual(cycloneDxJsonText(doc, opts), undefined, `${what}: the direct writer is taken`);
    assert.equal(renderCycloneDx(doc, opts), renderCycloneDxWithLibrary(doc, opts), `${what} ${version}${vulnerabilities ? ' with vulnerabilities' : ''}`);
  }
}

/** Matches against every 5th locked package, with every kind of rating, triage and response, through vulnerabilitiesFor. */
function matchesFor(inv: Awaited<ReturnType<typeof buildInventory>>): VulnMatch[] {
  const out: VulnMatch[] = [];
  const sources = ['CVSS_V4', 'CVSS_V3', 'CVSS_V2', 'database_specific'];
  const severities = ['critical', 'high', 'medium', 'low', 'none', 'unknown', 'moderate'];
  let i = 0;
  for (const s of inv.services) {
    for (const p of s.locked) {
      if (i++ % 5) continue;
      const k = i;
      out.push({
        service: s.name,
        pkg: p,
        id: `${['CVE', 'GHSA', 'PYSEC'][k % 3]}-2024-${k % 7}`,
        ids: [`CVE-2024-${k % 7}`, `GHSA-x-${k % 4}`, `OSV-${k % 3}`],
        ...(k % 4 ? { summary: `issue "${k}" <in> ${p.name}` } : {}),
        scored: { severity: severities[k % severities.length]!, ...(k % 3 ? { score: (k % 100) / 10 } : {}), ...(k % 2 ? { vector: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' } : {}), source: sources[k % sources.length]! },
        ...(k % 6 ? { fixedIn: `${k}.0` } : {}),
        ...(k % 3 === 0 ? { triage: { id: 'x', state: 'not_affected', justification: k % 2 ? 'code_not_reachable' : undefined, response: ['will_not_fix', 'update', 'will_not_fix'], owner: 'sec', reason: 'not used', expires: '2099-01-01' } as unknown as VulnMatch['triage'] & object } : {}),
      } as VulnMatch);
    }
  }
  return out;
}

describe('direct CycloneDX JSON equals the library serializer', () => {
  for (const c of corpusCases()) {
    it(`${c.dir}: every document, specs 1.5/1.6/1.7, plain, with vulnerabilities, with inventory gaps`, async () => {
      const inv = await buildInventory(path.join(CORPUS, c.dir), configSchema.parse({}));
      const matches = matchesFor(inv);
      for (const { file, doc } of sbomDocuments(inv, c.dir)) {
        sameBytes(doc, `${c.dir} ${file}`);
        const vulns = vulnerabilitiesFor(doc, matches);
        if (vulns.length) sameBytes(doc, `${c.dir} ${file}`, vulns);
        const gaps = doc.gaps?.length ? { ...doc, gaps: undefined } : { ...doc, gaps: [{ file: 'x/poetry.lock', reason: 'not parsed: "bad" <toml>' }, { file: 'y/package.json', reason: 'skipped' }] };
        sameBytes(gaps, `${c.dir} ${file} gaps toggled`, vulns.length ? vulns : undefined);
      }
    });
  }

  it('hand-built edge cases: hashes, licences, kinds, scopes, vcs URLs, unknown refs, empty versions', () => {
    const h = (alg: string, n: number, ch = 'a'): string => `${alg}:${ch.repeat(n)}`;
    const licences = ['MIT', 'mit', 'Apache-2.0 OR MIT', 'GPL-2.0+', 'GPL-2.0-only WITH Classpath-exception-2.0', 'SEE LICENSE IN LICENSE', 'UNLICENSED', 'LicenseRef-foo', 'BSD', 'MIT License', 'x'.repeat(1500), '(MIT)', 'Classpath-exception-2.0'];
    const comps: SbomComponent[] = [];
    const kinds: SbomComponent['kind'][] = ['library', 'container', 'action', 'application'];
    const scopes = ['required', 'optional', 'excluded', 'bogus'] as SbomComponent['scope'][];
    const hashSets = [[], [h('sha256', 64)], [h('sha256', 64), h('sha256', 64, 'b')], [h('SHA512', 128, 'C')], [h('sha256', 63)], [h('md5', 32)], [h('sha1', 40), h('sha384', 96)], ['constructor:abcd'], ['nocolon'], [h('sha256', 64, 'g')]];
    for (let i = 0; i < 40; i++) {
      comps.push({
        ref: `pkg-${i.toString(16).padStart(4, '0')}`,
        kind: kinds[i % kinds.length]!,
        name: i % 9 === 0 ? 'Ünïcode "name" <x>' : `pkg${i % 13}`,
        version: i % 5 === 0 ? '' : `${i}.0`,
        ...(i % 3 ? { purl: `pkg:pypi/pkg${i}@${i}.0` } : {}),
        scope: scopes[i % scopes.length]!,
        hashes: hashSets[i % hashSets.length]!,
        ...(i % 2 ? { license: licences[i % licences.length]! } : {}),
        ...(i % 7 === 0 ? { vcs: { url: `https://h/a b"c'[d]<e>{f}`, ...(i % 2 ? { commit: 'abc' } : {}) } } : {}),
        properties: i % 4 ? { 'depwarden:lockfile': 'poetry.lock', 'depwarden:b': 'é', 'depwarden:a': `${i}` } : {},
      });
    }
    const refs = comps.map((c) => c.ref);
    const dependencies = new Map<string, string[]>([
      ['root', [...refs.slice(0, 5), 'unknown', refs[0]!, 'root']],
      [refs[1]!, [refs[1]!, refs[2]!, refs[2]!]],
      ['unknown', [refs[3]!]],
    ]);
    const doc: SbomDoc = { name: 'edge', rootRef: 'root', subject: { ref: 'root', name: 'edge', version: '2.0', license: 'Apache-2.0 AND MIT' }, components: [...comps, { ...comps[0]!, ref: 'root' }], dependencies };
    sameBytes(doc, 'edge');
    for (const license of licences) sameBytes({ ...doc, subject: { ...doc.subject, license } }, `root licence ${license.slice(0, 20)}`);
    const vulns: SbomVulnerability[] = [
      { id: 'CVE-1', aliases: ['B-2', 'A-1', 'A-1'], rating: { severity: 'high', score: 7.5, method: 'CVSSv31', vector: 'v' }, description: 'd', recommendation: 'r', analysis: { state: 'exploitable', response: ['update', 'rollback', 'update'], detail: 'x' }, affects: [refs[1]!, 'unknown', 'root', refs[1]!] },
      { id: 'GHSA-2', aliases: [], rating: { severity: 'toString', method: 'CVSSv5' }, analysis: { state: 'in_triage' }, affects: ['unknown'] },
      { id: 'A', aliases: [], rating: { severity: 'weird', score: 0, method: 'other' }, analysis: { state: 'not_affected', justification: 'code_not_present' }, affects: [] },
    ];
    sameBytes(doc, 'edge', vulns);
    sameBytes({ ...doc, gaps: [{ file: 'a', reason: 'b' }] }, 'edge gaps', vulns);
    // Without tool version, subject version or components.
    const opts: CycloneDxOptions = { version: '1.6', timestamp: new Date(0), toolVersion: '', format: 'json' };
    const bare: SbomDoc = { name: 'bare', rootRef: 'r', subject: { ref: 'r', name: 'bare' }, components: [], dependencies: new Map() };
    assert.equal(renderCycloneDx(bare, opts), renderCycloneDxWithLibrary(bare, opts));
  });

  it('leaves documents whose bom-refs repeat to the library (which then makes refs up)', () => {
    const c: SbomComponent = { ref: 'a', kind: 'library', name: 'x', version: '1', scope: 'required', hashes: [], properties: {} };
    const opts: CycloneDxOptions = { version: '1.6', timestamp: TS, toolVersion: '1', format: 'json' };
    const base: SbomDoc = { name: 'd', rootRef: 'r', subject: { ref: 'r', name: 'd' }, components: [c, { ...c, name: 'y' }], dependencies: new Map() };
    assert.equal(cycloneDxJsonText(base, opts), undefined);
    assert.equal(cycloneDxJsonText({ ...base, components: [c] }, { ...opts, vulnerabilities: [{ id: 'X', aliases: [], rating: { severity: 'low', method: 'other' }, analysis: { state: 'in_triage' }, affects: [] }, { id: 'X', aliases: [], rating: { severity: 'low', method: 'other' }, analysis: { state: 'in_triage' }, affects: [] }] }), undefined);
    assert.match(renderCycloneDx(base, opts), /"bom-ref": "BomRef\./, 'the library path was taken');
  });

  it('what the writer assumes of specs 1.5-1.7 is what the library says', () => {
    assert.deepEqual(RATING_METHODS, Object.values(Enums.Vulnerability.RatingMethod));
    for (const v of CDX_VERSIONS) {
      const spec = Spec.SpecVersionDict[({ '1.5': Spec.Version.v1dot5, '1.6': Spec.Version.v1dot6, '1.7': Spec.Version.v1dot7 } as const)[v]]!;
      assert.equal(spec.version, v);
      for (const t of [Enums.ComponentType.Library, Enums.ComponentType.Application, Enums.ComponentType.Container]) assert.ok(spec.supportsComponentType(t), `${v} ${t}`);
      for (const a of WRITTEN_HASH_ALGS) assert.ok(spec.supportsHashAlgorithm(a as Enums.HashAlgorithm), `${v} ${String(a)}`);
      for (let n = 0; n <= 130; n++) for (const ch of ['a', 'F', '0', 'g']) assert.equal(HASH_VALUE.test(ch.repeat(n)), spec.supportsHashValue(ch.repeat(n)), `${v} hash of ${n}`);
      assert.ok(spec.supportsExternalReferenceType(Enums.ExternalReferenceType.VCS));
      for (const m of RATING_METHODS) assert.ok(spec.supportsVulnerabilityRatingMethod(m as Enums.Vulnerability.RatingMethod), `${v} ${m}`);
      assert.equal(spec.requiresComponentVersion, false);
      assert.ok(spec.supportsProperties(new Models.Component(Enums.ComponentType.Library, 'x')) && spec.supportsMetadataProperties && spec.supportsDependencyGraph && spec.supportsVulnerabilities && spec.supportsToolsComponentsServices);
    }
  });

  it('licence ids: cdxSpdxId is fixupSpdxId, read from the schema file, and licenseChoice decides as licenseOf', () => {
    assert.equal(cdxSpdxIdSource(), 'schema-file');
    const dir = path.dirname(req.resolve('@cyclonedx/cyclonedx-library/package.json'));
    const schema = req(path.join(dir, 'res', 'schema', 'spdx.SNAPSHOT.schema.json')) as { enum: string[] };
    const ids = [...schema.enum, ...(req('spdx-license-ids') as string[]), ...(req('spdx-license-ids/deprecated') as string[]), ...(req('spdx-exceptions') as string[]), '', 'nope', 'LicenseRef-x', 'MIT+', 'mit license', 'constructor', 'toString', 'hasOwnProperty', '__proto__', 'valueOf'];
    assert.ok(ids.length > 1500);
    for (const id of ids) for (const v of [id, id.toLowerCase(), id.toUpperCase()]) assert.equal(cdxSpdxId(v), fixupSpdxId(v), v);
    const texts = [...ids.slice(0, 3000).filter(Boolean), 'MIT OR Apache-2.0', 'GPL-2.0+', 'GPL-2.0-only WITH Classpath-exception-2.0', '(MIT)', 'MIT AND (BSD-3-Clause OR ISC)', 'Free text', 'x'.repeat(2000)];
    for (const t of texts) {
      const l = licenseOf(t);
      const want = l instanceof Models.SpdxLicense ? { id: l.id } : l instanceof Models.NamedLicense ? { name: l.name } : { expression: l.expression };
      assert.deepEqual(licenseChoice(t), want, t);
    }
  });
});
