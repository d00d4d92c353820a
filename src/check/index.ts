import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { runFoundationRules } from '../rules/index.ts';

export interface CheckEnv {
  env: NodeJS.ProcessEnv;
  /** "now" for expiry decisions (SOURCE_DATE_EPOCH or the clock). */
  now: Date;
  /** A line for the user that is not a finding (e.g. "no advisory database: vulnerabilities not checked"). */
  note(line: string): void;
}

/**
 * `depwarden check`: every capability's findings over one shared inventory (parsed once).
 * Each capability contributes through its own analysis function; check only gathers.
 */
export async function collectCheckFindings(inv: Inventory, config: Config, ce: CheckEnv): Promise<Finding[]> {
  const out = [...runFoundationRules(inv, config)];
  // Appended in loops: a capability may return a finding per package of a 125k-package lock (no spread arguments).
  const add = (list: Finding[]): void => {
    for (const f of list) out.push(f);
  };
  add((await import('../conflicts/index.ts')).analyzeConflicts(inv, config));
  add((await import('../export/stale.ts')).staleExportFindings(inv, config));
  add(await cachedProvenance(inv, config, ce));
  add(await vulnerabilityFindings(inv, config, ce));
  add(await overdueReviews(inv, ce));
  add((await import('../licenses/policy.ts')).licenseFindings(inv, config, ce.now));
  return out;
}

/**
 * Provenance verdicts `depwarden provenance` left in its cache (check asks no registry); packages without one are
 * counted in a note, so an unchecked lock is never mistaken for a verified one.
 */
async function cachedProvenance(inv: Inventory, config: Config, ce: CheckEnv): Promise<Finding[]> {
  const path = await import('node:path');
  const { depwardenHome } = await import('../util/home.ts');
  const { ProvenanceCache } = await import('../provenance/cache.ts');
  const cache = new ProvenanceCache(path.join(depwardenHome(ce.env), 'cache', 'provenance'));
  const note = (n: number): void => {
    if (n) ce.note(`provenance not checked for ${n} locked package version${n === 1 ? '' : 's'} (run \`depwarden provenance\`)`);
  };
  // No verdict cached yet: only the count is needed, and the verifier (registry clients, Sigstore types) stays unloaded.
  if (!cache.size) {
    note((await import('../provenance/targets.ts')).countTargets(inv, config, ce.env));
    return [];
  }
  const { runProvenance } = await import('../provenance/verify.ts');
  const run = await runProvenance(inv, { config, cache, env: ce.env });
  note(run.notChecked);
  return run.findings;
}

/** Overdue post-update reviews, when the repository has a governance store (or DATABASE_URL names one). */
async function overdueReviews(inv: Inventory, ce: CheckEnv): Promise<Finding[]> {
  const { existsSync } = await import('node:fs');
  const { openRepositoryStore, readStoreSummary, repositoryStoreDir } = await import('../store/store.ts');
  if (!ce.env.DATABASE_URL && !existsSync(repositoryStoreDir(inv.root))) return [];
  // The embedded store's summary says whether anything can be overdue: the database is started only then.
  const summary = ce.env.DATABASE_URL ? undefined : readStoreSummary(inv.root);
  if (summary && (summary.earliestReviewDue === null || summary.earliestReviewDue >= ce.now.toISOString())) return [];
  const { governanceFindings } = await import('../governance/emergency.ts');
  const store = await openRepositoryStore(inv.root, ce.env);
  try {
    return await governanceFindings(store, ce.now);
  } finally {
    await store.close();
  }
}

/** Audit findings when an advisory database exists; otherwise say plainly that vulnerabilities were not checked. */
async function vulnerabilityFindings(inv: Inventory, config: Config, ce: CheckEnv): Promise<Finding[]> {
  const { AdvisoryDb, defaultDbDir } = await import('../vulns/store.ts');
  const dir = config.vulns.database ?? defaultDbDir(ce.env);
  const db = AdvisoryDb.open(dir);
  if (!db) {
    ce.note(`vulnerabilities not checked: no advisory database at ${dir} (run \`depwarden db sync\`)`);
    return [];
  }
  const { auditInventory } = await import('../vulns/audit.ts');
  const { loadTriage } = await import('../vulns/vex.ts');
  const { databaseFindings, maxDatabaseAgeDays } = await import('../vulns/db-health.ts');
  try {
    // Ecosystems the database does not cover, or covers with stale data, are findings too (DW204, DW205).
    return [...databaseFindings(inv, db.meta, ce.now, maxDatabaseAgeDays(config)), ...auditInventory(inv, db, loadTriage(inv.root), ce.now).findings];
  } finally {
    db.close();
  }
}
