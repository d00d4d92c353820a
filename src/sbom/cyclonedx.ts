import { hash } from 'node:crypto';
import { createRequire } from 'node:module';
import { licenseChoice } from './license-choice.ts';
import type { SbomComponent, SbomDoc } from './model.ts';
import type { SbomVulnerability } from './vulnerabilities.ts';

export const CDX_VERSIONS = ['1.5', '1.6', '1.7'] as const;
export type CdxVersion = (typeof CDX_VERSIONS)[number];

export interface CycloneDxOptions {
  version: CdxVersion;
  timestamp: Date;
  toolVersion: string;
  format: 'json' | 'xml';
  vulnerabilities?: SbomVulnerability[];
}

/**
 * Order by UTF-16 code units, never by locale: the library's own sortLists uses localeCompare, which follows the
 * machine's locale (under LC_ALL=da_DK "aa" sorts after "z", and bom-refs are hex), so the same input gave
 * different bytes on different machines. Every list is inserted in this order and written unsorted.
 */
export function cmp(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
export function byCodeUnits(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = cmp(a[i]!, b[i]!);
    if (c) return c;
  }
  return a.length - b.length;
}

/** A fixed stand-in while the content is hashed; replaced by the UUID derived from that hash. */
export const PLACEHOLDER_SERIAL = 'urn:uuid:00000000-0000-4000-8000-000000000000';

