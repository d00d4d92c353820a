import { readFileSync } from 'node:fs';
import { bundleFromJSON } from '@sigstore/bundle';
import { PublicKey, TrustedRoot } from '@sigstore/protobuf-specs';
import { toSignedEntity, toTrustMaterial, type TrustMaterial, Verifier } from '@sigstore/verify';
import type { RegistryKey } from './npm-signatures.ts';

/**
 * npm provenance attestations: Sigstore bundles (DSSE envelopes over in-toto statements) verified with
 * @sigstore/verify against an offline trusted root: the Fulcio certificate must chain to a CA of the root and carry
 * an SCT of one of its CT logs, the Rekor entry's inclusion promise must be signed by one of its logs, the envelope
 * signature must match the certificate's key. Then the statement must name this package and version with the
 * digest of the tarball the lock pins. The builder (repository, workflow, commit) is read from the Fulcio
 * certificate's extensions, which the CA signed, not from the statement the builder wrote.
 */
export interface BuiltFrom {
  /** "https://github.com/sigstore/sigstore-js" */
  repository?: string;
  /** The build signer: "https://github.com/o/r/.github/workflows/publish.yml@refs/tags/v1.0.0" */
  workflow?: string;
  commit?: string;
  ref?: string;
  issuer?: string;
}
export interface AttestationResult {
  status: 'verified' | 'unverified' | 'absent';
  reason: string;
  builtFrom?: BuiltFrom;
  predicateTypes?: string[];
}

const SLSA = /^https:\/\/slsa\.dev\/provenance\/v(0\.2|1)$/;
const NPM_PUBLISH = 'https://github.com/npm/attestation/tree/main/specs/publish/v0.1';
const MAX_BUNDLES = 8;

/** The trusted root shipped in the repository (src/provenance/trusted-root.json), or one a config names. */
export function loadTrustedRoot(file?: string): TrustedRoot {
  const text = readFileSync(file ?? new URL('./trusted-root.json', import.meta.url), 'utf8');
  return TrustedRoot.fromJSON(JSON.parse(text));
}

/** Trust material: the root's CAs, logs and CT logs, plus the registry's signing keys (for npm's publish attestation). */
export function trustMaterial(root: TrustedRoot, registryKeys: RegistryKey[] = []): TrustMaterial {
  const keys: Record<string, PublicKey> = {};
  for (const k of registryKeys) {
    keys[k.keyid] = PublicKey.fromJSON({ rawBytes: k.key, keyDetails: 'PKIX_ECDSA_P256_SHA_256', validFor: { start: '1970-01-01T00:00:00Z', ...(k.expires ? { end: k.expires } : {}) } });
  }
  return toTrustMaterial(root, keys);
}

/** Fulcio's extensions: 1.3.6.1.4.1.57264.1.x; 1..6 hold raw strings, 8 and later DER UTF8Strings. */
function fulcioExtensions(oids: { oid?: { id?: number[] }; value?: Uint8Array }[] | undefined): Map<number, string> {
  const out = new Map<number, string>();
  for (const o of oids ?? []) {
    const id = o.oid?.id ?? [];
    if (id.length !== 9 || id.slice(0, 8).join('.') !== '1.3.6.1.4.1.57264.1') continue;
    let v = Buffer.from(o.value ?? []);
    const n = id[8]!;
    if (n >= 8 && v[0] === 0x0c) v = v.subarray(v[1]! & 0x80 ? 2 + (v[1]! & 0x7f) : 2);
    out.set(n, v.toString('utf8'));
  }
  return out;
}

export function builtFromIdentity(identity: { subjectAlternativeName?: string; extensions?: { issuer?: string }; oids?: { oid?: { id?: number[] }; value?: Uint8Array }[] } | undefined): BuiltFrom {
  const ext = fulcioExtensions(identity?.oids);
  const repoName = ext.get(5); // GitHub Workflow Repository "owner/repo" (deprecated, still issued)
  const repository = ext.get(12) ?? (repoName ? `https://github.com/${repoName}` : undefined);
  const commit = ext.get(13) ?? ext.get(3);
  const ref = ext.get(14) ?? ext.get(6);
  const issuer = identity?.extensions?.issuer ?? ext.get(8) ?? ext.get(1);
  const workflow = ext.get(9) ?? identity?.subjectAlternativeName;
  return { ...(repository ? { repository } : {}), ...(workflow ? { workflow } : {}), ...(commit ? { commit } : {}), ...(ref ? { ref } : {}), ...(issuer ? { issuer } : {}) };
}

