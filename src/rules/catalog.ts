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
    description:
      'Every direct dependency is declared with one exact version (==1.2.3, "1.2.3"), so builds are reproducible from the manifest alone. One finding per manifest lists its unpinned dependencies (`properties.dependencies`, `locked`, `notLocked`; every one in `detail`). Severity: medium when the manifest\'s lock holds an exact, hashed version of every one of them (the install is reproducible, the manifest does not say so); high when any of them is pinned by nothing: no lock, a dependency the lock does not hold, or a locked version without a hash. Never for dependencies that cannot be pinned by a version: path, workspace, `link:`/`file:`, editable (`-e`), URL artifacts, git at a full commit SHA, and peer ranges. A pip-compile `.in` is checked against its compiled `.txt` as its lock. `depwarden check --fix` writes the locked versions into the manifest.',
    hint: 'Replace the range with the exact version the lock holds (e.g. requests = "2.32.3"); `depwarden check --fix` writes the versions the lock holds.',
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
    description: 'The version in the lock does not satisfy the constraint the manifest declares, so an install would not do what the manifest says. For uv, an `override-dependencies` entry replaces the declared constraint, and a root `constraint-dependencies` entry must be met too.',
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
  {
    id: 'DW012',
    title: 'Dependency file not covered',
    defaultSeverity: 'high',
    description: "A lock or manifest of a tool depwarden does not read (uv.lock, pdm.lock, Pipfile.lock, pnpm-lock.yaml, yarn.lock, bun.lock, go.mod, Cargo.toml, Gemfile, setup.py, ...). Its packages are not checked, not audited and not in the SBOM, so the file is reported instead of being counted as locked; `audit` says its result excludes it and `sbom` marks its documents incomplete (CycloneDX `compositions` aggregate `incomplete`, an SPDX document comment).",
    hint: 'Keep a lock depwarden reads beside it (poetry.lock, package-lock.json, a compiled requirements.txt), or, when you accept the gap, turn the rule off for that path (`rules: { DW012: { enabled: false, paths: [...] } }`).',
  },
  {
    id: 'DW013',
    title: 'Path skipped during discovery',
    defaultSeverity: 'high',
    description: 'A folder or dependency file the walk could not follow: a name that is not valid UTF-8, a symlinked dependency file that points outside the repository or nowhere, or an unreadable folder (symlinked folders are not followed, as git does not). Whatever it holds (a whole service) is missing from every result.',
    hint: 'Rename the path to valid UTF-8, replace the symlink by the file itself, or fix its permissions; or ignore it in depwarden.yaml (`ignore:`).',
  },
];
