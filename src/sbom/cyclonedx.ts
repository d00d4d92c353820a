import { createHash } from 'node:crypto';
// Sub-path imports: the package root also loads the validators (~30 ms), which only tests need.
import * as Enums from '@cyclonedx/cyclonedx-library/Enums';
import * as Models from '@cyclonedx/cyclonedx-library/Models';
import * as Serialize from '@cyclonedx/cyclonedx-library/Serialize';
import * as Spec from '@cyclonedx/cyclonedx-library/Spec';

import parseSpdx from 'spdx-expression-parse';
import type { SbomComponent, SbomDoc } from './model.ts';

export const CDX_VERSIONS = ['1.5', '1.6', '1.7'] as const;
export type CdxVersion = (typeof CDX_VERSIONS)[number];

const SPEC: Record<CdxVersion, Spec.Version> = { '1.5': Spec.Version.v1dot5, '1.6': Spec.Version.v1dot6, '1.7': Spec.Version.v1dot7 };

const HASH_ALG: Record<string, Enums.HashAlgorithm> = {
  sha1: Enums.HashAlgorithm['SHA-1'],
  sha256: Enums.HashAlgorithm['SHA-256'],
  sha384: Enums.HashAlgorithm['SHA-384'],
  sha512: Enums.HashAlgorithm['SHA-512'],
};

/** A licence as an SPDX expression when it parses as one, else as a named licence (never dropped). */
export function licenseOf(text: string): Models.LicenseExpression | Models.NamedLicense {
  try {
    parseSpdx(text);
    return new Models.LicenseExpression(text);
  } catch {
    return new Models.NamedLicense(text.slice(0, 200));
  }
}

function component(c: SbomComponent): Models.Component {
  const type = c.kind === 'container' ? Enums.ComponentType.Container : c.kind === 'action' ? Enums.ComponentType.Application : Enums.ComponentType.Library;
  const hashes = new Models.HashDictionary();
  for (const h of c.hashes) {
    const [alg, hex] = h.split(':') as [string, string];
    const a = HASH_ALG[alg.toLowerCase()];
    // One value per algorithm in CycloneDX: a wheel and an sdist both hash to sha256; keep the first (sorted).
    if (a && hex && !hashes.has(a)) hashes.set(a, hex);
  }
  const licenses = new Models.LicenseRepository();
  if (c.license) licenses.add(licenseOf(c.license));
  const refs = new Models.ExternalReferenceRepository();
  if (c.vcs) refs.add(new Models.ExternalReference(`${c.vcs.url}${c.vcs.commit ? `#${c.vcs.commit}` : ''}`, Enums.ExternalReferenceType.VCS, c.vcs.commit ? { comment: `resolved commit ${c.vcs.commit}` } : {}));
  const properties = new Models.PropertyRepository();
  for (const [k, v] of Object.entries(c.properties).sort()) properties.add(new Models.Property(k, v));
  const all = c.hashes.filter((h) => h.includes(':'));
  if (all.length > 1) properties.add(new Models.Property('depwarden:hashes', all.join(' ')));
  return new Models.Component(type, c.name, {
    bomRef: c.ref,
    ...(c.version ? { version: c.version } : {}),
    scope: c.scope === 'required' ? Enums.ComponentScope.Required : c.scope === 'optional' ? Enums.ComponentScope.Optional : Enums.ComponentScope.Excluded,
    hashes,
    licenses,
    externalReferences: refs,
    properties,
    ...(c.purl ? { purl: c.purl as unknown as Models.Component['purl'] } : {}),
  });
}

/**
 * CycloneDX JSON (or XML) through the official library, with sorted lists. The serial number is a UUID derived
 * from the document's content, and the timestamp comes from the caller: the same input gives the same bytes.
 */
export function renderCycloneDx(doc: SbomDoc, opts: { version: CdxVersion; timestamp: Date; toolVersion: string; format: 'json' | 'xml'; vulnerabilities?: unknown[] }): string {
  const bom = new Models.Bom();
  bom.metadata.timestamp = opts.timestamp;
  bom.metadata.tools.components.add(new Models.Component(Enums.ComponentType.Application, 'depwarden', { version: opts.toolVersion }));
  const root = new Models.Component(Enums.ComponentType.Application, doc.name, { bomRef: doc.rootRef });
  bom.metadata.component = root;
  const byRef = new Map<string, Models.Component>([[doc.rootRef, root]]);
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
      const ser = new Serialize.XmlSerializer(new Serialize.XML.Normalize.Factory(Spec.SpecVersionDict[spec]!));
      return ser.serialize(bom, { sortLists: true, space: 2 });
    }
    const ser = new Serialize.JsonSerializer(new Serialize.JSON.Normalize.Factory(Spec.SpecVersionDict[spec]!));
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
  const { JsonStrictValidator } = await import('@cyclonedx/cyclonedx-library/Validation');
  const validator = new JsonStrictValidator(SPEC[version]);
  return validator.validate(json);
}