/** `pkg:npm/%40scope/name@1.0.0` as npm writes the subject of a provenance statement. */
export function npmSubjectName(name: string, version: string): string {
  return `pkg:npm/${name.startsWith('@') ? `%40${name.slice(1)}` : name}@${version}`;
}

/** sha512 hex of the tarball, from an SRI `sha512-<base64>` integrity string. */
export function sha512Hex(integrity: string): string | undefined {
  const m = /(?:^|\s)sha512-([A-Za-z0-9+/=]+)/.exec(integrity);
  return m ? Buffer.from(m[1]!, 'base64').toString('hex') : undefined;
}

/** An attestations document (`/-/npm/v1/attestations/<name>@<version>`) for one locked package. */
export function verifyNpmAttestations(doc: unknown, p: { name: string; version: string; integrity: string }, trust: TrustMaterial): AttestationResult {
  if (doc === undefined) return { status: 'absent', reason: 'the registry serves no attestations for this version' };
  const list = doc && typeof doc === 'object' ? (doc as { attestations?: unknown }).attestations : undefined;
  if (!Array.isArray(list) || list.length === 0) return { status: 'unverified', reason: 'the attestations document holds no attestation' };
  if (list.length > MAX_BUNDLES) return { status: 'unverified', reason: `the attestations document holds ${list.length} bundles (more than ${MAX_BUNDLES})` };
  const digest = sha512Hex(p.integrity);
  if (!digest) return { status: 'unverified', reason: 'the lock pins no sha512 integrity to compare the attested digest with' };
  const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 0 });
  const subject = npmSubjectName(p.name, p.version);
  const types: string[] = [];
  let provenance: BuiltFrom | undefined;
  for (const a of list) {
    const predicateType = a && typeof a === 'object' ? (a as { predicateType?: unknown }).predicateType : undefined;
    if (typeof predicateType !== 'string') return { status: 'unverified', reason: 'an attestation has no predicate type' };
    let identity;
    let statement: { subject?: { name?: unknown; digest?: Record<string, unknown> }[]; predicateType?: unknown };
    try {
      const bundle = bundleFromJSON((a as { bundle?: unknown }).bundle);
      if (bundle.content.$case !== 'dsseEnvelope') return { status: 'unverified', reason: `the ${predicateType} attestation is not a DSSE envelope` };
      identity = verifier.verify(toSignedEntity(bundle)).identity;
      statement = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString('utf8'));
    } catch (e) {
      return { status: 'unverified', reason: `the ${predicateType} attestation does not verify: ${e instanceof Error ? e.message : String(e)}` };
    }
    // The envelope is genuine; now it must be about this tarball.
    if (statement.predicateType !== predicateType) return { status: 'unverified', reason: `the ${predicateType} attestation's statement says ${String(statement.predicateType)}` };
    const subj = Array.isArray(statement.subject) ? statement.subject.find((s) => s?.name === subject) : undefined;
    if (!subj) return { status: 'unverified', reason: `the ${predicateType} attestation is about another package (no subject ${subject})` };
    if (subj.digest?.sha512 !== digest) return { status: 'unverified', reason: `the ${predicateType} attestation attests another tarball (sha512 ${String(subj.digest?.sha512).slice(0, 16)}…, the lock pins ${digest.slice(0, 16)}…)` };
    types.push(predicateType);
    if (SLSA.test(predicateType)) provenance = builtFromIdentity(identity);
    else if (predicateType !== NPM_PUBLISH) continue;
  }
  if (!provenance) return { status: 'absent', reason: 'no SLSA provenance among the attestations (only the registry\'s publish attestation)', predicateTypes: types.sort() };
  return { status: 'verified', reason: `built by ${provenance.workflow ?? provenance.repository ?? 'an unnamed builder'}`, builtFrom: provenance, predicateTypes: types.sort() };
}

