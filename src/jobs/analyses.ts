import path from 'node:path';
import { loadConfig } from '../config/load.ts';
import type { Config } from '../config/schema.ts';
import { inventoryOf } from '../cli/lazy.ts';
import { TOOL_VERSION } from '../cli/version.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { applyRuleConfig } from '../rules/apply-config.ts';
import { isExactPin } from '../versioning/constraint.ts';
import type { SnapshotInput, SnapshotKind } from '../history/snapshots.ts';
import { redactFinding, redactSecrets } from '../util/redact.ts';

/**
 * What each per-repository job computes, by calling the functions the CLI commands call (`check`, `conflicts`,
 * `audit`, `sbom`, `outdated`), turned into one snapshot per service plus one for the repository ('').
 * `previous` gives the last snapshot's detail of a service, for the "new / fixed since" and SBOM diffs.
 */

export interface AnalysisEnv {
  env: NodeJS.ProcessEnv;
  now: Date;
  /** The advisory database the server uses (a repository's `vulns.database` wins). */
  advisoryDb: string;
  /** HTTP cache of registry lookups. */
  cacheDir: string;
  note(line: string): void;
  previous(service: string): Promise<unknown>;
}

export class JobFailure extends Error {}

async function load(root: string): Promise<{ config: Config; inv: Inventory }> {
  const { config } = await loadConfig(root);
  const inv = await inventoryOf(root, config);
  return { config, inv };
}

const count = <T>(xs: T[], key: (x: T) => string): Record<string, number> => {
  const out: Record<string, number> = {};
  for (const x of xs) out[key(x)] = (out[key(x)] ?? 0) + 1;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : 1)));
};

function byService<T>(inv: Inventory, items: T[], service: (t: T) => string | undefined, make: (service: string, mine: T[]) => SnapshotInput): SnapshotInput[] {
  const out = inv.services.map((s) => make(s.name, items.filter((i) => service(i) === s.name)));
  out.push(make('', items));
  return out;
}

/** Pinning compliance: declared dependencies pinned exactly, images pinned by digest, actions by commit SHA. */
export function compliance(inv: Inventory, service?: string): { pinned: number; total: number; percent: number } {
  let pinned = 0;
  let total = 0;
  const services = service === undefined ? inv.services : inv.services.filter((s) => s.name === service);
  for (const s of services) {
    for (const d of s.dependencies) {
      if (d.source && d.source.type !== 'registry') continue;
      total++;
      if (d.constraintSyntax !== 'none' && isExactPin(d.constraintSyntax, d.constraint)) pinned++;
    }
    for (const i of s.images) {
      if (i.stageRef) continue;
      total++;
      if (i.digest) pinned++;
    }
  }
  if (service === undefined) {
    for (const a of inv.actions) {
      if (a.kind === 'local') continue;
      total++;
      if (a.refKind === 'sha') pinned++;
    }
  }
  return { pinned, total, percent: total ? Math.round((pinned / total) * 10_000) / 100 : 100 };
}

const findingRecord = (f: Finding): Record<string, unknown> => {
  const r = redactFinding(f);
  return { ruleId: r.ruleId, severity: r.severity, message: r.message, file: r.location.file, line: r.location.line, column: r.location.column, ...(r.service ? { service: r.service } : {}), ...(r.subject ? { subject: r.subject } : {}), ...(r.hint ? { hint: r.hint } : {}) };
};

function findingSnapshots(inv: Inventory, findings: Finding[], withCompliance: boolean): SnapshotInput[] {
  return byService(inv, findings, (f) => f.service, (service, mine) => ({
    service,
    summary: { findings: mine.length, bySeverity: count(mine, (f) => f.severity), byRule: count(mine, (f) => f.ruleId), ...(withCompliance ? { compliance: compliance(inv, service || undefined) } : {}) },
    detail: mine.map(findingRecord),
  }));
}

export async function runCheck(root: string, ae: AnalysisEnv): Promise<SnapshotInput[]> {
  const { config, inv } = await load(root);
  config.vulns.database ??= ae.advisoryDb;
  const { collectCheckFindings } = await import('../check/index.ts');
  const findings = applyRuleConfig(await collectCheckFindings(inv, config, { env: ae.env, now: ae.now, note: ae.note }), config);
  return findingSnapshots(inv, findings, true);
}

export async function runConflicts(root: string): Promise<SnapshotInput[]> {
  const { config, inv } = await load(root);
  const { analyzeConflicts } = await import('../conflicts/index.ts');
  return findingSnapshots(inv, applyRuleConfig(analyzeConflicts(inv, config), config), false);
}

/** One vulnerability of a service as an audit snapshot stores it (its `detail`); alerts and the dashboard read it back. */
export interface VulnRecord {
  id: string;
  ids: string[];
  ecosystem: string;
  package: string;
  version: string;
  severity: string;
  score?: number;
  fixedIn?: string;
  summary?: string;
  triage: unknown;
  service: string;
}

