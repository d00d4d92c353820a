import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { TrustedRoot } from '@sigstore/protobuf-specs';
import { loadTrustedRoot, trustMaterial, verifyNpmAttestations } from '../../src/provenance/attestations.ts';
import { parseRegistryKeys, verifyNpmSignatures } from '../../src/provenance/npm-signatures.ts';

// Real registry responses (test/fixtures/provenance/SOURCE) and tampered copies made here, one change each.
const FIX = path.join(import.meta.dirname, '../fixtures/provenance');
const json = (f: string): any => JSON.parse(readFileSync(path.join(FIX, f), 'utf8'));
const KEYS = parseRegistryKeys(json('npm-registry-keys.json'));
const SIGNED: Record<string, { integrity: string; signatures: { keyid: string; sig: string }[] }> = json('npm-signed-versions.json');
const split = (id: string): { name: string; version: string } => ({ name: id.slice(0, id.lastIndexOf('@')), version: id.slice(id.lastIndexOf('@') + 1) });

test('npm registry signatures: the real ones verify; any one change does not', () => {
  assert.equal(KEYS.length, 1);
  for (const [id, v] of Object.entries(SIGNED)) {
    const r = verifyNpmSignatures({ ...split(id), integrity: v.integrity, signatures: v.signatures }, KEYS);
    assert.equal(r.status, 'verified', `${id}: ${r.reason}`);
  }
  const kms = SIGNED['kms-demo@1.0.0']!;
  const base = { name: 'kms-demo', version: '1.0.0', integrity: kms.integrity, signatures: kms.signatures };
  const flipped = Buffer.from(kms.signatures[0]!.sig, 'base64');
  flipped[flipped.length - 3]! ^= 1;
  const cases: [string, Parameters<typeof verifyNpmSignatures>[0], RegExp][] = [
    ['another version', { ...base, version: '1.0.1' }, /does not match/],
    ['another integrity', { ...base, integrity: SIGNED['tuf-js@1.0.0']!.integrity }, /does not match/],
    ['a flipped bit', { ...base, signatures: [{ keyid: kms.signatures[0]!.keyid, sig: flipped.toString('base64') }] }, /does not match|cannot be read/],
    ['an unknown key', { ...base, signatures: [{ keyid: 'SHA256:unknown', sig: kms.signatures[0]!.sig }] }, /does not publish/],
    ['garbage', { ...base, signatures: [{ keyid: kms.signatures[0]!.keyid, sig: 'bogus' }] }, /does not match|cannot be read/],
    ['an oversized signature', { ...base, signatures: [{ keyid: kms.signatures[0]!.keyid, sig: 'A'.repeat(5000) }] }, /no keyid or sig/],
    ['a non-object entry', { ...base, signatures: ['x'] }, /not an object/],
  ];
  for (const [what, input, why] of cases) {
    const r = verifyNpmSignatures(input, KEYS);
    assert.equal(r.status, 'unverified', what);
    assert.match(r.reason, why, what);
  }
  assert.equal(verifyNpmSignatures({ ...base, signatures: [] }, KEYS).status, 'unsigned');
  assert.equal(verifyNpmSignatures({ ...base, signatures: undefined }, KEYS).status, 'unsigned');
});

test('npm registry signatures: a key counts for versions published before it expired, not after', () => {
  const kms = SIGNED['kms-demo@1.0.0']!;
  const expired = KEYS.map((k) => ({ ...k, expires: '2023-01-01T00:00:00.000Z' }));
  const p = { name: 'kms-demo', version: '1.0.0', integrity: kms.integrity, signatures: kms.signatures };
  assert.equal(verifyNpmSignatures({ ...p, publishedAt: '2022-06-01T00:00:00.000Z' }, expired).status, 'verified');
  const after = verifyNpmSignatures({ ...p, publishedAt: '2023-06-01T00:00:00.000Z' }, expired);
  assert.equal(after.status, 'unverified');
  assert.match(after.reason, /expired 2023-01-01/);
  assert.equal(verifyNpmSignatures(p, expired).status, 'unverified', 'publish time unknown: not verified');
  assert.deepEqual(parseRegistryKeys({ keys: [{ keyid: 1 }, null, { keyid: 'k', key: 'x', expires: 5 }] }), []);
  assert.deepEqual(parseRegistryKeys('<html>'), []);
});

const ROOT = loadTrustedRoot();
const TRUST = trustMaterial(ROOT, KEYS);
const SIGSTORE = { name: 'sigstore', version: '1.0.0', integrity: SIGNED['sigstore@1.0.0']!.integrity };

test('npm provenance: the real Sigstore bundles verify offline and name who built the package', () => {
  const r = verifyNpmAttestations(json('npm-sigstore-1.0.0-attestations.json'), SIGSTORE, TRUST);
  assert.equal(r.status, 'verified', r.reason);
  assert.deepEqual(r.builtFrom, {
    repository: 'https://github.com/sigstore/sigstore-js',
    workflow: 'https://github.com/sigstore/sigstore-js/.github/workflows/publish.yml@refs/tags/v1.0.0',
    commit: '06528997c3c8ab9f864fad9a3658446aca7fd86d',
    ref: 'refs/tags/v1.0.0',
    issuer: 'https://token.actions.githubusercontent.com',
  });
  assert.deepEqual(r.predicateTypes, ['https://github.com/npm/attestation/tree/main/specs/publish/v0.1', 'https://slsa.dev/provenance/v0.2']);
  const t = verifyNpmAttestations(json('npm-tuf-js-1.0.0-attestations.json'), { name: 'tuf-js', version: '1.0.0', integrity: SIGNED['tuf-js@1.0.0']!.integrity }, TRUST);
  assert.equal(t.status, 'verified', t.reason);
  assert.equal(t.builtFrom?.repository, 'https://github.com/theupdateframework/tuf-js');
});