/**
 * PyPI's PEP 740 provenance (the Integrity API's `/integrity/<project>/<version>/<file>/provenance`): attestation
 * bundles per Trusted Publisher, each attestation a DSSE envelope with a Fulcio certificate and Rekor entries. Each is
 * verified as a Sigstore bundle against the same trusted root, its statement must name this file with the sha256 the
 * lock pins, and the certificate's repository must be the publisher's.
 */
export function verifyPypiProvenance(doc: unknown, p: { filename: string; sha256: string }, trust: TrustMaterial): AttestationResult {
  if (doc === undefined) return { status: 'absent', reason: `the index serves no provenance for ${p.filename}` };
  const bundles = doc && typeof doc === 'object' ? (doc as { attestation_bundles?: unknown }).attestation_bundles : undefined;
  if (!Array.isArray(bundles) || !bundles.length) return { status: 'unverified', reason: 'the provenance document holds no attestation bundle' };
  if (bundles.length > MAX_BUNDLES) return { status: 'unverified', reason: `the provenance document holds ${bundles.length} bundles (more than ${MAX_BUNDLES})` };
  const verifier = new Verifier(trust, { tlogThreshold: 1, ctlogThreshold: 1, tsaThreshold: 0 });
  let built: BuiltFrom | undefined;
  const types: string[] = [];
  for (const b of bundles) {
    const publisher = (b && typeof b === 'object' ? (b as { publisher?: unknown }).publisher : undefined) as { kind?: unknown; repository?: unknown } | undefined;
    const atts = b && typeof b === 'object' ? (b as { attestations?: unknown }).attestations : undefined;
    if (!Array.isArray(atts) || !atts.length || atts.length > MAX_BUNDLES) return { status: 'unverified', reason: 'an attestation bundle holds no (or too many) attestations' };
    for (const a of atts as { envelope?: { statement?: unknown; signature?: unknown }; verification_material?: { certificate?: unknown; transparency_entries?: unknown } }[]) {
      let identity;
      let statement: { subject?: { name?: unknown; digest?: Record<string, unknown> }[]; predicateType?: unknown };
      try {
        const bundle = bundleFromJSON({
          mediaType: 'application/vnd.dev.sigstore.bundle.v0.3+json',
          verificationMaterial: { certificate: { rawBytes: a.verification_material?.certificate }, tlogEntries: a.verification_material?.transparency_entries },
          dsseEnvelope: { payload: a.envelope?.statement, payloadType: 'application/vnd.in-toto+json', signatures: [{ sig: a.envelope?.signature, keyid: '' }] },
        });
        if (bundle.content.$case !== 'dsseEnvelope') throw new Error('not a DSSE envelope');
        identity = verifier.verify(toSignedEntity(bundle)).identity;
        statement = JSON.parse(Buffer.from(bundle.content.dsseEnvelope.payload).toString('utf8'));
      } catch (e) {
        return { status: 'unverified', reason: `an attestation of ${p.filename} does not verify: ${e instanceof Error ? e.message : String(e)}` };
      }
      const subj = Array.isArray(statement.subject) ? statement.subject.find((x) => x?.name === p.filename) : undefined;
      if (!subj) return { status: 'unverified', reason: `an attestation is about another file (no subject ${p.filename})` };
      if (subj.digest?.sha256 !== p.sha256) return { status: 'unverified', reason: `an attestation attests another ${p.filename} (sha256 ${String(subj.digest?.sha256).slice(0, 16)}…, the lock pins ${p.sha256.slice(0, 16)}…)` };
      const from = builtFromIdentity(identity);
      const pubRepo = typeof publisher?.repository === 'string' ? publisher.repository : undefined;
      if (pubRepo && from.repository && from.repository.replace(/^https:\/\/github\.com\//, '').toLowerCase() !== pubRepo.toLowerCase()) {
        return { status: 'unverified', reason: `the publisher says ${pubRepo}, the certificate ${from.repository}` };
      }
      built ??= from;
      if (typeof statement.predicateType === 'string') types.push(statement.predicateType);
    }
  }
  return { status: 'verified', reason: `built by ${built?.workflow ?? built?.repository ?? 'an unnamed builder'}`, ...(built ? { builtFrom: built } : {}), predicateTypes: [...new Set(types)].sort() };
}
