import type { AlertSeverity, AlertsConfig } from '../config/sections/alerts.ts';
import { readLog, verifyLog } from '../governance/audit-log.ts';
import { fleetSnapshotDetails } from '../history/snapshots.ts';
import type { VulnRecord } from '../jobs/analyses.ts';
import type { Store } from '../store/store.ts';
import { severityRank } from './message.ts';

/**
 * The alert rules: each reads what the store already holds (snapshots, builds, coverage, health samples, deploy
 * records, changes and reviews, job runs, the audit log) and says which conditions hold now. Nothing is scanned
 * again. A condition is a Candidate with a stable dedup key; state.ts turns the set into firing / resolved alerts.
 */

export interface Candidate {
  rule: string;
  severity: AlertSeverity;
  title: string;
  text: string;
  fields: Record<string, string>;
  links: { title: string; url: string }[];
  repo?: string;
  service?: string;
  dedupKey: string;
  /** What the same message groups on besides the rule: the advisory, the workflow, the change. */
  group: string;
  /** An event (a rollback): sent once, never repeated, resolved quietly when it leaves its window. */
  oneshot?: boolean;
}

export interface RuleRepo {
  name: string;
  branch: string | null;
  rules: AlertsConfig['rules'];
}

export interface RuleInput {
  store: Store;
  repos: RuleRepo[];
  /** Rules of conditions that belong to no registered repository (db sync, audit log, deploys). */
  globalRules: AlertsConfig['rules'];
  now: Date;
  /** Vulnerability alerts already stored, with whether they were first seen without a fix (for "fix available"). */
  known: Map<string, { fixedIn: string | undefined; state: string }>;
}

const sev = (s: string): AlertSeverity => (severityRank(s) >= 0 ? (s as AlertSeverity) : 'medium');
const ms = (t: unknown): number => new Date(t as string).getTime();
const hours = (n: number): string => (n >= 48 ? `${Math.floor(n / 24)} days` : `${Math.floor(n)} hours`);

export const vulnKey = (repo: string, v: VulnRecord): string => `vulnerability:${repo}:${v.service}:${v.ecosystem}:${v.package}@${v.version}:${v.id}`;

async function vulnerabilities(inp: RuleInput, rulesOf: (repo: string) => AlertsConfig['rules'] | undefined): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const snaps = await fleetSnapshotDetails<VulnRecord[]>(inp.store, 'audit');
  // The per-service snapshots; the repository's own ('') only where it has no services (it repeats them all).
  const withServices = new Set(snaps.filter((s) => s.service !== '').map((s) => s.repo));
  for (const s of snaps) {
    if (s.service === '' && withServices.has(s.repo)) continue;
    const rules = rulesOf(s.repo);
    if (!rules?.vulnerability.enabled) continue;
    for (const v of s.detail ?? []) {
      // Triaged (VEX not_affected, accepted until a date): the audit job stops applying the triage once it expires.
      if (v.triage !== null && v.triage !== undefined) continue;
      if (severityRank(sev(v.severity)) < severityRank(rules.vulnerability.minSeverity)) continue;
      const key = vulnKey(s.repo, v);
      const service = v.service || s.service;
      const fields: Record<string, string> = { package: `${v.package} ${v.version}`, ecosystem: v.ecosystem, ...(v.fixedIn ? { fixedIn: v.fixedIn } : {}), ...(v.ids?.length ? { aliases: v.ids.filter((x) => x !== v.id).join(', ') } : {}) };
      if (!fields.aliases) delete fields.aliases;
      const links = [{ title: v.id, url: `https://osv.dev/vulnerability/${encodeURIComponent(v.id)}` }];
      out.push({ rule: 'vulnerability.new', severity: sev(v.severity), title: `${v.id}: ${v.package} ${v.version} (${sev(v.severity)})`, text: `${v.summary ?? 'Vulnerable dependency.'}${v.fixedIn ? `\nFixed in ${v.fixedIn}.` : '\nNo fixed version yet.'}`, fields, links, repo: s.repo, ...(service ? { service } : {}), dedupKey: key, group: v.id });
      // A fix that appeared after the vulnerability was first alerted: one more message.
      const fixKey = `fix:${key}`;
      const known = inp.known.get(key);
      if (rules.vulnerability.fixAvailable && v.fixedIn && known && (known.fixedIn === undefined || inp.known.get(fixKey)?.state === 'firing')) {
        out.push({ rule: 'vulnerability.fix_available', severity: sev(v.severity), title: `${v.id}: fix available for ${v.package} (${v.fixedIn})`, text: `Update ${v.package} from ${v.version} to ${v.fixedIn}.`, fields, links, repo: s.repo, ...(service ? { service } : {}), dedupKey: fixKey, group: `${v.id}@${v.fixedIn}` });
      }
    }
  }
  return out;
}

