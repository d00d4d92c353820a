import type { AttestationResult } from './attestations.ts';
import type { SignatureResult } from './npm-signatures.ts';

/** What `provenance` concluded about one locked package version (the JSON report's `packages`, the cache's value). */
export interface PackageProvenance {
  ecosystem: 'npm' | 'PyPI';
  name: string;
  version: string;
  /** The registry or index base URL asked (credentials removed). */
  registry: string;
  /** The hashes the lock pins ("sha512-…" SRI for npm, "sha256:<hex>" for PyPI), sorted. */
  hashes: string[];
  integrity: {
    status: 'verified' | 'mismatch' | 'unverifiable' | 'unknown';
    reason: string;
    /** Lock hashes the registry does not publish for this version (status mismatch). */
    unmatched?: string[];
  };
  signature?: SignatureResult;
  attestation?: AttestationResult;
}
