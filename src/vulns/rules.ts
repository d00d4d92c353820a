import type { RuleInfo } from '../model/rule.ts';

/** Vulnerability rules (issue 4). */
export const VULN_RULES: RuleInfo[] = [
  {
    id: 'DW201',
    title: 'Locked package has a known vulnerability',
    defaultSeverity: 'high',
    description: 'A locked version is affected by an OSV advisory (aliases merged into one finding); severity from CVSS v4/v3/v2, else the database, else medium.',
    hint: 'Upgrade to the version the finding names (the smallest that fixes every advisory of the package), or record a triage decision in .depwarden/vex.yaml.',
  },
  {
    id: 'DW202',
    title: 'Vulnerability triage expired',
    defaultSeverity: 'medium',
    description: 'A triage decision (not affected, false positive, resolved) passed its expiry date, so the finding is back until someone reviews it.',
    hint: 'Renew the decision with a new reason and expiry, or fix the vulnerability.',
  },
  {
    id: 'DW203',
    title: 'Advisory cannot be evaluated for this version',
    defaultSeverity: 'low',
    description: 'The advisory names the package but gives only git commit ranges, or version strings that do not parse: depwarden cannot say the version is safe.',
    hint: 'Review the advisory by hand and record the outcome in .depwarden/vex.yaml.',
  },
  {
    id: 'DW204',
    title: 'Advisory database does not cover an ecosystem of the locks',
    defaultSeverity: 'high',
    description: 'The scanned lock files hold packages of an ecosystem (PyPI, npm) of which the advisory database has no advisories, so none of them was checked: "no findings" would be false comfort.',
    hint: 'Sync or import that ecosystem: `depwarden db sync` with it in vulns.ecosystems, or `depwarden db import <its all.zip>`.',
  },
  {
    id: 'DW205',
    title: 'Advisory data is stale',
    defaultSeverity: 'medium',
    description: "An ecosystem's newest advisory in the database is older than vulns.maxDatabaseAgeDays (default 7): advisories published since are missing. Age is measured from the data (newest `modified`), not from when it was imported.",
    hint: 'Run `depwarden db sync`, or import a current export; raise vulns.maxDatabaseAgeDays for an ecosystem that rarely changes.',
  },
];