interface OutdatedEntry {
  service: string;
  name: string;
  current: string | null;
  latest: string | null;
  updateType: string | null;
}

async function outdated(inp: RuleInput, rulesOf: (repo: string) => AlertsConfig['rules'] | undefined): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const s of await fleetSnapshotDetails<OutdatedEntry[]>(inp.store, 'outdated')) {
    const rules = rulesOf(s.repo);
    if (!rules?.outdated.enabled || s.service === '') continue;
    const majors = (s.detail ?? []).filter((e) => e.updateType === 'major');
    if (majors.length >= rules.outdated.majorsBehind) {
      const names = majors.map((e) => `${e.name} ${e.current ?? '?'} → ${e.latest ?? '?'}`).sort();
      out.push({ rule: 'outdated.majors', severity: 'medium', title: `${s.service}: ${majors.length} major updates held back`, text: names.slice(0, 20).join('\n') + (names.length > 20 ? `\n…and ${names.length - 20} more` : ''), fields: { majors: String(majors.length) }, links: [], repo: s.repo, service: s.service, dedupKey: `outdated.majors:${s.repo}:${s.service}`, group: `${s.repo}:${s.service}` });
    }
    const libyears = Number(s.summary.libyears ?? 0);
    if (libyears >= rules.outdated.libyears) out.push({ rule: 'outdated.libyears', severity: 'low', title: `${s.service}: ${libyears} libyears behind`, text: `The locked versions of ${s.service} are ${libyears} years behind their latest releases in total (threshold ${rules.outdated.libyears}).`, fields: { libyears: String(libyears) }, links: [], repo: s.repo, service: s.service, dedupKey: `outdated.libyears:${s.repo}:${s.service}`, group: `${s.repo}:${s.service}` });
  }
  return out;
}

const DONE = ['success', 'failure', 'timed_out', 'error', 'cancelled', 'neutral', 'skipped', 'action_required', 'stale'];
const FAILED = new Set(['failure', 'timed_out', 'error']);

async function builds(inp: RuleInput): Promise<Candidate[]> {
  const out: Candidate[] = [];
  for (const r of inp.repos) {
    if (!r.rules.buildFailing.enabled) continue;
    const branch = r.branch ?? 'main';
    const rows = await inp.store.query<{ workflow: string; service: string; status: string; commit: string; url: string | null }>(
      `SELECT workflow, service, status, commit, url FROM builds WHERE repo = $1 AND branch = $2 AND status = ANY($3) ORDER BY workflow, service, seq DESC`,
      [r.name, branch, DONE.filter((s) => s !== 'cancelled' && s !== 'skipped' && s !== 'neutral')],
    );
    const byWorkflow = new Map<string, typeof rows>();
    for (const b of rows) byWorkflow.set(`${b.workflow}\0${b.service}`, [...(byWorkflow.get(`${b.workflow}\0${b.service}`) ?? []), b]);
    for (const [k, list] of byWorkflow) {
      let n = 0;
      while (n < list.length && FAILED.has(list[n]!.status)) n++;
      if (n < r.rules.buildFailing.consecutive) continue;
      const [workflow, service] = k.split('\0') as [string, string];
      const last = list[0]!;
      out.push({ rule: 'build.failing', severity: 'high', title: `${r.name}: ${workflow} failing on ${branch} (${n} in a row)`, text: `The last ${n} runs of ${workflow}${service ? ` for ${service}` : ''} on ${branch} failed; latest at ${last.commit.slice(0, 12)}.`, fields: { workflow, branch, commit: last.commit.slice(0, 12), failures: String(n) }, links: last.url ? [{ title: 'latest run', url: last.url }] : [], repo: r.name, ...(service ? { service } : {}), dedupKey: `build.failing:${r.name}:${branch}:${workflow}:${service}`, group: `${r.name}:${workflow}` });
    }
  }
  return out;
}

async function coverage(inp: RuleInput, rulesOf: (repo: string) => AlertsConfig['rules'] | undefined): Promise<Candidate[]> {
  const rows = await inp.store.query<{ repo: string; service: string; branch: string | null; commit: string; base_branch: string; line_delta: number | null }>(
    `SELECT DISTINCT ON (repo, service, branch) repo, service, branch, commit, base_branch, line_delta FROM coverage WHERE branch IS NOT NULL ORDER BY repo, service, branch, seq DESC`,
  );
  const out: Candidate[] = [];
  for (const c of rows) {
    const rules = rulesOf(c.repo);
    if (!rules?.coverageDrop.enabled || c.line_delta === null || c.branch === c.base_branch) continue;
    const delta = Number(c.line_delta);
    if (delta >= -rules.coverageDrop.points) continue;
    out.push({ rule: 'coverage.dropped', severity: 'medium', title: `${c.repo}: line coverage of ${c.branch} ${delta.toFixed(2)} points against ${c.base_branch}`, text: `Commit ${c.commit.slice(0, 12)} on ${c.branch}${c.service ? ` (${c.service})` : ''} covers ${Math.abs(delta).toFixed(2)} points fewer lines than ${c.base_branch} (threshold ${rules.coverageDrop.points}).`, fields: { branch: c.branch!, base: c.base_branch, delta: delta.toFixed(2) }, links: [], repo: c.repo, ...(c.service ? { service: c.service } : {}), dedupKey: `coverage.dropped:${c.repo}:${c.service}:${c.branch}`, group: `${c.repo}:${c.branch}` });
  }
  return out;
}

