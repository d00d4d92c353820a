// The CycloneDX document through the official library: XML output, and the oracle the direct JSON writer
// (cyclonedx.ts) is tested byte-equal against (test/sbom/cyclonedx-json.test.ts). Loaded only for XML.
import { createRequire } from 'node:module';
import path from 'node:path';
// Sub-path imports: the package root also loads the validators, which only tests need.
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import { fixupSpdxId } from '@cyclonedx/cyclonedx-library/SPDX';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';
import parseSpdx from 'spdx-expression-parse';
import { byCodeUnits, type CdxVersion, cmp, type CycloneDxOptions, PLACEHOLDER_SERIAL, uuidFromContent } from './cyclonedx.ts';
import type { SbomComponent, SbomDoc } from './model.ts';
import type { SbomVulnerability } from './vulnerabilities.ts';

const SPEC: Record<CdxVersion, Spec.Version> = { '1.5': Spec.Version.v1dot5, '1.6': Spec.Version.v1dot6, '1.7': Spec.Version.v1dot7 };

const HASH_ALG: Record<string, Enums.HashAlgorithm> = {
  sha1: Enums.HashAlgorithm['SHA-1'],
  sha256: Enums.HashAlgorithm['SHA-256'],
  sha384: Enums.HashAlgorithm['SHA-384'],
  sha512: Enums.HashAlgorithm['SHA-512'],
};

type SerializeModule = typeof import('@cyclonedx/cyclonedx-library/Serialize');
const require = createRequire(import.meta.url);
let jsonSerialize: Pick<SerializeModule, 'JsonSerializer' | 'JSON'> | undefined;

/**
 * The library's JSON serializer. Its public `Serialize` entry also loads the XML serializer, which pulls in
 * xmlbuilder2 and its DOM (~20 ms, a tenth of a run on a small repository) even when only JSON is written.
 * So JSON comes from the entry that entry re-exports (the same classes, pinned library version); if a future
 * version moves that file, the public entry is used: same output, a little slower.
 */
function jsonSerializeModule(): Pick<SerializeModule, 'JsonSerializer' | 'JSON'> {
  if (!jsonSerialize) {
    try {
      const dir = path.dirname(require.resolve('@cyclonedx/cyclonedx-library/package.json'));
      jsonSerialize = require(path.join(dir, 'dist.node', 'serialize', 'index.common.js')) as SerializeModule;
      if (typeof jsonSerialize.JsonSerializer !== 'function') throw new Error('moved');
    } catch {
      jsonSerialize = require('@cyclonedx/cyclonedx-library/Serialize') as SerializeModule;
    }
  }
  return jsonSerialize;
}

/** Which module serialised JSON (tests check the fast path is taken and gives the public entry's bytes). */
export function jsonSerializerSource(): 'internal' | 'public' {
  const m = jsonSerializeModule();
  return m === (require('@cyclonedx/cyclonedx-library/Serialize') as unknown) ? 'public' : 'internal';
}

/**
 * A licence as the lock states it: one SPDX id as `license.id`, a compound SPDX expression as `expression`,
 * anything else (free text, "SEE LICENSE IN ...", "UNLICENSED") as a named licence: never dropped.
 */
export function licenseOf(text: string): Models.LicenseExpression | Models.NamedLicense | Models.SpdxLicense {
  let parsed: ReturnType<typeof parseSpdx>;
  try {
    parsed = parseSpdx(text);
  } catch {
    return new Models.NamedLicense(text.slice(0, 1000));
  }
  // A single id the CycloneDX schema lists goes in `license.id` (its enum); others stay a valid expression.
  const id = 'license' in parsed && !parsed.plus && !('exception' in parsed) ? fixupSpdxId(parsed.license) : undefined;
  if (id) return new Models.SpdxLicense(id);
  return new Models.LicenseExpression(text);
}

