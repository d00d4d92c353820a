import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { Ajv } from 'ajv';
import parseSpdx from 'spdx-expression-parse';
import type { SbomComponent, SbomDoc } from './model.ts';

const ALG: Record<string, string> = { sha1: 'SHA1', sha256: 'SHA256', sha384: 'SHA384', sha512: 'SHA512' };

/** SPDXRef ids allow letters, digits, "." and "-" only. */
const spdxId = (ref: string): string => `SPDXRef-${ref.replace(/[^A-Za-z0-9.-]/g, '-')}`;

function licenseField(text: string | undefined): string {
  if (!text) return 'NOASSERTION';
  try {
    parseSpdx(text);
    return text;
  } catch {
    return 'NOASSERTION'; // free text is not an SPDX expression; kept in the package comment
  }
}

function pkg(c: SbomComponent): Record<string, unknown> {
  const checksums = [...new Set(c.hashes)]
    .map((h) => h.split(':') as [string, string])
    .filter(([a, v]) => ALG[a.toLowerCase()] && v)
    .map(([a, v]) => ({ algorithm: ALG[a.toLowerCase()]!, checksumValue: v.toLowerCase() }));
  const props = Object.entries(c.properties).sort().map(([k, v]) => `${k}=${v}`);
  return {
    SPDXID: spdxId(c.ref),
    name: c.name,
    ...(c.version ? { versionInfo: c.version } : {}),
    downloadLocation: c.vcs ? `git+${c.vcs.url}${c.vcs.commit ? `@${c.vcs.commit}` : ''}` : 'NOASSERTION',
    filesAnalyzed: false,
    ...(checksums.length ? { checksums } : {}),
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: licenseField(c.license),
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: c.kind === 'container' ? 'CONTAINER' : c.kind === 'action' ? 'APPLICATION' : 'LIBRARY',
    ...(c.purl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: c.purl }] } : {}),
    comment: [`scope=${c.scope}`, ...props, ...(c.license && licenseField(c.license) === 'NOASSERTION' ? [`license-text=${c.license}`] : [])].join('; '),
  };
}

/** SPDX 2.3 JSON: one package per component, DEPENDS_ON per edge, DEV_DEPENDENCY_OF for excluded scope. */
export function renderSpdx(doc: SbomDoc, opts: { timestamp: Date; toolVersion: string }): string {
  const packages = [{ SPDXID: spdxId(doc.rootRef), name: doc.name, downloadLocation: 'NOASSERTION', filesAnalyzed: false, licenseConcluded: 'NOASSERTION', licenseDeclared: 'NOASSERTION', copyrightText: 'NOASSERTION', primaryPackagePurpose: 'APPLICATION' }];
  const refs = new Set([doc.rootRef]);
  for (const c of [...doc.components].sort((a, b) => (a.ref < b.ref ? -1 : 1))) {
    if (refs.has(c.ref)) continue;
    refs.add(c.ref);
    packages.push(pkg(c) as (typeof packages)[number]);
  }
  const scopeOf = new Map(doc.components.map((c) => [c.ref, c.scope]));
  const relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: spdxId(doc.rootRef) },
  ];
  for (const [from, tos] of [...doc.dependencies].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (!refs.has(from)) continue;
    for (const to of [...tos].sort()) {
      if (!refs.has(to)) continue;
      relationships.push(
        from === doc.rootRef && scopeOf.get(to) === 'excluded'
          ? { spdxElementId: spdxId(to), relationshipType: 'DEV_DEPENDENCY_OF', relatedSpdxElement: spdxId(from) }
          : { spdxElementId: spdxId(from), relationshipType: 'DEPENDS_ON', relatedSpdxElement: spdxId(to) },
      );
    }
  }
  const body = { packages, relationships };
  const digest = createHash('sha256').update(JSON.stringify(body)).digest('hex');
  const out = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: doc.name,
    // Derived from the content: the same input names the same document.
    documentNamespace: `https://depwarden.dev/spdx/${encodeURIComponent(doc.name)}-${digest.slice(0, 32)}`,
    creationInfo: { created: opts.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: [`Tool: depwarden-${opts.toolVersion}`] },
    documentDescribes: [spdxId(doc.rootRef)],
    ...body,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

let validator: ((d: unknown) => boolean) & { errors?: unknown } = undefined as never;

/** Validates against the official SPDX 2.3 JSON schema (schemas/spdx/, draft-07). Returns the errors or null. */
export function validateSpdxJson(json: string): unknown {
  if (!validator) {
    const schema = JSON.parse(readFileSync(new URL('../../schemas/spdx/spdx-schema-2.3.json', import.meta.url), 'utf8')) as object;
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator(JSON.parse(json)) ? null : validator.errors;
}