async function health(inp: RuleInput, rulesOf: (repo: string) => AlertsConfig['rules'] | undefined): Promise<Candidate[]> {
  const rows = await inp.store.query<{ repo: string; service: string; status: string; reason: string; checks: unknown; since: string | null }>(
    `WITH up AS (SELECT repo, service, max(at) AS last_up FROM health_samples WHERE status = 'up' GROUP BY repo, service)
     SELECT c.repo, c.service, c.status, c.reason, c.checks,
       (SELECT min(s.at) FROM health_samples s WHERE s.repo = c.repo AND s.service = c.service AND s.status IN ('down', 'degraded') AND s.at > COALESCE(up.last_up, '')) AS since
     FROM health_current c LEFT JOIN up ON up.repo = c.repo AND up.service = c.service WHERE c.status IN ('down', 'degraded')`,
  );
  const out: Candidate[] = [];
  for (const h of rows) {
    const rules = rulesOf(h.repo) ?? inp.globalRules;
    if (!rules.health.enabled || !h.since) continue;
    const minutes = (inp.now.getTime() - ms(h.since)) / 60_000;
    if (minutes < rules.health.minutes) continue;
    const base = { repo: h.repo, service: h.service, links: [], fields: { since: new Date(h.since).toISOString(), minutes: String(Math.floor(minutes)) } };
    out.push({ ...base, rule: `health.${h.status}`, severity: h.status === 'down' ? 'critical' : 'medium', title: `${h.service} ${h.status} for ${Math.floor(minutes)} minutes`, text: h.reason, dedupKey: `health.${h.status}:${h.repo}:${h.service}`, group: `${h.repo}:${h.service}` });
    const checks = (typeof h.checks === 'string' ? JSON.parse(h.checks) : h.checks) as { check: string; status: string; reason: string; value?: number }[];
    for (const c of checks ?? []) {
      const rule = c.check === 'prometheus.errorRatio' ? 'health.error_rate' : c.check === 'prometheus.latencyP95' ? 'health.latency' : undefined;
      if (!rule || (c.status !== 'down' && c.status !== 'degraded')) continue;
      out.push({ ...base, rule, severity: 'high', title: `${h.service}: ${rule === 'health.error_rate' ? 'error rate' : 'latency'} above threshold${c.value !== undefined ? ` (${c.value})` : ''}`, text: c.reason, dedupKey: `${rule}:${h.repo}:${h.service}`, group: `${h.repo}:${h.service}` });
    }
  }
  return out;
}

async function deploys(inp: RuleInput): Promise<Candidate[]> {
  if (!inp.globalRules.deploy.enabled) return [];
  const since = new Date(inp.now.getTime() - inp.globalRules.deploy.withinHours * 3_600_000).toISOString();
  const rows = await inp.store.query<{ id: string; service: string; outcome: string; from_image: string; to_image: string; change_id: string | null; detail: string; finished: string }>(
    `SELECT id, service, outcome, from_image, to_image, change_id, detail, finished FROM deploys WHERE outcome IN ('rolled_back', 'failed') AND finished IS NOT NULL AND finished >= $1 ORDER BY id`,
    [since],
  );
  return rows.map((d) => ({
    rule: d.outcome === 'rolled_back' ? 'deploy.rolled_back' : 'deploy.failed',
    severity: 'critical' as const,
    title: d.outcome === 'rolled_back' ? `${d.service}: deploy rolled back` : `${d.service}: deploy failed (gate failed, previous version not restored)`,
    text: d.detail,
    fields: { service: d.service, from: d.from_image, to: d.to_image, ...(d.change_id ? { change: d.change_id } : {}), finished: d.finished },
    links: [],
    service: d.service,
    dedupKey: `deploy:${d.id}`,
    group: d.change_id ? `change:${d.change_id}` : d.id,
    oneshot: true,
  }));
}

