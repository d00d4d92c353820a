import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { parseSpdxExpression } from './license-choice.ts';
import type { SbomComponent, SbomDoc } from './model.ts';

const ALG: Record<string, string> = { sha1: 'SHA1', sha256: 'SHA256', sha384: 'SHA384', sha512: 'SHA512' };

/** SPDXRef ids allow letters, digits, "." and "-" only. */
const spdxId = (ref: string): string => `SPDXRef-${ref.replace(/[^A-Za-z0-9.-]/g, '-')}`;

/** Free-text licences become LicenseRef-<hash of the text>, listed with the text (SPDX's named licence). */
class Licenses {
  readonly extracted = new Map<string, string>();
  field(text: string | undefined): string {
    if (!text) return 'NOASSERTION';
    try {
      parseSpdxExpression(text);
      return text;
    } catch {
      const id = `LicenseRef-${createHash('sha256').update(text).digest('hex').slice(0, 16)}`;
      this.extracted.set(id, text);
      return id;
    }
  }
}

function pkg(c: SbomComponent, lic: Licenses): Record<string, unknown> {
  const checksums = [...new Set(c.hashes)]
    .map((h) => [h.slice(0, h.indexOf(':')), h.slice(h.indexOf(':') + 1)] as const)
    .filter(([a, v]) => ALG[a.toLowerCase()] && /^[0-9a-f]+$/i.test(v))
    .map(([a, v]) => ({ algorithm: ALG[a.toLowerCase()]!, checksumValue: v.toLowerCase() }));
  const props = Object.entries(c.properties).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([k, v]) => `${k}=${v}`);
  return {
    SPDXID: spdxId(c.ref),
    name: c.name,
    ...(c.version ? { versionInfo: c.version } : {}),
    downloadLocation: c.vcs ? `git+${c.vcs.url.replace(/^git\+/, '')}${c.vcs.commit ? `@${c.vcs.commit}` : ''}` : 'NOASSERTION',
    filesAnalyzed: false,
    ...(checksums.length ? { checksums } : {}),
    licenseConcluded: 'NOASSERTION',
    licenseDeclared: lic.field(c.license),
    copyrightText: 'NOASSERTION',
    primaryPackagePurpose: c.kind === 'container' ? 'CONTAINER' : c.kind === 'action' || c.kind === 'application' ? 'APPLICATION' : 'LIBRARY',
    ...(c.purl ? { externalRefs: [{ referenceCategory: 'PACKAGE-MANAGER', referenceType: 'purl', referenceLocator: c.purl }] } : {}),
    // SPDX 2.3 has no scope or property fields: kept in the comment, `key=value; ...`.
    comment: [`scope=${c.scope}`, ...props].join('; '),
  };
}

const RELATION: Record<SbomComponent['scope'], string> = { required: 'DEPENDS_ON', optional: 'OPTIONAL_DEPENDENCY_OF', excluded: 'DEV_DEPENDENCY_OF' };

/**
 * SPDX 2.3 JSON: one package per component, DEPENDS_ON per edge of the graph; the subject's direct
 * dependencies of optional or dev-only scope as OPTIONAL_DEPENDENCY_OF / DEV_DEPENDENCY_OF (the reverse
 * direction, as SPDX defines those).
 */
export function renderSpdx(doc: SbomDoc, opts: { timestamp: Date; toolVersion: string }): string {
  const lic = new Licenses();
  const s = doc.subject;
  const packages: Record<string, unknown>[] = [
    { SPDXID: spdxId(doc.rootRef), name: s.name, ...(s.version ? { versionInfo: s.version } : {}), downloadLocation: 'NOASSERTION', filesAnalyzed: false, licenseConcluded: 'NOASSERTION', licenseDeclared: lic.field(s.license), copyrightText: 'NOASSERTION', primaryPackagePurpose: 'APPLICATION' },
  ];
  const refs = new Set([doc.rootRef]);
  for (const c of [...doc.components].sort((a, b) => (a.ref < b.ref ? -1 : a.ref > b.ref ? 1 : 0))) {
    if (refs.has(c.ref)) continue;
    refs.add(c.ref);
    packages.push(pkg(c, lic));
  }
  const scopeOf = new Map(doc.components.map((c) => [c.ref, c.scope]));
  const relationships: { spdxElementId: string; relationshipType: string; relatedSpdxElement: string }[] = [
    { spdxElementId: 'SPDXRef-DOCUMENT', relationshipType: 'DESCRIBES', relatedSpdxElement: spdxId(doc.rootRef) },
  ];
  for (const [from, tos] of [...doc.dependencies].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!refs.has(from)) continue;
    for (const to of [...tos].sort()) {
      if (!refs.has(to)) continue;
      const rel = from === doc.rootRef ? RELATION[scopeOf.get(to) ?? 'required'] : 'DEPENDS_ON';
      relationships.push(rel === 'DEPENDS_ON' ? { spdxElementId: spdxId(from), relationshipType: rel, relatedSpdxElement: spdxId(to) } : { spdxElementId: spdxId(to), relationshipType: rel, relatedSpdxElement: spdxId(from) });
    }
  }
  const hasExtractedLicensingInfos = [...lic.extracted].sort(([a], [b]) => (a < b ? -1 : 1)).map(([licenseId, text]) => ({ licenseId, extractedText: text, name: text.slice(0, 200) }));
  const body = { packages, relationships, ...(hasExtractedLicensingInfos.length ? { hasExtractedLicensingInfos } : {}) };
  const digest = createHash('sha256').update(JSON.stringify(body)).update(JSON.stringify(doc.gaps ?? [])).update(opts.timestamp.toISOString()).digest('hex');
  const out = {
    spdxVersion: 'SPDX-2.3',
    dataLicense: 'CC0-1.0',
    SPDXID: 'SPDXRef-DOCUMENT',
    name: doc.name,
    // Derived from the content: the same input names the same document, a different one another.
    documentNamespace: `https://depwarden.dev/spdx/${encodeURIComponent(doc.name)}-${digest.slice(0, 32)}`,
    creationInfo: { created: opts.timestamp.toISOString().replace(/\.\d{3}Z$/, 'Z'), creators: [`Tool: depwarden-${opts.toolVersion}`] },
    // SPDX 2.3 has no completeness field: the document comment says what is missing (issue 11.2).
    ...(doc.gaps?.length ? { comment: `Inventory incomplete: depwarden could not include these dependency files: ${doc.gaps.map((g) => `${g.file} (${g.reason})`).join('; ')}` } : {}),
    documentDescribes: [spdxId(doc.rootRef)],
    ...body,
  };
  return `${JSON.stringify(out, null, 2)}\n`;
}

let validator: ((d: unknown) => boolean) & { errors?: unknown } = undefined as never;

/**
 * Validates against the official SPDX 2.3 JSON schema (schemas/spdx/, draft-07) with ajv, loaded on first use
 * (writing an SBOM never pays for it). Returns the errors, or null.
 */
export function validateSpdxJson(json: string): unknown {
  if (!validator) {
    const { Ajv } = createRequire(import.meta.url)('ajv') as typeof import('ajv');
    const schema = JSON.parse(readFileSync(new URL('../../schemas/spdx/spdx-schema-2.3.json', import.meta.url), 'utf8')) as object;
    validator = new Ajv({ allErrors: true, strict: false }).compile(schema);
  }
  return validator(JSON.parse(json)) ? null : validator.errors;
}
