import type { Store } from '../store/store.ts';
import { encodeCursor } from '../util/cursor.ts';
import { type BuildRecord, type CoverageRecord, MAX_FAILING, ratio } from './records.ts';

type Q = Store['query'];

/**
 * Upserts one build. The key is (repo, commit, workflow, service); an event older than the stored one (GitHub
 * does not promise delivery order) is ignored, so a late "queued" never hides a "success". Returns whether it was stored.
 */
export async function recordBuild(q: Q, b: BuildRecord, now: string): Promise<boolean> {
  // One clock format (GitHub writes `…:49Z`, we write `…:49.000Z`), so the text comparison below orders them.
  const t = Date.parse(b.updated);
  const updated = Number.isNaN(t) ? b.updated : new Date(t).toISOString();
  const failing = b.tests ? JSON.stringify([...b.tests.failing].sort().slice(0, MAX_FAILING)) : null;
  const rows = await q<{ seq: string }>(
    `INSERT INTO builds (repo, service, commit, branch, workflow, source, status, url, updated, recorded, tests_run, tests_failed, tests_skipped, failing_tests)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14::jsonb)
     ON CONFLICT (repo, commit, workflow, service) DO UPDATE SET
       seq = nextval(pg_get_serial_sequence('builds', 'seq')),
       branch = COALESCE(EXCLUDED.branch, builds.branch), source = EXCLUDED.source, status = EXCLUDED.status,
       url = COALESCE(EXCLUDED.url, builds.url), updated = EXCLUDED.updated, recorded = EXCLUDED.recorded,
       tests_run = COALESCE(EXCLUDED.tests_run, builds.tests_run), tests_failed = COALESCE(EXCLUDED.tests_failed, builds.tests_failed),
       tests_skipped = COALESCE(EXCLUDED.tests_skipped, builds.tests_skipped), failing_tests = COALESCE(EXCLUDED.failing_tests, builds.failing_tests)
     WHERE builds.updated <= EXCLUDED.updated
     RETURNING seq`,
    [b.repo, b.service, b.commit, b.branch, b.workflow, b.source, b.status, b.url, updated, now, b.tests?.run ?? null, b.tests?.failed ?? null, b.tests?.skipped ?? null, failing],
  );
  return rows.length > 0;
}

export interface StoredBuild extends BuildRecord {
  recorded: string;
  tests?: BuildRecord['tests'];
}

interface BuildRow {
  seq: string | number;
  repo: string;
  service: string;
  commit: string;
  branch: string | null;
  workflow: string;
  source: BuildRecord['source'];
  status: BuildRecord['status'];
  url: string | null;
  updated: string;
  recorded: string;
  tests_run: number | null;
  tests_failed: number | null;
  tests_skipped: number | null;
  failing_tests: string[] | string | null;
}

function toBuild(r: BuildRow): StoredBuild {
  const failing = typeof r.failing_tests === 'string' ? (JSON.parse(r.failing_tests) as string[]) : r.failing_tests;
  return {
    repo: r.repo,
    service: r.service,
    commit: r.commit,
    branch: r.branch,
    workflow: r.workflow,
    source: r.source,
    status: r.status,
    url: r.url,
    updated: r.updated,
    recorded: r.recorded,
    ...(r.tests_run !== null ? { tests: { run: r.tests_run, failed: r.tests_failed ?? 0, skipped: r.tests_skipped ?? 0, failing: failing ?? [] } } : {}),
  };
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  nextCursor: string | null;
}

function page<T, R extends { seq: string | number }>(rows: R[], limit: number, map: (r: R) => T): Page<T> {
  const more = rows.length > limit;
  const kept = rows.slice(0, limit);
  return { items: kept.map(map), nextCursor: more && kept.length ? encodeCursor(kept[kept.length - 1]!.seq) : null };
}

export interface BuildFilter {
  repo: string;
  branch?: string;
  commit?: string;
  service?: string;
  workflow?: string;
}

/** `repo = $1 AND <col> = $n ...` for the given filters (undefined ones left out), and `seq < before` for a cursor. */
function filtered(repo: string, cols: [string, string | undefined][], before: number | undefined, params: unknown[]): string {
  const conds = ['repo = $1'];
  params.push(repo);
  for (const [col, v] of cols) {
    if (v === undefined) continue;
    params.push(v);
    conds.push(`${col} = $${params.length}`);
  }
  if (before !== undefined) {
    params.push(before);
    conds.push(`seq < $${params.length}`);
  }
  return conds.join(' AND ');
}