/** A UUID (version 5 layout: version nibble 5, RFC 4122 variant) from a SHA-256 of the content. */
export function uuidFromContent(text: string): string {
  const h = hash('sha256', text, 'hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h[16]!, 16) & 3) | 8).toString(16)}${h.slice(17, 20)}-${h.slice(20, 32)}`;
}

const require = createRequire(import.meta.url);
type LibraryModule = typeof import('./cyclonedx-library.ts');
const library = (): LibraryModule => require('./cyclonedx-library.ts') as LibraryModule;

/**
 * CycloneDX JSON or XML; the serial number is a UUID derived from the document's content and the timestamp
 * comes from the caller: the same input gives the same bytes. JSON is written directly (cycloneDxJsonText);
 * XML, and JSON in the one case the direct writer leaves to it, by the official library (cyclonedx-library.ts),
 * which loading the library for JSON cost a fifth of a small repository's run.
 */
export function renderCycloneDx(doc: SbomDoc, opts: CycloneDxOptions): string {
  const text = opts.format === 'json' ? cycloneDxJsonText(doc, opts) : undefined;
  if (text === undefined) return library().renderCycloneDxWithLibrary(doc, opts);
  // The serial is the document's first occurrence of the placeholder (a top field).
  return text.replace(PLACEHOLDER_SERIAL, `urn:uuid:${uuidFromContent(text)}`);
}

/*
 * The direct JSON writer. It writes what the library's JSON normalizer (serialize/json/normalize.js, pinned
 * version) makes of the models renderCycloneDxWithLibrary builds, key for key in its order, and what its
 * JsonSerializer prints (JSON.stringify, 2 spaces): the library stays the oracle, and
 * test/sbom/cyclonedx-json.test.ts compares the bytes of both for every corpus case, every spec version, with
 * and without vulnerabilities and inventory gaps. Everything depwarden writes is supported alike by specs
 * 1.5-1.7 (component types, SHA hash algorithms, the vcs reference type, rating methods, properties); only
 * `$schema` and `specVersion` differ. That test also checks these facts against the library's Spec objects.
 */

const SCHEMA_URL: Record<CdxVersion, string> = {
  '1.5': 'http://cyclonedx.org/schema/bom-1.5.schema.json',
  '1.6': 'http://cyclonedx.org/schema/bom-1.6.schema.json',
  '1.7': 'http://cyclonedx.org/schema/bom-1.7.schema.json',
};

/** Our hash names → CycloneDX algorithms (a plain object as in cyclonedx-library.ts: the same lookups). */
const HASH_ALG: Record<string, string> = { sha1: 'SHA-1', sha256: 'SHA-256', sha384: 'SHA-384', sha512: 'SHA-512' };
/** The algorithms of HASH_ALG, all in the specs' lists; the specs' hash value pattern (same for 1.5-1.7). */
export const WRITTEN_HASH_ALGS: ReadonlySet<unknown> = new Set(Object.values(HASH_ALG));
export const HASH_VALUE = /^([a-fA-F0-9]{32})$|^([a-fA-F0-9]{40})$|^([a-fA-F0-9]{64})$|^([a-fA-F0-9]{96})$|^([a-fA-F0-9]{128})$/;
/** Enums.Vulnerability.RatingMethod's values (all supported by 1.5-1.7); anything else is written `other`. */
export const RATING_METHODS: readonly string[] = ['CVSSv2', 'CVSSv3', 'CVSSv31', 'CVSSv4', 'OWASP', 'SSVC', 'other'];
const SEVERITIES: Record<string, 1> = { critical: 1, high: 1, medium: 1, low: 1, info: 1, none: 1 };

/** The library's escapeUri (_helpers/uri.js): the characters a JSON iri-reference may not hold. */
function escapeUri(value: string): string {
  return value.replace(/ /g, '%20').replace(/"/g, '%22').replace(/'/g, '%27').replace(/\[/g, '%5B').replace(/]/g, '%5D').replace(/</g, '%3C').replace(/>/g, '%3E').replace(/\{/g, '%7B').replace(/}/g, '%7D');
}

type Json = Record<string, unknown>;

function licensesOf(text: string | undefined): Json[] | undefined {
  if (!text) return undefined;
  const l = licenseChoice(text);
  return ['id' in l ? { license: { id: l.id } } : 'name' in l ? { license: { name: l.name } } : { expression: l.expression }];
}

function componentJson(c: SbomComponent): Json {
  const out: Json = { type: c.kind === 'container' ? 'container' : c.kind === 'action' || c.kind === 'application' ? 'application' : 'library', name: c.name };
  if (c.version) out.version = c.version;
  out['bom-ref'] = c.ref;
  out.scope = c.scope === 'required' ? 'required' : c.scope === 'optional' ? 'optional' : 'excluded';
  // One value per algorithm (the first, sorted); a dictionary with entries is written even if the spec's
  // value pattern then drops them all (as the library does).
  const hashes = new Map<unknown, string>();
  for (const h of c.hashes) {
    const colon = h.indexOf(':');
    const a: unknown = HASH_ALG[h.slice(0, colon).toLowerCase()];
    const hex = h.slice(colon + 1);
    if (a && !hashes.has(a) && /^[0-9a-f]+$/i.test(hex)) hashes.set(a, hex.toLowerCase());
  }
  if (hashes.size) {
    const list: Json[] = [];
    for (const [alg, content] of hashes) if (WRITTEN_HASH_ALGS.has(alg) && HASH_VALUE.test(content)) list.push({ alg, content });
    out.hashes = list;
  }
  const licenses = licensesOf(c.license);
  if (licenses) out.licenses = licenses;
  if (c.purl) out.purl = c.purl;
  if (c.vcs) {
    const ref: Json = { url: escapeUri(`${c.vcs.url}${c.vcs.commit ? `#${c.vcs.commit}` : ''}`), type: 'vcs' };
    if (c.vcs.commit) ref.comment = `resolved commit ${c.vcs.commit}`;
    out.externalReferences = [ref];
  }
  const props = Object.entries(c.properties);
  if (c.hashes.length > 1) props.push(['depwarden:hashes', c.hashes.join(' ')]);
  if (props.length) out.properties = props.sort(byCodeUnits).map(([name, value]) => ({ name, value }));
  return out;
}

function vulnerabilityJson(v: SbomVulnerability, refs: ReadonlySet<string>): Json {
  const sourceOf = (id: string): Json => ({ name: id.split('-')[0]! });
  const out: Json = { 'bom-ref': `vuln-${v.id}` };
  if (v.id) out.id = v.id;
  out.source = sourceOf(v.id);
  if (v.aliases.length) out.references = [...v.aliases].sort(cmp).map((a) => ({ id: a, source: sourceOf(a) }));
  const rating: Json = {};
  if (v.rating.score !== undefined) rating.score = v.rating.score;
  rating.severity = v.rating.severity in SEVERITIES ? v.rating.severity : 'unknown';
  rating.method = RATING_METHODS.includes(v.rating.method) ? v.rating.method : 'other';
  if (v.rating.vector) rating.vector = v.rating.vector;
  out.ratings = [rating];
  if (v.description) out.description = v.description;
  if (v.recommendation) out.recommendation = v.recommendation;
  const analysis: Json = { state: v.analysis.state };
  if (v.analysis.justification) analysis.justification = v.analysis.justification;
  if (v.analysis.response?.length) analysis.response = [...new Set([...v.analysis.response].sort(cmp))];
  if (v.analysis.detail) analysis.detail = v.analysis.detail;
  out.analysis = analysis;
  const affects = [...v.affects].sort(cmp).filter((r) => refs.has(r));
  if (affects.length) out.affects = affects.map((ref) => ({ ref }));
  return out;
}

/**
 * The document's JSON text with the placeholder serial, or undefined when its bom-refs are not unique and
 * non-empty: the library then makes up random refs (BomRefDiscriminator), which only it can reproduce.
 */
export function cycloneDxJsonText(doc: SbomDoc, opts: CycloneDxOptions): string | undefined {
  // The sort keys built once per component, not twice per comparison (the same order: sort is stable).
  const keyed = doc.components.map((c) => ({ c, k: [c.name, c.version, c.purl ?? '', c.ref] }));
  keyed.sort((a, b) => byCodeUnits(a.k, b.k));
  const refs = new Set<string>([doc.rootRef]);
  const written: SbomComponent[] = [];
  for (const { c } of keyed) {
    if (c.ref === doc.rootRef) continue;
    if (refs.has(c.ref)) return undefined;
    refs.add(c.ref);
    written.push(c);
  }
  const vulns = [...(opts.vulnerabilities ?? [])].sort((a, b) => cmp(a.id, b.id));
  const vulnRefs = new Set<string>();
  for (const v of vulns) {
    const r = `vuln-${v.id}`;
    if (refs.has(r) || vulnRefs.has(r)) return undefined;
    vulnRefs.add(r);
  }
  if (doc.rootRef === '') return undefined;

  const root: Json = { type: 'application', name: doc.subject.name };
  if (doc.subject.version) root.version = doc.subject.version;
  root['bom-ref'] = doc.rootRef;
  const rootLicenses = licensesOf(doc.subject.license);
  if (rootLicenses) root.licenses = rootLicenses;
  const tool: Json = { type: 'application', name: 'depwarden' };
  if (opts.toolVersion) tool.version = opts.toolVersion;
  const metadata: Json = { timestamp: opts.timestamp.toISOString(), tools: { components: [tool] }, component: root };
  // An incomplete inventory says so in the document, not only on stderr (issue 11.2).
  if (doc.gaps?.length) metadata.properties = [{ name: 'depwarden:inventory', value: 'incomplete' }, ...doc.gaps.map((g) => ({ name: 'depwarden:not-covered', value: `${g.file}: ${g.reason}` }))];

  const dependencies: Json[] = [];
  for (const ref of [doc.rootRef, ...written.map((c) => c.ref)]) {
    const tos = doc.dependencies.get(ref);
    const dep: Json = { ref };
    if (tos?.length) {
      const on = [...new Set([...tos].sort(cmp))].filter((t) => t !== ref && refs.has(t));
      if (on.length) dep.dependsOn = on;
    }
    dependencies.push(dep);
  }
  const bom: Json = {
    $schema: SCHEMA_URL[opts.version],
    bomFormat: 'CycloneDX',
    specVersion: opts.version,
    version: 1,
    serialNumber: PLACEHOLDER_SERIAL,
    metadata,
    components: written.map(componentJson),
    dependencies,
  };
  if (vulns.length) bom.vulnerabilities = vulns.map((v) => vulnerabilityJson(v, refs));
  // CycloneDX `compositions`, aggregate `incomplete` for the root: where the library path appends it (last).
  if (doc.gaps?.length) bom.compositions = [{ aggregate: 'incomplete', assemblies: [doc.rootRef], dependencies: [doc.rootRef] }];
  return `${JSON.stringify(bom, null, 2)}\n`;
}

const validators = new Map<string, { validate(data: string): Promise<unknown> }>();

/** Validates CycloneDX JSON against the official schema shipped with the library (strict variant); null = valid. */
export async function validateCycloneDxJson(json: string, version: CdxVersion): Promise<unknown> {
  let v = validators.get(version);
  if (!v) {
    const { JsonStrictValidator } = await import('@cyclonedx/cyclonedx-library/Validation');
    const { Version } = await import('@cyclonedx/cyclonedx-library/Spec');
    v = new JsonStrictValidator(({ '1.5': Version.v1dot5, '1.6': Version.v1dot6, '1.7': Version.v1dot7 } as const)[version]);
    validators.set(version, v);
  }
  return v.validate(json);
}