function component(c: SbomComponent): Models.Component {
  const type = c.kind === 'container' ? Enums.ComponentType.Container : c.kind === 'action' || c.kind === 'application' ? Enums.ComponentType.Application : Enums.ComponentType.Library;
  const hashes = new Models.HashDictionary();
  for (const h of c.hashes) {
    const colon = h.indexOf(':');
    const a = HASH_ALG[h.slice(0, colon).toLowerCase()];
    const hex = h.slice(colon + 1);
    // One value per algorithm in CycloneDX: a wheel and an sdist both hash to sha256; keep the first (sorted)
    // here and every one in the depwarden:hashes property.
    if (a && /^[0-9a-f]+$/i.test(hex) && !hashes.has(a)) hashes.set(a, hex.toLowerCase());
  }
  const licenses = new Models.LicenseRepository();
  if (c.license) licenses.add(licenseOf(c.license));
  const refs = new Models.ExternalReferenceRepository();
  if (c.vcs) refs.add(new Models.ExternalReference(`${c.vcs.url}${c.vcs.commit ? `#${c.vcs.commit}` : ''}`, Enums.ExternalReferenceType.VCS, c.vcs.commit ? { comment: `resolved commit ${c.vcs.commit}` } : {}));
  const properties = new Models.PropertyRepository();
  const props = Object.entries(c.properties);
  if (c.hashes.length > 1) props.push(['depwarden:hashes', c.hashes.join(' ')]);
  for (const [k, v] of props.sort(byCodeUnits)) properties.add(new Models.Property(k, v));
  return new Models.Component(type, c.name, {
    bomRef: c.ref,
    ...(c.version ? { version: c.version } : {}),
    scope: c.scope === 'required' ? Enums.ComponentScope.Required : c.scope === 'optional' ? Enums.ComponentScope.Optional : Enums.ComponentScope.Excluded,
    hashes,
    licenses,
    externalReferences: refs,
    properties,
    // The purl was built and normalised by packageurl-js (purl.ts); the library takes any object with toString.
    ...(c.purl ? { purl: c.purl as unknown as Models.Component['purl'] } : {}),
  });
}

function vulnerability(v: SbomVulnerability, refs: Map<string, Models.Component>): Models.Vulnerability.Vulnerability {
  const V = Models.Vulnerability;
  const E = Enums.Vulnerability;
  const sourceOf = (id: string): Models.Vulnerability.Source => new V.Source({ name: id.split('-')[0]! });
  const analysis = new V.Analysis({
    state: v.analysis.state as Enums.Vulnerability.AnalysisState,
    ...(v.analysis.justification ? { justification: v.analysis.justification as Enums.Vulnerability.AnalysisJustification } : {}),
    ...(v.analysis.detail ? { detail: v.analysis.detail } : {}),
  });
  for (const r of [...(v.analysis.response ?? [])].sort(cmp)) analysis.response.add(r as Enums.Vulnerability.AnalysisResponse);
  const out = new V.Vulnerability({
    bomRef: `vuln-${v.id}`,
    id: v.id,
    source: sourceOf(v.id),
    ...(v.description ? { description: v.description } : {}),
    ...(v.recommendation ? { recommendation: v.recommendation } : {}),
    analysis,
  });
  for (const a of [...v.aliases].sort(cmp)) out.references.add(new V.Reference(a, sourceOf(a)));
  out.ratings.add(
    new V.Rating({
      severity: (v.rating.severity in { critical: 1, high: 1, medium: 1, low: 1, info: 1, none: 1 } ? v.rating.severity : 'unknown') as Enums.Vulnerability.Severity,
      method: (Object.values(E.RatingMethod) as string[]).includes(v.rating.method) ? (v.rating.method as Enums.Vulnerability.RatingMethod) : E.RatingMethod.Other,
      ...(v.rating.score !== undefined ? { score: v.rating.score } : {}),
      ...(v.rating.vector ? { vector: v.rating.vector } : {}),
    }),
  );
  for (const ref of [...v.affects].sort(cmp)) {
    const c = refs.get(ref);
    if (c) out.affects.add(new V.Affect(c.bomRef));
  }
  return out;
}

/**
 * CycloneDX JSON (or XML) through the official library, every list in code-unit order (see byCodeUnits). The serial number is a UUID derived
 * from the document's content, and the timestamp comes from the caller: the same input gives the same bytes.
 */
export function renderCycloneDxWithLibrary(doc: SbomDoc, opts: CycloneDxOptions): string {
  const bom = new Models.Bom();
  bom.metadata.timestamp = opts.timestamp;
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, 'depwarden', { version: opts.toolVersion }));
  const rootLicenses = new Models.LicenseRepository();
  if (doc.subject.license) rootLicenses.add(licenseOf(doc.subject.license));
  const root = new Models.Component(Enums.ComponentType.Application, doc.subject.name, { bomRef: doc.rootRef, ...(doc.subject.version ? { version: doc.subject.version } : {}), licenses: rootLicenses });
  bom.metadata.component = root;
  // An incomplete inventory says so in the document, not only on stderr (issue 11.2).
  if (doc.gaps?.length) {
    bom.metadata.properties.add(new Models.Property('depwarden:inventory', 'incomplete'));
    for (const g of doc.gaps) bom.metadata.properties.add(new Models.Property('depwarden:not-covered', `${g.file}: ${g.reason}`));
  }
  const byRef = new Map<string, Models.Component>([[doc.rootRef, root]]);
  const ordered = [...doc.components].sort((a, b) => byCodeUnits([a.name, a.version, a.purl ?? '', a.ref], [b.name, b.version, b.purl ?? '', b.ref]));
  for (const c of ordered) {
    if (c.ref === doc.rootRef) continue;
    const m = component(c);
    byRef.set(c.ref, m);
    bom.components.add(m);
  }
  for (const [from, tos] of doc.dependencies) {
    const f = byRef.get(from);
    if (!f) continue;
    for (const t of [...tos].sort(cmp)) {
      const target = byRef.get(t);
      if (target) f.dependencies.add(target.bomRef);
    }
  }
  for (const v of [...(opts.vulnerabilities ?? [])].sort((a, b) => cmp(a.id, b.id))) bom.vulnerabilities.add(vulnerability(v, byRef));
  bom.serialNumber = PLACEHOLDER_SERIAL;
  const spec = Spec.SpecVersionDict[SPEC[opts.version]]!;
  let text: string;
  if (opts.format === 'xml') {
    const S = require('@cyclonedx/cyclonedx-library/Serialize') as SerializeModule;
    text = new S.XmlSerializer(new S.XML.Normalize.Factory(spec)).serialize(bom, { sortLists: false, space: 2 });
  } else {
    const S = jsonSerializeModule();
    text = `${new S.JsonSerializer(new S.JSON.Normalize.Factory(spec)).serialize(bom, { sortLists: false, space: 2 })}\n`;
  }
  if (doc.gaps?.length) text = withIncompleteComposition(text, opts.format, doc.rootRef);
  // The serial is the document's first occurrence of the placeholder (JSON: a top field; XML: a root attribute).
  return text.replace(PLACEHOLDER_SERIAL, `urn:uuid:${uuidFromContent(text)}`);
}

