import type { Config } from '../config/schema.ts';
import { DEFAULT_MAX_DATABASE_AGE_DAYS } from '../config/sections/vulns.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import type { DbMeta } from './store.ts';

const DAY_MS = 86_400_000;

/** vulns.maxDatabaseAgeDays (a configuration loaded from the generated defaults file may predate the key). */
export const maxDatabaseAgeDays = (config: Config): number => config.vulns.maxDatabaseAgeDays ?? DEFAULT_MAX_DATABASE_AGE_DAYS;

/** Ecosystems of the locked packages the audit matches, with their lock files and package counts. */
export function auditedEcosystems(inv: Inventory): Map<string, { files: Set<string>; packages: number }> {
  const out = new Map<string, { files: Set<string>; packages: number }>();
  for (const s of inv.services) {
    for (const pkg of s.locked) {
      if (pkg.ecosystem !== 'PyPI' && pkg.ecosystem !== 'npm') continue;
      if (pkg.link || pkg.workspace || pkg.source?.type === 'directory') continue;
      let e = out.get(pkg.ecosystem);
      if (!e) out.set(pkg.ecosystem, (e = { files: new Set(), packages: 0 }));
      e.files.add(pkg.span.file);
      e.packages++;
    }
  }
  return out;
}

/**
 * What the database cannot vouch for, as findings: an ecosystem of the scanned locks it holds no advisories of
 * (DW204: those packages were not checked at all), and an ecosystem whose newest advisory is older than
 * `maxAgeDays` (DW205). Age is measured on the data's own clock (newest `modified`), so neither an old archive
 * imported today nor a mirror that stopped updating looks fresh.
 */
export function databaseFindings(inv: Inventory, meta: DbMeta, now: Date, maxAgeDays: number): Finding[] {
  const out: Finding[] = [];
  for (const [eco, used] of [...auditedEcosystems(inv)].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const files = [...used.files].sort();
    const location = { file: files[0]!, line: 1, column: 1 };
    const where = `${used.packages} locked package${used.packages === 1 ? '' : 's'} in ${files.length} lock file${files.length === 1 ? '' : 's'}`;
    const m = meta.ecosystems[eco];
    if (!m || m.advisories === 0) {
      out.push({
        ruleId: 'DW204',
        severity: 'high',
        message: `the advisory database has no ${eco} advisories: ${where} were not checked for vulnerabilities`,
        hint: `Add ${eco} to the database: \`depwarden db sync\` (with ${eco} in vulns.ecosystems) or \`depwarden db import <${eco} all.zip>\`.`,
        detail: `lock files: ${files.join(', ')}`,
        location,
        subject: eco,
        properties: { ecosystem: eco, lockFiles: files, packages: used.packages },
      });
      continue;
    }
    const newest = Date.parse(m.lastModified);
    const ageDays = Number.isNaN(newest) ? Number.POSITIVE_INFINITY : (now.getTime() - newest) / DAY_MS;
    if (ageDays > maxAgeDays) {
      const age = Number.isFinite(ageDays) ? `${Math.floor(ageDays)} days old` : 'of unknown age';
      out.push({
        ruleId: 'DW205',
        severity: 'medium',
        message: `the advisory database's ${eco} advisories are ${age} (newest modified ${m.lastModified || 'unknown'}; limit ${maxAgeDays} days): vulnerabilities published since are not checked`,
        hint: `Run \`depwarden db sync\`, or import a current ${eco} export; vulns.maxDatabaseAgeDays sets the limit.`,
        detail: `lock files: ${files.join(', ')}`,
        location,
        subject: eco,
        properties: { ecosystem: eco, newestModified: m.lastModified, ...(Number.isFinite(ageDays) ? { ageDays: Math.floor(ageDays) } : {}), maxAgeDays },
      });
    }
  }
  return out;
}

