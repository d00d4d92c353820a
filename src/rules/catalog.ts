import type { RuleInfo } from '../model/rule.ts';

/** The protocol's pinning and lock rules (issue 2). Ids are stable and never reused. */
export const FOUNDATION_RULES: RuleInfo[] = [
  {
    id: 'DW000',
    title: 'File cannot be parsed',
    defaultSeverity: 'high',
    description: 'A manifest, lock, Dockerfile, compose file or workflow could not be read; the rest of the run goes on without it.',
    hint: 'Fix the syntax error at the reported line and column.',
  },
  {
    id: 'DW001',
    title: 'Direct dependency not pinned exactly',
    defaultSeverity: 'high',
    description: 'Every direct dependency is declared with one exact version (==1.2.3, "1.2.3"), so builds are reproducible from the manifest alone.',
    hint: 'Replace the range with the exact version the lock holds (e.g. requests = "2.32.3").',
  },
  {
    id: 'DW002',
    title: 'Lock file missing',
    defaultSeverity: 'high',
    description: 'A manifest that declares dependencies has no lock file (poetry.lock, package-lock.json, compiled requirements).',
    hint: 'Generate and commit the lock: `poetry lock`, `npm install --package-lock-only`, or `pip-compile --generate-hashes`.',
  },
  {
    id: 'DW003',
    title: 'Lock out of date with its manifest',
    defaultSeverity: 'high',
    description: "The lock no longer matches the manifest: Poetry's content-hash differs, package-lock's root entry disagrees with package.json, or a compiled/exported requirements file disagrees with its source.",
    hint: 'Relock (`poetry lock`, `npm install --package-lock-only`, `pip-compile`) and commit the result.',
  },
  {
    id: 'DW004',
    title: 'Direct constraint not satisfied by the locked version',
    defaultSeverity: 'high',
    description: 'The version in the lock does not satisfy the constraint the manifest declares, so an install would not do what the manifest says.',
    hint: 'Relock, or change the constraint to the version you mean to run.',
  },
  {
    id: 'DW005',
    title: 'Locked package without hashes',
    defaultSeverity: 'medium',
    description: 'A locked package has no artifact hash (file hashes, npm integrity, --hash), so a tampered artifact would install unnoticed.',
    hint: 'Relock with a tool version that records hashes (`pip-compile --generate-hashes`, a current Poetry or npm).',
  },
  {
    id: 'DW006',
    title: 'Image not pinned by digest',
    defaultSeverity: 'medium',
    description: 'A base or service image is referenced by tag only; tags move, digests do not.',
    hint: 'Append the digest: `python:3.12-slim@sha256:<digest>` (keep the tag for readers).',
  },
  {
    id: 'DW007',
    title: 'Image uses latest or no tag',
    defaultSeverity: 'high',
    description: 'An image is referenced as `latest` or without any tag or digest: what runs changes whenever the image is pushed.',
    hint: 'Pin an explicit version tag and its digest.',
  },
  {
    id: 'DW008',
    title: 'Action not pinned to a commit SHA',
    defaultSeverity: 'high',
    description: 'A GitHub Action or reusable workflow is referenced by tag or branch; only a full 40-hex commit SHA is immutable.',
    hint: 'Use `owner/repo@<40-hex sha> # vX.Y.Z`.',
  },
  {
    id: 'DW009',
    title: 'Action SHA with contradicting version comments',
    defaultSeverity: 'medium',
    description: 'The same action commit SHA carries different `# vX` comments in different places, so at least one comment lies about what runs.',
    hint: 'Make the comments agree with the tag that actually points at the SHA.',
  },
  {
    id: 'DW010',
    title: 'Dockerfile installs outside the lock',
    defaultSeverity: 'medium',
    description: 'A RUN line installs packages without exact versions or bypasses the lock (pip install <pkg>, npm install, apt-get install <pkg> without =version).',
    hint: 'Install from the lock (`pip install --require-hashes -r requirements.txt`, `npm ci`, `poetry install --no-root`) and pin system packages (`pkg=1.2-3`).',
  },
  {
    id: 'DW011',
    title: 'Requirements include missing',
    defaultSeverity: 'high',
    description: 'A requirements file includes (-r) or constrains (-c) a file that does not exist in the repository.',
    hint: 'Fix the path (it is relative to the including file) or add the missing file.',
  },
];
