import { latestCompletedBuilds, latestCoverage } from '../builds/store.ts';
import { currentHealth } from '../health/store.ts';
import { fleetSnapshots } from '../history/snapshots.ts';
import type { VulnRecord } from '../jobs/analyses.ts';
import { severityRank, type Severity } from '../model/finding.ts';
import type { Store } from '../store/store.ts';
import type { RegisteredRepo } from '../serve/feature.ts';
import { repoOwners } from './owners.ts';

/**
 * The fleet overview as data (GET /api/v1/fleet): one row per service with the newest numbers of every
 * capability — vulnerabilities by severity, pinning compliance, outdated and libyears, the latest build, coverage,
 * health, the last deploy, a trend of vulnerability counts — and a summary over the fleet. What the dashboard's
 * overview shows is exactly this answer.
 */

export const SEVERITIES = ['critical', 'high', 'medium', 'low'] as const;
const TREND = 20;

export interface FleetRow {
  repo: string;
  service: string;
  owners: string[];
  vulns: Record<(typeof SEVERITIES)[number], number> & { total: number; untriaged: number | null };
  compliance: number | null;
  findings: number | null;
  outdated: number | null;
  libyears: number | null;
  build: { status: string; workflow: string; updated: string } | null;
  coverage: number | null;
  health: { status: string; reason: string; at: string } | null;
  lastDeploy: { outcome: string; started: string; to: string } | null;
  trend: number[];
  lastScan: string | null;
  attention: string[];
  needsMe: boolean;
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const FAILED_BUILD = new Set(['failure', 'timed_out', 'error', 'cancelled', 'action_required']);

export async function fleetOverview(store: Store, repos: RegisteredRepo[], login: string | undefined): Promise<{ summary: Record<string, unknown>; items: FleetRow[] }> {
  const [check, audit, outdated, builds, coverage, health, deploys, trends] = await Promise.all([
    fleetSnapshots(store, 'check'),
    fleetSnapshots(store, 'audit'),
    fleetSnapshots(store, 'outdated'),
    latestCompletedBuilds(store.query),
    latestCoverage(store.query, {}),
    currentHealth(store.query),
    store.query<{ service: string; outcome: string; started: string; to_image: string }>('SELECT DISTINCT ON (service) service, outcome, started, to_image FROM deploys ORDER BY service, started DESC, id DESC'),
    store.query<{ repo: string; service: string; n: unknown }>(
      `SELECT repo, service, n FROM (SELECT repo, service, id, summary->'vulnerabilities' AS n, row_number() OVER (PARTITION BY repo, service ORDER BY id DESC) AS rn FROM snapshots WHERE kind = 'audit') t WHERE rn <= ${TREND} ORDER BY repo, service, id`,
    ),
  ]);
  const key = (repo: string, service: string): string => `${repo}\0${service}`;
  const rows = new Map<string, FleetRow>();
  const owners = new Map(repos.map((r) => [r.name, repoOwners(r.root)]));
  const row = (repo: string, service: string): FleetRow => {
    const k = key(repo, service);
    let r = rows.get(k);
    if (!r) {
      r = { repo, service, owners: owners.get(repo) ?? [], vulns: { critical: 0, high: 0, medium: 0, low: 0, total: 0, untriaged: null }, compliance: null, findings: null, outdated: null, libyears: null, build: null, coverage: null, health: null, lastDeploy: null, trend: [], lastScan: null, attention: [], needsMe: false };
      rows.set(k, r);
    }
    return r;
  };
  const registered = new Set(repos.map((r) => r.name));
  // Per service rows; the whole-repository snapshot ('') stands for a repository with no services of its own.
  const services = new Set<string>();
  for (const s of [...check, ...audit, ...outdated]) if (s.service && registered.has(s.repo)) services.add(key(s.repo, s.service));
  const withServices = new Set([...services].map((k) => k.slice(0, k.indexOf('\0'))));
  const wanted = (repo: string, service: string): boolean => registered.has(repo) && (service ? services.has(key(repo, service)) : !withServices.has(repo));
  for (const s of check) {
    if (!wanted(s.repo, s.service)) continue;
    const r = row(s.repo, s.service);
    r.findings = num(s.summary.findings);
    r.compliance = num((s.summary.compliance as { percent?: unknown } | undefined)?.percent);
    r.lastScan = r.lastScan && r.lastScan > s.taken ? r.lastScan : s.taken;
  }
  for (const s of audit) {
    if (!wanted(s.repo, s.service)) continue;
    const r = row(s.repo, s.service);
    const by = (s.summary.bySeverity ?? {}) as Record<string, number>;
    for (const sev of SEVERITIES) r.vulns[sev] = by[sev] ?? 0;
    r.vulns.total = num(s.summary.vulnerabilities) ?? 0;
    const triaged = num(s.summary.triaged);
    r.vulns.untriaged = triaged === null ? null : r.vulns.total - triaged;
    r.lastScan = r.lastScan && r.lastScan > s.taken ? r.lastScan : s.taken;
  }
  for (const s of outdated) {
    if (!wanted(s.repo, s.service)) continue;
    const r = row(s.repo, s.service);
    r.outdated = num(s.summary.outdated);
    r.libyears = num(s.summary.libyears);
  }
  for (const t of trends) if (rows.has(key(t.repo, t.service))) rows.get(key(t.repo, t.service))!.trend.push(Number(t.n) || 0);
  // A build of the whole repository ('') counts for each of its services; a failing one wins over a passing one.
  for (const b of builds) {
    for (const r of rows.values()) {
      if (r.repo !== b.repo || (b.service && b.service !== r.service)) continue;
      const worse = !r.build || (FAILED_BUILD.has(b.status) && !FAILED_BUILD.has(r.build.status)) || (FAILED_BUILD.has(b.status) === FAILED_BUILD.has(r.build.status) && b.updated > r.build.updated);
      if (worse) r.build = { status: b.status, workflow: b.workflow, updated: b.updated };
    }
  }
  for (const c of coverage) {
    const r = rows.get(key(c.repo, c.service));
    if (r && c.lineRate !== null && (r.coverage === null || c.branch === c.baseBranch)) r.coverage = c.lineRate;
  }
  for (const h of health) {
    const r = rows.get(key(h.repo, h.service));
    if (r) r.health = { status: h.status, reason: h.reason, at: h.at };
  }
  const deployBy = new Map(deploys.map((d) => [d.service, d]));
  for (const r of rows.values()) {
    const d = deployBy.get(r.service);
    if (d) r.lastDeploy = { outcome: d.outcome, started: new Date(d.started).toISOString(), to: d.to_image };
    if (r.vulns.critical || r.vulns.high) r.attention.push(`${r.vulns.critical + r.vulns.high} critical/high vulnerabilities`);
    if (r.build && FAILED_BUILD.has(r.build.status)) r.attention.push(`build ${r.build.status}`);
    if (r.health && r.health.status === 'down') r.attention.push('down');
    if (r.lastDeploy && ['failed', 'rolled_back'].includes(r.lastDeploy.outcome)) r.attention.push(`last deploy ${r.lastDeploy.outcome.replace('_', ' ')}`);
    r.needsMe = login !== undefined && r.owners.includes(login) && r.attention.length > 0;
  }
  const items = [...rows.values()].sort((a, b) => (a.repo === b.repo ? (a.service < b.service ? -1 : 1) : a.repo < b.repo ? -1 : 1));
  const vulns = Object.fromEntries(SEVERITIES.map((s) => [s, items.reduce((n, r) => n + r.vulns[s], 0)]));
  const withCompliance = items.filter((r) => r.compliance !== null);
  const summary = {
    repos: registered.size,
    services: items.length,
    vulns,
    compliance: withCompliance.length ? Math.round((withCompliance.reduce((n, r) => n + r.compliance!, 0) / withCompliance.length) * 100) / 100 : null,
    // Null until some service has an outdated snapshot (0 would claim "up to date").
    outdated: items.some((r) => r.outdated !== null) ? items.reduce((n, r) => n + (r.outdated ?? 0), 0) : null,
    libyears: items.some((r) => r.libyears !== null) ? Math.round(items.reduce((n, r) => n + (r.libyears ?? 0), 0) * 100) / 100 : null,
    failingBuilds: items.filter((r) => r.build && FAILED_BUILD.has(r.build.status)).length,
    down: items.filter((r) => r.health?.status === 'down').length,
    needsAttention: items.filter((r) => r.attention.length).length,
    needsMe: items.filter((r) => r.needsMe).length,
  };
  return { summary, items };
}

export interface AffectedService {
  repo: string;
  service: string;
  package: string;
  ecosystem: string;
  version: string;
  severity: string;
  fixedIn: string | null;
  triage: unknown;
  snapshot: number;
}

/**
 * Every advisory affecting the fleet now (the newest audit snapshot of each service), with the services it
 * affects. One pass over the details of the fleet's current audit snapshots.
 */
export async function fleetAdvisories(store: Store, registered: Set<string>): Promise<{ id: string; aliases: string[]; summary: string | null; severity: string; affected: AffectedService[] }[]> {
  const rows = await store.query<{ id: string | number; repo: string; service: string; detail: unknown }>(
    "SELECT DISTINCT ON (repo, service) id, repo, service, detail FROM snapshots WHERE kind = 'audit' AND service <> '' ORDER BY repo, service, id DESC",
  );
  const by = new Map<string, { id: string; aliases: Set<string>; summary: string | null; severity: string; affected: AffectedService[] }>();
  // An unknown severity (-1) ranks below info.
  const rank = (s: string): number => severityRank(s as Severity);
  for (const r of rows) {
    if (!registered.has(r.repo)) continue;
    const detail = (typeof r.detail === 'string' ? JSON.parse(r.detail) : r.detail) as VulnRecord[];
    for (const v of detail) {
      let a = by.get(v.id);
      if (!a) by.set(v.id, (a = { id: v.id, aliases: new Set(), summary: v.summary ?? null, severity: v.severity, affected: [] }));
      for (const x of v.ids ?? []) if (x !== v.id) a.aliases.add(x);
      if (rank(v.severity) > rank(a.severity)) a.severity = v.severity;
      a.affected.push({ repo: r.repo, service: r.service, package: v.package, ecosystem: v.ecosystem, version: v.version, severity: v.severity, fixedIn: v.fixedIn ?? null, triage: v.triage, snapshot: Number(r.id) });
    }
  }
  return [...by.values()]
    .map((a) => ({ ...a, aliases: [...a.aliases].sort(), affected: a.affected.sort((x, y) => `${x.repo}\0${x.service}\0${x.package}`.localeCompare(`${y.repo}\0${y.service}\0${y.package}`)) }))
    .sort((a, b) => rank(b.severity) - rank(a.severity) || b.affected.length - a.affected.length || (a.id < b.id ? -1 : 1));
}

/**
 * The fleet over time (GET /api/v1/fleet/history): after each audit or outdated snapshot, the fleet's totals —
 * vulnerabilities by severity and libyears summed over each service's newest snapshot at that moment. At most
 * `points` points (the last state of each equal slice of the time range), oldest first.
 */
export async function fleetHistory(store: Store, registered: Set<string>, points = 200): Promise<{ items: { at: string; critical: number; high: number; medium: number; low: number; libyears: number | null }[] }> {
  const rows = await store.query<{ repo: string; service: string; kind: string; taken: string | Date; summary: Record<string, unknown> | string }>(
    "SELECT repo, service, kind, taken, summary FROM snapshots WHERE kind IN ('audit', 'outdated') AND service <> '' ORDER BY taken, id",
  );
  const vulns = new Map<string, Record<string, number>>();
  const libyears = new Map<string, number>();
  const out: { at: string; critical: number; high: number; medium: number; low: number; libyears: number | null }[] = [];
  for (const r of rows) {
    if (!registered.has(r.repo)) continue;
    const summary = (typeof r.summary === 'string' ? JSON.parse(r.summary) : r.summary) as Record<string, unknown>;
    const k = `${r.repo}\0${r.service}`;
    if (r.kind === 'audit') vulns.set(k, (summary.bySeverity ?? {}) as Record<string, number>);
    else libyears.set(k, num(summary.libyears) ?? 0);
    const at = new Date(r.taken).toISOString();
    const point = { at, critical: 0, high: 0, medium: 0, low: 0, libyears: libyears.size ? Math.round([...libyears.values()].reduce((a, b) => a + b, 0) * 100) / 100 : null };
    for (const by of vulns.values()) for (const sev of SEVERITIES) point[sev] += by[sev] ?? 0;
    // Snapshots of one job share their second: one point for them.
    if (out.length && out.at(-1)!.at.slice(0, 19) === at.slice(0, 19)) out[out.length - 1] = point;
    else out.push(point);
  }
  if (out.length <= points) return { items: out };
  const first = Date.parse(out[0]!.at);
  const span = Date.parse(out.at(-1)!.at) - first || 1;
  const slices = new Map<number, (typeof out)[number]>();
  for (const p of out) slices.set(Math.min(points - 1, Math.floor(((Date.parse(p.at) - first) / span) * points)), p);
  return { items: [...slices.values()] };
}