const where = (f: BuildFilter, before: number | undefined, params: unknown[]): string => filtered(f.repo, [['branch', f.branch], ['commit', f.commit], ['service', f.service], ['workflow', f.workflow]], before, params);

/** Builds of a repository, most recently changed first. */
export async function listBuilds(q: Q, f: BuildFilter, limit: number, before?: number): Promise<Page<StoredBuild>> {
  const params: unknown[] = [];
  const rows = await q<BuildRow>(`SELECT * FROM builds WHERE ${where(f, before, params)} ORDER BY seq DESC LIMIT ${limit + 1}`, params);
  return page(rows, limit, toBuild);
}

/** The latest build of each (branch, workflow, service) of a repository. */
export async function latestBuilds(q: Q, f: BuildFilter): Promise<StoredBuild[]> {
  const params: unknown[] = [];
  const rows = await q<BuildRow>(
    `SELECT * FROM (SELECT DISTINCT ON (branch, workflow, service) * FROM builds WHERE ${where(f, undefined, params)} AND branch IS NOT NULL
       ORDER BY branch, workflow, service, seq DESC) t ORDER BY branch, workflow, service`,
    params,
  );
  return rows.map(toBuild);
}

export interface StoredCoverage extends CoverageRecord {
  lineRate: number | null;
  branchRate: number | null;
  /** The base branch the delta is against, and its latest coverage's commit (null when it has none yet). */
  baseBranch: string;
  baseCommit: string | null;
  /** This commit's rate minus the base's, in percentage points (null without a base). */
  lineDelta: number | null;
  branchDelta: number | null;
  recorded: string;
}

interface CoverageRow {
  seq: string | number;
  repo: string;
  service: string;
  commit: string;
  branch: string | null;
  format: CoverageRecord['format'];
  lines_covered: number;
  lines_total: number;
  branches_covered: number | null;
  branches_total: number | null;
  base_branch: string;
  base_commit: string | null;
  line_delta: number | null;
  branch_delta: number | null;
  recorded: string;
}

function toCoverage(r: CoverageRow): StoredCoverage {
  return {
    repo: r.repo,
    service: r.service,
    commit: r.commit,
    branch: r.branch,
    format: r.format,
    linesCovered: r.lines_covered,
    linesTotal: r.lines_total,
    branchesCovered: r.branches_covered,
    branchesTotal: r.branches_total,
    lineRate: ratio(r.lines_covered, r.lines_total),
    branchRate: ratio(r.branches_covered, r.branches_total),
    baseBranch: r.base_branch,
    baseCommit: r.base_commit,
    lineDelta: r.line_delta,
    branchDelta: r.branch_delta,
    recorded: r.recorded,
  };
}

const points = (a: number | null, b: number | null): number | null => (a === null || b === null ? null : Math.round((a - b) * 10_000) / 100);

/**
 * The base branch of a commit's coverage: the given one, else the base of an open pull request whose head is this
 * branch (seen by the webhook), else `main`.
 */
export async function baseBranchOf(q: Q, repo: string, branch: string | null, given?: string): Promise<string> {
  if (given) return given;
  if (branch) {
    const pr = await q<{ base_branch: string }>(`SELECT base_branch FROM build_pull_requests WHERE repo = $1 AND head_branch = $2 ORDER BY (state = 'open') DESC, updated DESC LIMIT 1`, [repo, branch]);
    if (pr[0]) return pr[0].base_branch;
  }
  return 'main';
}

/**
 * Stores one commit's coverage for one service with its delta against the latest coverage on the base branch
 * (another commit; a report for the base branch's own commit is compared with the one before it).
 */