test('npm provenance: tampered, misdirected, oversized or untrusted bundles are unverified with the reason, never verified', () => {
  const real = json('npm-sigstore-1.0.0-attestations.json');
  const slsa = (doc: any) => doc.attestations.find((a: any) => a.predicateType.includes('slsa'));
  const mutate = (f: (doc: any) => void): unknown => {
    const d = structuredClone(real);
    f(d);
    return d;
  };
  const cases: [string, unknown, typeof SIGSTORE, RegExp, typeof TRUST?][] = [
    ['payload changed', mutate((d) => {
      const a = slsa(d);
      const st = JSON.parse(Buffer.from(a.bundle.dsseEnvelope.payload, 'base64').toString());
      st.predicate.invocation.configSource.uri = 'git+https://github.com/evil/fork@refs/heads/main';
      a.bundle.dsseEnvelope.payload = Buffer.from(JSON.stringify(st)).toString('base64');
    }), SIGSTORE, /does not verify/],
    ['signature swapped', mutate((d) => {
      const a = slsa(d);
      const pub = d.attestations.find((x: any) => !x.predicateType.includes('slsa'));
      a.bundle.dsseEnvelope.signatures = pub.bundle.dsseEnvelope.signatures;
    }), SIGSTORE, /does not verify/],
    ['certificate from another package', mutate((d) => {
      const other = json('npm-tuf-js-1.0.0-attestations.json');
      slsa(d).bundle.verificationMaterial.x509CertificateChain = slsa(other).bundle.verificationMaterial.x509CertificateChain;
    }), SIGSTORE, /does not verify/],
    ['another package', real, { ...SIGSTORE, name: 'sigstore-evil' }, /another package/],
    ['another tarball', real, { ...SIGSTORE, integrity: SIGNED['kms-demo@1.0.0']!.integrity }, /another tarball/],
    ['not JSON of a bundle', { attestations: [{ predicateType: 'https://slsa.dev/provenance/v0.2', bundle: 'x' }] }, SIGSTORE, /does not verify/],
    ['no attestations', { attestations: [] }, SIGSTORE, /holds no attestation/],
    ['too many bundles', { attestations: Array.from({ length: 50 }, () => slsa(real)) }, SIGSTORE, /more than 8/],
    ['a trusted root without the Fulcio CA', real, SIGSTORE, /does not verify/, trustMaterial(TrustedRoot.fromJSON({ ...TrustedRoot.toJSON(ROOT) as object, certificateAuthorities: [] }), KEYS)],
    ['a trusted root without the Rekor log', real, SIGSTORE, /does not verify/, trustMaterial(TrustedRoot.fromJSON({ ...TrustedRoot.toJSON(ROOT) as object, tlogs: [] }), KEYS)],
  ];
  for (const [what, doc, p, why, trust] of cases) {
    const r = verifyNpmAttestations(doc, p, trust ?? TRUST);
    assert.equal(r.status, 'unverified', `${what}: ${r.reason}`);
    assert.match(r.reason, why, what);
  }
  assert.equal(verifyNpmAttestations(undefined, SIGSTORE, TRUST).status, 'absent');
});

test('PyPI PEP 740 provenance: the real Integrity API answer verifies offline; tampered copies do not', async () => {
  const { verifyPypiProvenance } = await import('../../src/provenance/attestations.ts');
  const doc = json('pypi-pypi_attestations-0.0.19.tar.gz.provenance.json');
  const file = { filename: 'pypi_attestations-0.0.19.tar.gz', sha256: '9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3' };
  const trust = trustMaterial(ROOT);
  const r = verifyPypiProvenance(doc, file, trust);
  assert.equal(r.status, 'verified', r.reason);
  assert.equal(r.builtFrom?.repository, 'https://github.com/trailofbits/pypi-attestations');
  assert.equal(r.builtFrom?.workflow, 'https://github.com/trailofbits/pypi-attestations/.github/workflows/release.yml@refs/tags/v0.0.19');
  assert.deepEqual(r.predicateTypes, ['https://docs.pypi.org/attestations/publish/v1']);
  const mutate = (f: (d: any) => void): unknown => {
    const d = structuredClone(doc);
    f(d);
    return d;
  };
  const cases: [string, unknown, typeof file, RegExp][] = [
    ['another file hash', doc, { ...file, sha256: 'a'.repeat(64) }, /attests another/],
    ['another file', doc, { ...file, filename: 'pypi_attestations-0.0.19-py3-none-any.whl' }, /another file/],
    ['statement edited', mutate((d) => {
      const a = d.attestation_bundles[0].attestations[0];
      const st = JSON.parse(Buffer.from(a.envelope.statement, 'base64').toString());
      st.subject[0].digest.sha256 = 'a'.repeat(64);
      a.envelope.statement = Buffer.from(JSON.stringify(st)).toString('base64');
    }), { ...file, sha256: 'a'.repeat(64) }, /does not verify/],
    ['publisher says another repository', mutate((d) => (d.attestation_bundles[0].publisher.repository = 'evil/pypi-attestations')), file, /publisher says evil/],
    ['no bundles', { attestation_bundles: [] }, file, /no attestation bundle/],
    ['garbage certificate', mutate((d) => (d.attestation_bundles[0].attestations[0].verification_material.certificate = 'AAAA')), file, /does not verify/],
  ];
  for (const [what, d, f, why] of cases) {
    const x = verifyPypiProvenance(d, f, trust);
    assert.equal(x.status, 'unverified', `${what}: ${x.reason}`);
    assert.match(x.reason, why, what);
  }
  assert.equal(verifyPypiProvenance(undefined, file, trust).status, 'absent');
});
