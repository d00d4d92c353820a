import type { RuleInfo } from '../model/rule.ts';

/** Provenance rules (issue 17): `depwarden provenance`, and `check` from its cache. */
export const PROVENANCE_RULES: RuleInfo[] = [
  {
    id: 'DW302',
    title: 'Lock hash does not match the registry',
    defaultSeverity: 'critical',
    description:
      "A hash the lock pins for a package version is not one the registry publishes for that exact version (npm `dist.integrity`/`shasum`; PyPI files' sha256 from the JSON or simple API, where every hash of the lock must belong to a published file). Either the lock was tampered with or the registry now serves another artifact under the same version (a republished or hijacked package). Installing fails at best; at worst it installs what the attacker chose.",
    hint: 'Do not relock blindly: find out which side changed (the lock in git history, the registry upload times), then relock from a trusted index.',
  },
  {
    id: 'DW303',
    title: 'Lock entry cannot be verified',
    defaultSeverity: 'low',
    description: 'A locked package carries no hash (or only one the registry does not publish an algorithm for), so what is installed cannot be compared with what the registry published.',
    hint: 'Relock with hashes (Poetry and npm record them; for requirements files use `pip-compile --generate-hashes` or `depwarden export`).',
  },
  {
    id: 'DW304',
    title: 'Registry signature or attestation does not verify',
    defaultSeverity: 'high',
    description:
      'The registry serves a signature (ECDSA over `name@version:integrity`) or a Sigstore provenance bundle for the locked version that does not verify: a signature by an unknown or expired key, a bad signature, a certificate that does not chain to the trusted root, a bundle about another package or tarball, an oversized or malformed document. Reported with the reason; never counted as verified.',
    hint: 'Compare with `npm audit signatures`; if the trusted root is older than the bundle, update it (docs/provenance.md); otherwise treat the package as suspect.',
  },
  {
    id: 'DW305',
    title: 'Required provenance missing',
    defaultSeverity: 'high',
    description: 'depwarden.yaml `provenance.require` names the package, and the locked version has no verified provenance attestation.',
    hint: 'Lock a version published with provenance (npm publish --provenance from CI), or remove the package from `provenance.require`.',
  },
  {
    id: 'DW306',
    title: 'Built from an unexpected repository',
    defaultSeverity: 'critical',
    description: 'The verified provenance of the locked version names another source repository than `provenance.repositories` pins for the package: the package was built elsewhere than it used to be (a takeover, a fork published under the old name).',
    hint: 'Check who publishes the package now; if the move is legitimate, update `provenance.repositories`.',
  },
  {
    id: 'DW307',
    title: 'Provenance unknown',
    defaultSeverity: 'medium',
    description: 'The registry could not be asked (unreachable, refused, offline without a cached answer) or does not list the locked version, so integrity and provenance are unknown for this package.',
    hint: 'Run `depwarden provenance` again with the registry reachable; a version the registry does not list was unpublished or comes from another index.',
  },
  {
    id: 'DW308',
    title: 'Pinned image digest no longer served',
    defaultSeverity: 'high',
    description: 'A digest-pinned image (`image@sha256:…`) names a manifest its registry no longer serves (HEAD answers 404): builds and deployments that pull it will fail, and the digest cannot be checked against anything.',
    hint: 'Re-pin the image to a digest the registry serves (`depwarden update` proposes one).',
  },
];