/**
 * CycloneDX `compositions` with aggregate `incomplete` for the root (its assembly and its dependencies): the
 * spec's way to say "more exists than is listed". The library has no composition model, so it is added to the
 * serialised text, at the place the schemas put it (JSON: a top-level key; XML: after <dependencies>, before
 * <properties>/<vulnerabilities>).
 */
function withIncompleteComposition(text: string, format: 'json' | 'xml', rootRef: string): string {
  if (format === 'json') {
    const d = JSON.parse(text) as Record<string, unknown>;
    d.compositions = [{ aggregate: 'incomplete', assemblies: [rootRef], dependencies: [rootRef] }];
    return `${JSON.stringify(d, null, 2)}\n`;
  }
  const ref = rootRef.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');
  const xml = `<compositions><composition><aggregate>incomplete</aggregate><assemblies><assembly ref="${ref}"/></assemblies><dependencies><dependency ref="${ref}"/></dependencies></composition></compositions>`;
  const at = ['<properties>', '<vulnerabilities>', '</bom>'].map((t) => text.lastIndexOf(`\n  ${t}`)).find((i) => i >= 0);
  const close = text.lastIndexOf('</bom>');
  const pos = at ?? close;
  return `${text.slice(0, pos)}\n  ${xml}${text.slice(pos)}`;
}