export async function recordCoverage(q: Q, c: CoverageRecord, now: string, baseBranch?: string): Promise<StoredCoverage> {
  const base = await baseBranchOf(q, c.repo, c.branch, baseBranch);
  const prev = (
    await q<CoverageRow>(`SELECT * FROM coverage WHERE repo = $1 AND service = $2 AND branch = $3 AND commit <> $4 ORDER BY seq DESC LIMIT 1`, [c.repo, c.service, base, c.commit])
  )[0];
  const lineDelta = prev ? points(ratio(c.linesCovered, c.linesTotal), ratio(prev.lines_covered, prev.lines_total)) : null;
  const branchDelta = prev ? points(ratio(c.branchesCovered, c.branchesTotal), ratio(prev.branches_covered, prev.branches_total)) : null;
  const rows = await q<CoverageRow>(
    `INSERT INTO coverage (repo, service, commit, branch, format, lines_covered, lines_total, branches_covered, branches_total, base_branch, base_commit, line_delta, branch_delta, recorded)
     VALUES ($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14)
     ON CONFLICT (repo, service, commit) DO UPDATE SET seq = nextval(pg_get_serial_sequence('coverage', 'seq')),
       branch = COALESCE(EXCLUDED.branch, coverage.branch), format = EXCLUDED.format, lines_covered = EXCLUDED.lines_covered, lines_total = EXCLUDED.lines_total,
       branches_covered = EXCLUDED.branches_covered, branches_total = EXCLUDED.branches_total, base_branch = EXCLUDED.base_branch,
       base_commit = EXCLUDED.base_commit, line_delta = EXCLUDED.line_delta, branch_delta = EXCLUDED.branch_delta, recorded = EXCLUDED.recorded
     RETURNING *`,
    [c.repo, c.service, c.commit, c.branch, c.format, c.linesCovered, c.linesTotal, c.branchesCovered, c.branchesTotal, base, prev?.commit ?? null, lineDelta, branchDelta, now],
  );
  return toCoverage(rows[0]!);
}

export interface CoverageFilter {
  repo: string;
  service?: string;
  branch?: string;
  commit?: string;
}

const coverageWhere = (f: CoverageFilter, before: number | undefined, params: unknown[]): string => filtered(f.repo, [['service', f.service], ['branch', f.branch], ['commit', f.commit]], before, params);

export async function listCoverage(q: Q, f: CoverageFilter, limit: number, before?: number): Promise<Page<StoredCoverage>> {
  const params: unknown[] = [];
  const rows = await q<CoverageRow>(`SELECT * FROM coverage WHERE ${coverageWhere(f, before, params)} ORDER BY seq DESC LIMIT ${limit + 1}`, params);
  return page(rows, limit, toCoverage);
}

/** The latest coverage of each (service, branch) of a repository; `repo` undefined: of every repository (metrics). */
export async function latestCoverage(q: Q, f: Partial<CoverageFilter>): Promise<StoredCoverage[]> {
  const params: unknown[] = [];
  const w = f.repo === undefined ? 'TRUE' : coverageWhere(f as CoverageFilter, undefined, params);
  const rows = await q<CoverageRow>(
    `SELECT * FROM (SELECT DISTINCT ON (repo, service, branch) * FROM coverage WHERE ${w} AND branch IS NOT NULL ORDER BY repo, service, branch, seq DESC) t ORDER BY repo, service, branch`,
    params,
  );
  return rows.map(toCoverage);
}

/** The latest completed build of each (repo, branch, workflow), for metrics. */
export async function latestCompletedBuilds(q: Q): Promise<StoredBuild[]> {
  const rows = await q<BuildRow>(
    `SELECT * FROM (SELECT DISTINCT ON (repo, branch, workflow, service) * FROM builds WHERE branch IS NOT NULL AND status NOT IN ('queued', 'in_progress', 'pending')
       ORDER BY repo, branch, workflow, service, seq DESC) t ORDER BY repo, branch, workflow, service`,
  );
  return rows.map(toBuild);
}

/** Records a pull request's head and base (from `pull_request` events). */
export async function recordPullRequest(q: Q, pr: { repo: string; number: number; headBranch: string; headCommit: string; baseBranch: string; state: string; updated: string }): Promise<void> {
  await q(
    `INSERT INTO build_pull_requests (repo, number, head_branch, head_commit, base_branch, state, updated) VALUES ($1,$2,$3,$4,$5,$6,$7)
     ON CONFLICT (repo, number) DO UPDATE SET head_branch = EXCLUDED.head_branch, head_commit = EXCLUDED.head_commit, base_branch = EXCLUDED.base_branch,
       state = EXCLUDED.state, updated = EXCLUDED.updated WHERE build_pull_requests.updated <= EXCLUDED.updated`,
    [pr.repo, pr.number, pr.headBranch, pr.headCommit, pr.baseBranch, pr.state, pr.updated],
  );
}

/** Claims a delivery id; false when it was seen before (a replay). Runs in the transaction that stores the event. */
export async function claimDelivery(q: Q, id: string, event: string, repo: string | null, now: string): Promise<boolean> {
  const rows = await q(`INSERT INTO webhook_deliveries (delivery_id, event, repo, received) VALUES ($1,$2,$3,$4) ON CONFLICT (delivery_id) DO NOTHING RETURNING delivery_id`, [id, event, repo, now]);
  return rows.length > 0;
}
