import { z } from 'zod';

/** `provenance:` section of depwarden.yaml (issue 17). */
export const provenanceSection = z
  .object({
    require: z
      .array(z.string().min(1))
      .default([])
      .describe('Packages (npm names; a trailing `*` matches a prefix, e.g. `@acme/*`) that must carry verified provenance attestations: a locked version without one is a finding (DW305).'),
    repositories: z
      .record(z.string().min(1), z.string().min(1))
      .default({})
      .describe('Package → the source repository its attestation must name (`https://github.com/owner/repo`, or `owner/repo`): a version built from another repository is a finding (DW306), the case `npm audit signatures` does not check.'),
    trustedRoot: z
      .string()
      .optional()
      .describe('A Sigstore trusted_root.json to verify attestations against, relative to the repository root (default: the root shipped with depwarden, src/provenance/trusted-root.json; see docs/provenance.md for updating it).'),
    signatures: z.boolean().default(true).describe('Verify npm registry signatures (ECDSA, keys from the registry\'s /-/npm/v1/keys).'),
    attestations: z.boolean().default(true).describe('Fetch and verify npm provenance attestations (Sigstore bundles).'),
    images: z.boolean().default(true).describe('Ask each registry whether it still serves the digest a digest-pinned image names (an OCI HEAD).'),
  })
  .strict()
  .describe('Supply-chain provenance (`depwarden provenance`): which packages must be attested and from which repository, and the Sigstore trusted root.');
