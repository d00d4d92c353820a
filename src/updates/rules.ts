import type { Finding } from '../model/finding.ts';
import type { RuleInfo } from '../model/rule.ts';
import type { OutdatedEntry } from '../model/update.ts';
import type { LookupFailure } from './lookup.ts';

/** Update rules (issue 6): what `outdated` reports in SARIF and JSON finding form. */
export const UPDATE_RULES: RuleInfo[] = [
  {
    id: 'DW401',
    title: 'Dependency has an update the policy allows',
    defaultSeverity: 'info',
    description: 'A newer version (or a digest/SHA pin) is available and allowed by the update policy (cooldown, ignore rules, update types).',
    hint: 'Run `depwarden update` to propose it, or wait for the weekly run.',
  },
  {
    id: 'DW402',
    title: 'Version in use was yanked',
    defaultSeverity: 'high',
    description: 'The registry marks the version in use as yanked (withdrawn by its maintainers, often for a serious bug).',
    hint: 'Update to the version the report names, or pin a non-yanked one.',
  },
  {
    id: 'DW403',
    title: 'Version in use is deprecated',
    defaultSeverity: 'medium',
    description: 'The registry marks the version in use as deprecated (npm `deprecated`).',
    hint: 'Read the deprecation message; update or replace the package.',
  },
  {
    id: 'DW404',
    title: 'Registry lookup failed',
    defaultSeverity: 'medium',
    description: 'The registry could not be asked (after retries), so nothing is known about updates of this dependency: never read as "up to date".',
    hint: 'Check the registry URL, credentials and `updates.registries` in depwarden.yaml, then run again.',
  },
  {
    id: 'DW405',
    title: 'Package found only on another index than its lock records (dependency confusion)',
    defaultSeverity: 'critical',
    description:
      'The lock records the index or registry a package came from (poetry.lock `[package.source]`, package-lock `resolved`, the file hashes of a hashed requirements file), but among the indexes the project declares now the package is found only elsewhere, or with none of the pinned files — typically a public registry holding a package with the name of a private one. No update is proposed from it.',
    hint: 'Find out who published the other package. Declare the private index again (Poetry source, `--index-url`, `.npmrc` scope) or, if the move is intended, relock from the new index by hand after checking it.',
  },
  {
    id: 'DW406',
    title: 'Package published on several declared indexes by different owners',
    defaultSeverity: 'high',
    description:
      'Several of the indexes a project declares (Poetry primary sources, `--index-url` with `--extra-index-url`, pip.conf) publish the package without one file in common, so they are not mirrors of each other. pip and Poetry merge versions across these indexes, so the highest version of either could be installed. No update is proposed until one index is named for it.',
    hint: 'Name the index the package must come from: a Poetry `source = "…"` (with an explicit source), or keep only that index for the requirements file.',
  },
];

export function outdatedFindings(entries: OutdatedEntry[], failures: LookupFailure[]): Finding[] {
  const out: Finding[] = [];
  for (const e of entries) {
    const subject = e.name;
    const base = { location: e.span, service: e.service, subject };
    if (e.updateType && e.allowed)
      out.push({
        ruleId: 'DW401',
        severity: 'info',
        message: `${e.name} ${e.current ?? e.declared} -> ${e.allowed}${e.digest ? ` (${e.digest.slice(0, 19)})` : ''} (${e.updateType})${e.latest && e.latest !== e.allowed ? `; latest ${e.latest}` : ''}`,
        ...(e.note ? { detail: e.note } : {}),
        ...base,
        properties: { updateType: e.updateType, allowed: e.allowed, ...(e.latest ? { latest: e.latest } : {}), ...(e.current ? { current: e.current } : {}) },
      });
    if (e.currentYanked) out.push({ ruleId: 'DW402', severity: 'high', message: `${e.name} ${e.current} was yanked from its registry`, ...base });
    if (e.currentDeprecated) out.push({ ruleId: 'DW403', severity: 'medium', message: `${e.name} ${e.current} is deprecated: ${e.currentDeprecated}`, ...base });
  }
  for (const f of failures) out.push({ ruleId: f.ruleId ?? 'DW404', severity: f.severity ?? 'medium', message: `${f.name}: ${f.message}`, location: { file: f.file, line: 1, column: 1 }, service: f.service, subject: f.name });
  return out;
}
