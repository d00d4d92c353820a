import { z } from 'zod';

const UPDATE_TYPES = ['major', 'minor', 'patch', 'prerelease', 'digest', 'pin'] as const;

const packageRule = z
  .object({
    packages: z.array(z.string()).optional().describe('Package, image or action names (globs; PyPI names compared normalised). Absent: every package.'),
    services: z.array(z.string()).optional().describe('Service names (globs). Absent: every service.'),
    ecosystems: z.array(z.enum(['PyPI', 'npm', 'docker', 'github-actions'])).optional().describe('Ecosystems this rule applies to.'),
    updateTypes: z.array(z.enum(UPDATE_TYPES)).optional().describe('Update types this rule applies to.'),
    enabled: z.boolean().optional().describe('false: no updates for what matches (an ignore rule; give a reason).'),
    ignoreVersions: z.string().optional().describe('Versions never proposed, in the ecosystem\'s range syntax (e.g. ">=2" or "<3.0.0 || >=4").'),
    reason: z.string().optional().describe('Why this rule exists: shown in `outdated` and in pull request bodies.'),
    minimumReleaseAgeDays: z.number().min(0).optional().describe('Cooldown for what matches (overrides the global one).'),
    group: z.string().optional().describe('Put every update this rule matches into one change of this name.'),
    labels: z.array(z.string()).optional().describe('Extra labels for the pull request.'),
  })
  .strict();

const family = z
  .object({
    name: z.string().min(1).describe('Name of the family (shown in change titles and rationales).'),
    ecosystem: z.enum(['PyPI', 'npm']).describe('Ecosystem of its packages.'),
    packages: z.array(z.string()).min(1).describe('Package names (globs; PyPI names compared normalised).'),
  })
  .strict();

/** `updates:` section of depwarden.yaml. Every option carries its default and a doc line (.describe). */
export const updatesSection = z
  .object({
    registries: z
      .object({
        pypi: z.url().default('https://pypi.org/pypi').describe('PyPI JSON API base (`<base>/<name>/json`). Poetry sources of a project are asked per their priority.'),
        npm: z.url().default('https://registry.npmjs.org').describe('npm registry (`.npmrc` registries and scopes take precedence).'),
        github: z.url().default('https://api.github.com').describe('GitHub REST API base, for actions\' tags and release notes.'),
        oci: z.record(z.string(), z.url()).default({ 'docker.io': 'https://registry-1.docker.io' }).describe('Image registry host -> base URL (other hosts are reached at https://<host>).'),
        allowHosts: z.array(z.string()).default([]).describe('Extra hosts datasources may reach (token realms, file hosts). The hosts of the URLs above are always allowed.'),
        multiIndex: z
          .array(z.string())
          .default([])
          .describe('PyPI packages that are meant to be published on several of a project\'s indexes by different publishers (e.g. torch on PyPI and download.pytorch.org): the first index that publishes one answers, without DW406. Names compared normalised.'),
      })
      .strict()
      .prefault({})
      .describe('Where versions are looked up. Only these hosts are contacted.'),
    cache: z
      .object({
        maxAgeMinutes: z.number().min(0).default(60).describe('Registry answers younger than this are used without asking again; older ones are revalidated (ETag / Last-Modified).'),
      })
      .strict()
      .prefault({})
      .describe('The on-disk HTTP cache (under $DEPWARDEN_HOME/cache).'),
    concurrency: z.number().int().min(1).max(64).default(8).describe('Registry requests in flight at once.'),
    minimumReleaseAgeDays: z.number().min(0).default(3).describe('Supply-chain cooldown: releases younger than this are not proposed (security fixes exempt).'),
    prereleases: z.boolean().default(false).describe('Propose pre-releases (only ever when the current version is one, if false).'),
    grouping: z
      .enum(['service', 'package', 'none'])
      .default('service')
      .describe('service: all non-major updates of a service in one change; package: one package across all services; none: one change per update. Majors and security fixes always get their own change.'),
    familyGrouping: z
      .boolean()
      .default(true)
      .describe('Plan packages released together (same source repository in the registry, a preset or a `families` entry, a stub package and its package) in one change. Updates tied by npm peer ranges are always planned together.'),
    familyPresets: z.boolean().default(true).describe('Use the built-in family presets (@babel/*, @angular/*, boto3/botocore, ...; see docs/updates.md).'),
    families: z.array(family).default([]).describe('Extra package families that always move together (added to the presets).'),
    rangeStrategy: z
      .enum(['pin', 'replace', 'bump'])
      .default('pin')
      .describe('How a manifest constraint changes: pin (the protocol: write the exact new version), replace (keep a range that admits the new version, else rewrite it keeping its operator), bump (move the range floor to the new version).'),
    schedule: z.string().default('0 5 * * 1').describe('When updates are proposed (cron in `timezone`; default Monday 05:00). Runs outside the window propose only security fixes unless --force. `depwarden serve` runs the update at each tick.'),
    timezone: z
      .string()
      .default('UTC')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'not an IANA time zone (Europe/Paris, America/New_York, UTC)')
      .describe('IANA time zone `schedule` is read in.'),
    scheduleWindowHours: z.number().int().min(1).default(24).describe('A run within this many hours after a schedule tick counts as on schedule.'),
    maxOpenChanges: z.number().int().min(0).default(10).describe('Open update changes at most (security fixes exempt). Filled in priority order: merge-after-tests changes before majors.'),
    maxChangesPerRun: z.number().int().min(0).optional().describe('New update changes one run may propose at most (security fixes exempt); no limit when absent.'),
    rules: z.array(packageRule).default([]).describe('Package rules, applied in order (later rules override earlier ones).'),
    changelog: z.string().default('docs/dependency-changelog.md').describe('File the changelog entry of every change is prepended to.'),
    branchPrefix: z.string().default('depwarden/').describe('Prefix of update branches.'),
    labels: z.array(z.string()).default(['dependencies']).describe('Labels of every update pull request.'),
    transitiveFix: z
      .enum(['override', 'bump', 'lock-only'])
      .default('override')
      .describe('A security fix of a transitive package is a lock-only update within the declared ranges; when the ranges forbid it, override: force it with an npm `overrides` entry / a Poetry constraint (explained in the PR body); bump: move each direct dependency that holds it back to its smallest release whose range admits the fix (npm; falls back to the override where no release does); lock-only: fail the change and say which package holds it back.'),
    verify: z.boolean().default(true).describe('Run check and conflicts on the result; an update that adds an error is abandoned and the tree restored.'),
  })
  .strict()
  .describe('The update engine: registries, policy, schedule and publishing.');

export type UpdatesConfig = z.infer<typeof updatesSection>;
export type PackageRule = z.infer<typeof packageRule>;
