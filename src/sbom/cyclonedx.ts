import { createHash } from 'node:crypto';
import * as CDX from '@cyclonedx/cyclonedx-library';
import parseSpdx from 'spdx-expression-parse';
import type { SbomComponent, SbomDoc } from './model.ts';

export const CDX_VERSIONS = ['1.5', '1.6', '1.7'] as const;
export type CdxVersion = (typeof CDX_VERSIONS)[number];

const SPEC: Record<CdxVersion, CDX.Spec.Version> = { '1.5': CDX.Spec.Version.v1dot5, '1.6': CDX.Spec.Version.v1dot6, '1.7': CDX.Spec.Version.v1dot7 };

const HASH_ALG: Record<string, CDX.Enums.HashAlgorithm> = {
  sha1: CDX.Enums.HashAlgorithm['SHA-1'],
  sha256: CDX.Enums.HashAlgorithm['SHA-256'],
  sha384: CDX.Enums.HashAlgorithm['SHA-384'],
  sha512: CDX.Enums.HashAlgorithm['SHA-512'],
};

/** A licence as an SPDX expression when it parses as one, else as a named licence (never dropped). */
export function licenseOf(text: string): CDX.Models.LicenseExpression | CDX.Models.NamedLicense {
  try {
    parseSpdx(text);
    return new CDX.Models.LicenseExpression(text);
  } catch {
    return new CDX.Models.NamedLicense(text.slice(0, 200));
  }
}

function component(c: SbomComponent): CDX.Models.Component {
  const type = c.kind === 'container' ? CDX.Enums.ComponentType.Container : c.kind === 'action' ? CDX.Enums.ComponentType.Application : CDX.Enums.ComponentType.Library;
  const hashes = new CDX.Models.HashDictionary();
  for (const h of c.hashes) {
    const [alg, hex] = h.split(':') as [string, string];
    const a = HASH_ALG[alg.toLowerCase()];
    // One value per algorithm in CycloneDX: a wheel and an sdist both hash to sha256; keep the first (sorted).
    if (a && hex && !hashes.has(a)) hashes.set(a, hex);
  }
  const licenses = new CDX.Models.LicenseRepository();
  if (c.license) licenses.add(licenseOf(c.license));
  const refs = new CDX.Models.ExternalReferenceRepository();
  if (c.vcs) refs.add(new CDX.Models.ExternalReference(`${c.vcs.url}${c.vcs.commit ? `#${c.vcs.commit}` : ''}`, CDX.Enums.ExternalReferenceType.VCS, c.vcs.commit ? { comment: `resolved commit ${c.vcs.commit}` } : {}));
  const properties = new CDX.Models.PropertyRepository();
  for (const [k, v] of Object.entries(c.properties).sort()) properties.add(new CDX.Models.Property(k, v));
  const all = c.hashes.filter((h) => h.includes(':'));
  if (all.length > 1) properties.add(new CDX.Models.Property('depwarden:hashes', all.join(' ')));
  return new CDX.Models.Component(type, c.name, {
    bomRef: c.ref,
    ...(c.version ? { version: c.version } : {}),
    scope: c.scope === 'required' ? CDX.Enums.ComponentScope.Required : c.scope === 'optional' ? CDX.Enums.ComponentScope.Optional : CDX.Enums.ComponentScope.Excluded,
    hashes,
    licenses,
    externalReferences: refs,
    properties,
    ...(c.purl ? { purl: c.purl as unknown as CDX.Models.Component['purl'] } : {}),
  });
}

/**
 * CycloneDX JSON (or XML) through the official library, with sorted lists. The serial number is a UUID derived
 * from the document's content, and the timestamp comes from the caller: the same input gives the same bytes.
 */
export function renderCycloneDx(doc: SbomDoc, opts: { version: CdxVersion; timestamp: Date; toolVersion: string; format: 'json' | 'xml'; vulnerabilities?: unknown[] }): string {
  const bom = new CDX.Models.Bom();
  bom.metadata.timestamp = opts.timestamp;
  bom.metadata.tools.components.add(new CDX.Models.Component(CDX.Enums.ComponentType.Application, 'depwarden', { version: opts.toolVersion }));
  const root = new CDX.Models.Component(CDX.Enums.ComponentType.Application, doc.name, { bomRef: doc.rootRef });
  bom.metadata.component = root;
  const byRef = new Map<string, CDX.Models.Component>([[doc.rootRef, root]]);
  for (const c of doc.components) {
    if (c.ref === doc.rootRef) continue;
    const m = component(c);
    byRef.set(c.ref, m);
    bom.components.add(m);
  }
  for (const [from, tos] of doc.dependencies) {
    const f = byRef.get(from);
    if (!f) continue;
    for (const t of tos) {
      const target = byRef.get(t);
      if (target) f.dependencies.add(target.bomRef);
    }
  }
  const spec = SPEC[opts.version];
  const render = (): string => {
    if (opts.format === 'xml') {
      const ser = new CDX.Serialize.XmlSerializer(new CDX.Serialize.XML.Normalize.Factory(CDX.Spec.SpecVersionDict[spec]!));
      return ser.serialize(bom, { sortLists: true, space: 2 });
    }
    const ser = new CDX.Serialize.JsonSerializer(new CDX.Serialize.JSON.Normalize.Factory(CDX.Spec.SpecVersionDict[spec]!));
    if (!opts.vulnerabilities?.length) return `${ser.serialize(bom, { sortLists: true, space: 2 })}\n`;
    // Audit results go in as plain CycloneDX vulnerability objects (built and sorted in vulnerabilities.ts).
    const json = JSON.parse(ser.serialize(bom, { sortLists: true })) as Record<string, unknown>;
    json.vulnerabilities = opts.vulnerabilities;
    return `${JSON.stringify(json, null, 2)}\n`;
  };
  const h = createHash('sha256').update(render()).digest('hex');
  bom.serialNumber = `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
  return render();
}

/** Validates CycloneDX JSON against the official schema shipped with the library (strict variant). */
export async function validateCycloneDxJson(json: string, version: CdxVersion): Promise<unknown> {
  const validator = new CDX.Validation.JsonStrictValidator(SPEC[version]);
  return validator.validate(json);
}