export async function runAudit(root: string, ae: AnalysisEnv): Promise<SnapshotInput[]> {
  const { config, inv } = await load(root);
  const { AdvisoryDb } = await import('../vulns/store.ts');
  const dir = config.vulns.database ? path.resolve(root, config.vulns.database) : ae.advisoryDb;
  const db = AdvisoryDb.open(dir);
  if (!db) throw new JobFailure(`no advisory database at ${dir}: run \`depwarden db sync\` (or let the server's daily db-sync job run)`);
  const { auditInventory } = await import('../vulns/audit.ts');
  const { loadTriage } = await import('../vulns/vex.ts');
  let r;
  try {
    r = auditInventory(inv, db, loadTriage(root), ae.now);
  } finally {
    db.close();
  }
  const suppressed = new Set(r.suppressed.map((m) => `${m.service}\0${m.pkg.name}\0${m.id}`));
  const all: VulnRecord[] = [...r.matches, ...r.suppressed.filter((m) => !r.matches.some((x) => x.id === m.id && x.pkg === m.pkg))].map((m) => ({
    id: m.id,
    ids: m.ids,
    ecosystem: m.pkg.ecosystem,
    package: m.pkg.name,
    version: m.pkg.version,
    severity: m.scored.severity,
    ...(m.scored.score !== undefined ? { score: m.scored.score } : {}),
    ...(m.fixedIn ? { fixedIn: m.fixedIn } : {}),
    ...(m.summary ? { summary: redactSecrets(m.summary) } : {}),
    triage: m.triage ?? (suppressed.has(`${m.service}\0${m.pkg.name}\0${m.id}`) ? { suppressed: true } : null),
    service: m.service,
  }));
  const key = (v: VulnRecord): string => `${v.ecosystem}:${v.package}@${v.version}:${v.id}`;
  const out: SnapshotInput[] = [];
  for (const s of [...inv.services.map((x) => x.name), '']) {
    const mine = s ? all.filter((v) => v.service === s) : all;
    const before = new Set(((await ae.previous(s)) as VulnRecord[] | undefined)?.map(key) ?? []);
    const now = new Set(mine.map(key));
    const prevList = ((await ae.previous(s)) as VulnRecord[] | undefined) ?? [];
    out.push({
      service: s,
      summary: { vulnerabilities: mine.length, bySeverity: count(mine, (v) => v.severity), new: mine.filter((v) => !before.has(key(v))).length, fixed: prevList.filter((v) => !now.has(key(v))).length, triaged: mine.filter((v) => v.triage !== null).length },
      detail: mine,
    });
  }
  return out;
}

interface SbomDetail {
  'cyclonedx-json': string;
  'spdx-json': string;
}

export async function runSbom(root: string, repoName: string, ae: AnalysisEnv): Promise<SnapshotInput[]> {
  const { inv } = await load(root);
  const { sbomDocuments, renderSbom } = await import('../sbom/documents.ts');
  const { sbomTimestamp } = await import('../sbom/timestamp.ts');
  const { diffSboms, sbomEntries } = await import('../sbom/diff.ts');
  const docs = sbomDocuments(inv, repoName);
  const out: SnapshotInput[] = [];
  for (let i = 0; i < docs.length; i++) {
    const d = docs[i]!;
    const service = i === docs.length - 1 ? '' : inv.services[i]!.name;
    const timestamp = sbomTimestamp(ae.env, root, d.sources);
    const detail: SbomDetail = { 'cyclonedx-json': renderSbom(d.doc, 'cyclonedx-json', { spec: '1.6', timestamp, toolVersion: TOOL_VERSION }), 'spdx-json': renderSbom(d.doc, 'spdx-json', { spec: '1.6', timestamp, toolVersion: TOOL_VERSION }) };
    const prev = (await ae.previous(service)) as SbomDetail | undefined;
    const diff = prev ? diffSboms(sbomEntries(prev['cyclonedx-json'], 'previous'), sbomEntries(detail['cyclonedx-json'], 'current')) : undefined;
    out.push({
      service,
      summary: { components: d.doc.components.length, gaps: d.doc.gaps?.length ?? 0, ...(diff ? { diff: { added: diff.added.length, removed: diff.removed.length, changed: diff.changed.length, hashChanges: diff.hashChanges.length } } : {}) },
      detail,
    });
  }
  return out;
}

export async function runOutdated(root: string, ae: AnalysisEnv): Promise<SnapshotInput[]> {
  const { config, inv } = await load(root);
  const { registryLookup } = await import('../updates/registry-lookup.ts');
  const { collectCandidates } = await import('../updates/candidates.ts');
  const { computeOutdated } = await import('../updates/lookup.ts');
  const { isOutdated } = await import('../updates/outdated.ts');
  const { lookup } = await registryLookup(config, { cacheDir: ae.cacheDir, offline: false, env: ae.env, projectDir: root, inventory: inv });
  const report = await computeOutdated(collectCandidates(inv), lookup, config.updates, ae.now);
  // A registry that cannot be reached makes the answer unknown, not "up to date": the job fails and says why.
  if (report.unreachable.length) throw new JobFailure(`registry unreachable: ${report.unreachable.map((h) => `${h.host} (${redactSecrets(h.cause)})`).join('; ')}`);
  const entries = report.entries.filter((e) => isOutdated(e) || e.currentYanked || e.currentDeprecated);
  return byService(inv, entries, (e) => e.service, (service, mine) => ({
    service,
    summary: { outdated: mine.length, libyears: Math.round(mine.reduce((s, e) => s + (e.libyears ?? 0), 0) * 100) / 100, byType: count(mine, (e) => e.updateType ?? 'unknown'), lookupFailures: report.failures.filter((f) => !service || f.service === service).length },
    detail: mine.map((e) => ({ service: e.service, file: e.file, ecosystem: e.ecosystem, name: e.name, current: e.current ?? null, declared: e.declared, allowed: e.allowed ?? null, latest: e.latest ?? null, updateType: e.updateType ?? null, libyears: e.libyears ?? null, note: e.note ?? null })),
  }));
}