async function governance(inp: RuleInput): Promise<Candidate[]> {
  const out: Candidate[] = [];
  const g = inp.globalRules;
  if (g.approvalWaiting.enabled) {
    const before = new Date(inp.now.getTime() - g.approvalWaiting.hours * 3_600_000).toISOString();
    for (const c of await inp.store.query<{ id: string; title: string; class: string; author: string; created: string }>(`SELECT id, title, class, author, created FROM changes WHERE state IN ('proposed', 'tests_passed') AND created < $1 ORDER BY id`, [before])) {
      const waited = (inp.now.getTime() - ms(c.created)) / 3_600_000;
      out.push({ rule: 'change.waiting_approval', severity: 'medium', title: `Change ${c.id} waiting for approval for ${hours(waited)}`, text: c.title, fields: { change: c.id, class: c.class, author: c.author, created: c.created }, links: [], dedupKey: `change.waiting:${c.id}`, group: c.id });
    }
  }
  if (g.reviewOverdue.enabled) {
    for (const r of await inp.store.query<{ change_id: string; role: string; due: string; reason: string }>(`SELECT change_id, role, due, reason FROM reviews WHERE signed_off_at IS NULL AND due < $1 ORDER BY change_id`, [inp.now.toISOString()])) {
      out.push({ rule: 'review.overdue', severity: 'high', title: `Security review of ${r.change_id} overdue (due ${r.due.slice(0, 10)})`, text: r.reason, fields: { change: r.change_id, role: r.role, due: r.due }, links: [], dedupKey: `review.overdue:${r.change_id}`, group: r.change_id });
    }
  }
  if (g.auditChain.enabled) {
    const broken = verifyLog(await readLog(inp.store));
    if (broken.length) out.push({ rule: 'audit.chain_broken', severity: 'critical', title: `Audit log chain does not verify (${broken.length} break${broken.length === 1 ? '' : 's'})`, text: broken.slice(0, 5).map((b) => b.message).join('\n'), fields: { first: String(broken[0]!.seq), kind: broken[0]!.kind }, links: [], dedupKey: 'audit.chain_broken', group: 'audit' });
  }
  return out;
}

async function jobs(inp: RuleInput, rulesOf: (repo: string) => AlertsConfig['rules'] | undefined): Promise<Candidate[]> {
  const rows = await inp.store.query<{ kind: string; repo: string | null; outcome: string; error: string | null; ended: string | Date; commit: string | null }>(
    `SELECT DISTINCT ON (kind, repo) kind, repo, outcome, error, ended, commit FROM job_runs WHERE outcome IN ('succeeded', 'failed') ORDER BY kind, repo, id DESC`,
  );
  const out: Candidate[] = [];
  for (const j of rows) {
    if (j.outcome !== 'failed') continue;
    const rules = (j.repo ? rulesOf(j.repo) : undefined) ?? inp.globalRules;
    if (!rules.jobFailed.enabled) continue;
    const what = j.kind === 'db-sync' ? 'advisory database sync' : `${j.kind} job`;
    out.push({ rule: j.kind === 'db-sync' ? 'job.db_sync_failed' : 'job.failed', severity: j.kind === 'db-sync' || j.kind === 'update' ? 'high' : 'medium', title: `${j.repo ? `${j.repo}: ` : ''}${what} failed`, text: (j.error ?? 'failed').slice(0, 500), fields: { job: j.kind, ended: new Date(j.ended).toISOString(), ...(j.commit ? { commit: j.commit.slice(0, 12) } : {}) }, links: [], ...(j.repo ? { repo: j.repo } : {}), dedupKey: `job:${j.kind}:${j.repo ?? ''}`, group: j.kind });
  }
  return out;
}

/** Which rules are built (docs/alerts.md lists them); each reads stored data only. */
export const RULES = ['vulnerability.new', 'vulnerability.fix_available', 'outdated.majors', 'outdated.libyears', 'build.failing', 'coverage.dropped', 'health.down', 'health.degraded', 'health.error_rate', 'health.latency', 'deploy.rolled_back', 'deploy.failed', 'change.waiting_approval', 'review.overdue', 'job.failed', 'job.db_sync_failed', 'audit.chain_broken'] as const;

export async function evaluateRules(inp: RuleInput): Promise<Candidate[]> {
  const byName = new Map(inp.repos.map((r) => [r.name, r.rules]));
  const rulesOf = (repo: string): AlertsConfig['rules'] | undefined => byName.get(repo);
  const parts = [await vulnerabilities(inp, rulesOf), await outdated(inp, rulesOf), await builds(inp), await coverage(inp, rulesOf), await health(inp, rulesOf), await deploys(inp), await governance(inp), await jobs(inp, rulesOf)];
  return parts.flat().sort((a, b) => (a.dedupKey < b.dedupKey ? -1 : a.dedupKey > b.dedupKey ? 1 : 0));
}
