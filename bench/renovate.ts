// Renovate side by side with `depwarden outdated` (issue 6) on the corpus's npm projects, against the live
// npm registry: what each finds per (package file, package), whether they agree on latest / allowed / update
// type, and wall time per project (each run cold: its own empty cache).
// Run: node bench/renovate.ts [--case <substring>] [--renovate-only]
//      (Renovate is installed on first use, see bench/lib/peers.ts; BENCH_RUNS=n runs each side n times)
import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { OutdatedEntry } from '../src/model/update.ts';
import { median, NODE, REPO } from './lib/measure.ts';
import { PEERS, peerBin, peerDir } from './lib/peers.ts';
import { compareCase, type CaseSummary, type PairResult } from './lib/renovate-compare.ts';
import { isPackageRow, parseRenovateReport, type RenovateRow } from './lib/renovate-report.ts';

const CORPUS = path.resolve(REPO, '..', 'shared', 'corpus');
const OUT = path.join(REPO, 'bench', 'out', 'renovate');
const REGISTRY = process.env.DEPWARDEN_NPM_REGISTRY ?? 'https://registry.npmjs.org';
const RUNS = Number(process.env.BENCH_RUNS ?? 1);
const TIMEOUT_MS = 15 * 60_000;
const args = process.argv.slice(2);
const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
const renovateOnly = args.includes('--renovate-only');

/**
 * Renovate's configuration, chosen so its lookups line up with `outdated`'s columns:
 * - no onboarding, no repository config (`requireConfig: ignored`), npm manager only, no dashboard;
 * - Renovate's defaults for what it proposes, stated explicitly: rangeStrategy auto (update-lockfile for
 *   in-range versions, so currentVersion is the locked version, like our `current`), one non-major update
 *   (the newest in the current major, our `allowed` when our policy allows no major) and one major (the
 *   newest overall, our `latest`). "pin" was not chosen: it adds `pin` updates that describe the constraint,
 *   not the version, and would make Renovate's current the range's floor;
 * - engines / packageManager / volta disabled: runtimes, not packages; outdated does not list them, and
 *   their datasources (nodejs.org, GitHub) are unreachable here, which would only add failed requests.
 * - the registry set to the one depwarden is given, through `npmrc` (npm's datasource ignores registryUrls).
 */
const RENOVATE_CONFIG = {
  onboarding: false,
  requireConfig: 'ignored',
  enabledManagers: ['npm'],
  dependencyDashboard: false,
  rangeStrategy: 'auto',
  separateMajorMinor: true,
  separateMultipleMajor: false,
  separateMinorPatch: false,
  npmrc: `registry=${REGISTRY}\n`,
  packageRules: [{ matchDepTypes: ['engines', 'packageManager', 'volta'], enabled: false }],
};

interface Timed {
  ms: number;
  peakMb: number;
  status: number | null;
  stdout: string;
  stderr: string;
  timedOut: boolean;
}

/** Wall time and peak RSS (GNU time) of one child process, with a timeout so one stuck project ends. */
function run(cmd: string, argv: string[], env: NodeJS.ProcessEnv, cwd: string): Timed {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '__PEAK_KB=%M', cmd, ...argv], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30, timeout: TIMEOUT_MS });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /__PEAK_KB=(\d+)/.exec(r.stderr ?? '');
  return { ms, peakMb: m ? Number(m[1]) / 1024 : NaN, status: r.status, stdout: r.stdout ?? '', stderr: (r.stderr ?? '').replace(/__PEAK_KB=\d+\n?/, ''), timedOut: r.error?.message.includes('ETIMEDOUT') ?? false };
}

/** The error itself, not the stack under it nor GNU time's own "Command exited" line. */
function firstLine(text: string): string {
  return text.split('\n').map((l) => l.trim()).find((l) => l && !l.startsWith('at ') && !l.startsWith('Command exited')) ?? '(no output)';
}

/** The last error or fatal message of Renovate's JSON log (LOG_FORMAT=json: one object per line). */
function renovateError(log: string): string | undefined {
  let found: string | undefined;
  for (const l of log.split('\n')) {
    if (!l.startsWith('{')) continue;
    try {
      const o = JSON.parse(l) as { level?: number; msg?: string; err?: { message?: string } };
      if ((o.level ?? 0) >= 50) found = `${o.msg ?? ''}${o.err?.message ? `: ${o.err.message.split('\n')[0]}` : ''}`;
    } catch {
      // a partial line at a crash: ignore
    }
  }
  return found;
}

interface RenovateRun {
  ok: boolean;
  error?: string;
  ms: number;
  /** Renovate's own "Repository finished" durationMs: the repository work without process start-up. */
  repoMs?: number;
  peakMb: number;
  rows: RenovateRow[];
  problems: string[];
}

function runRenovate(caseDir: string, slug: string): RenovateRun {
  const renovate = path.join(peerDir('renovate'), 'node_modules', 'renovate', 'dist', 'renovate.js');
  const runs: RenovateRun[] = [];
  for (let i = 0; i < RUNS; i++) {
    // A copy per run: Renovate's local platform works on the current directory, and nothing it does may
    // touch the shared corpus. No git repository needed (local platform lists files from disk).
    const tmp = mkdtempSync(path.join(tmpdir(), 'dw-renovate-'));
    const repo = path.join(tmp, 'repo');
    cpSync(path.join(CORPUS, caseDir), repo, { recursive: true });
    const report = path.join(tmp, 'report.json');
    const t = run(
      NODE,
      [renovate, '--platform=local', '--dry-run=lookup', '--report-type=file', `--report-path=${report}`],
      // Own base dir: a cold package cache each run, as depwarden gets an empty DEPWARDEN_HOME.
      { RENOVATE_CONFIG: JSON.stringify(RENOVATE_CONFIG), RENOVATE_BASE_DIR: path.join(tmp, 'base'), LOG_LEVEL: 'info', LOG_FORMAT: 'json' },
      repo,
    );
    writeFileSync(path.join(OUT, `${slug}.renovate.log`), t.stdout + t.stderr);
    const finished = t.stdout
      .split('\n')
      .filter((l) => l.includes('Repository finished'))
      .map((l) => {
        try {
          return (JSON.parse(l) as { durationMs?: number }).durationMs;
        } catch {
          return undefined;
        }
      })[0];
    if (t.status !== 0 || !existsSync(report)) {
      runs.push({ ok: false, error: t.timedOut ? `timed out after ${TIMEOUT_MS / 1000} s` : `exit ${t.status}: ${renovateError(t.stdout) ?? firstLine(t.stderr || t.stdout)}`, ms: t.ms, peakMb: t.peakMb, rows: [], problems: [] });
    } else {
      const text = readFileSync(report, 'utf8');
      writeFileSync(path.join(OUT, `${slug}.renovate-report.json`), text);
      const parsed = parseRenovateReport(text);
      runs.push({ ok: true, ms: t.ms, ...(finished !== undefined ? { repoMs: finished } : {}), peakMb: t.peakMb, ...parsed });
    }
    rmSync(tmp, { recursive: true, force: true });
  }
  const okRuns = runs.filter((r) => r.ok);
  if (okRuns.length === 0) return runs[0]!;
  const repoMs = okRuns.map((r) => r.repoMs).filter((x): x is number => x !== undefined);
  return { ...okRuns[okRuns.length - 1]!, ms: median(okRuns.map((r) => r.ms)), ...(repoMs.length ? { repoMs: median(repoMs) } : {}), peakMb: median(okRuns.map((r) => r.peakMb)) };
}

type DepwardenRun = { state: 'ok'; ms: number; peakMb: number; entries: OutdatedEntry[]; failures: unknown[] } | { state: 'not-built' | 'failed'; ms: number; message: string };

function runDepwarden(caseDir: string, slug: string): DepwardenRun {
  const times: number[] = [];
  const peaks: number[] = [];
  let entries: OutdatedEntry[] = [];
  let failures: unknown[] = [];
  for (let i = 0; i < RUNS; i++) {
    const home = mkdtempSync(path.join(tmpdir(), 'dw-home-'));
    // Read in place: outdated only reads the project.
    // --all: up-to-date dependencies too, as Renovate's report lists every dependency it extracted.
    const t = run(NODE, [path.join(REPO, 'bin', 'depwarden.js'), 'outdated', path.join(CORPUS, caseDir), '--all', '--format', 'json'], { DEPWARDEN_HOME: home, DEPWARDEN_NPM_REGISTRY: REGISTRY }, REPO);
    rmSync(home, { recursive: true, force: true });
    writeFileSync(path.join(OUT, `${slug}.depwarden.json`), t.stdout);
    // Exit 4 is the CLI's "not built yet" (docs/cli.md); the text check also covers an older launcher.
    if (t.status === 4 || /not built yet/.test(t.stderr + t.stdout)) return { state: 'not-built', ms: t.ms, message: (t.stderr || t.stdout).trim().split('\n')[0]! };
    // 1 = findings at or above --fail-on (outdated reports them like check); the JSON is still complete.
    if (t.status !== 0 && t.status !== 1) return { state: 'failed', ms: t.ms, message: `exit ${t.status}${t.timedOut ? ' (timed out)' : ''}: ${firstLine(t.stderr || t.stdout)}` };
    try {
      const doc = JSON.parse(t.stdout) as { entries: OutdatedEntry[]; failures?: unknown[] };
      entries = doc.entries;
      failures = doc.failures ?? [];
    } catch (e) {
      return { state: 'failed', ms: t.ms, message: `unreadable JSON: ${(e as Error).message}` };
    }
    times.push(t.ms);
    peaks.push(t.peakMb);
  }
  return { state: 'ok', ms: median(times), peakMb: median(peaks), entries, failures };
}

// ---------------------------------------------------------------------------------------------------------

const cases = readFileSync(path.join(CORPUS, 'INDEX.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .filter((f) => f[1] === 'npm' && (!only || f[0]!.includes(only)))
  .map((f) => f[0]!);

mkdirSync(OUT, { recursive: true });
if (!peerBin('renovate')) {
  console.error(`renovate ${PEERS.renovate.version} could not be installed into ${peerDir('renovate')}`);
  process.exit(2);
}
const renovateVersion = (JSON.parse(readFileSync(path.join(peerDir('renovate'), 'node_modules', 'renovate', 'package.json'), 'utf8')) as { version: string }).version;
const nodeVersion = spawnSync(NODE, ['--version'], { encoding: 'utf8' }).stdout.trim();
console.log(`renovate ${renovateVersion} on node ${nodeVersion}; registry ${REGISTRY}; ${cases.length} npm projects; ${RUNS} cold run(s) each\n`);

interface CaseResult {
  case: string;
  renovate: Omit<RenovateRun, 'rows'> & { deps: number; lookedUp: number; withUpdates: number; updates: number; byType: Record<string, number>; skipped: Record<string, number>; warnings: number };
  depwarden: { state: string; ms: number; peakMb?: number; message?: string; entries?: number; failures?: unknown[] };
  summary?: CaseSummary;
  pairs?: PairResult[];
  renovateRows: RenovateRow[];
}

const results: CaseResult[] = [];
for (const c of cases) {
  const slug = c.replace(/\//g, '__');
  process.stdout.write(`${c}: renovate... `);
  const r = runRenovate(c, slug);
  const npmRows = r.rows.filter(isPackageRow);
  const byType: Record<string, number> = {};
  for (const row of npmRows) for (const u of row.updates) byType[u.updateType] = (byType[u.updateType] ?? 0) + 1;
  const skipped: Record<string, number> = {};
  for (const row of r.rows) if (row.skipReason) skipped[row.skipReason] = (skipped[row.skipReason] ?? 0) + 1;
  process.stdout.write(r.ok ? `${Math.round(r.ms)} ms, ${npmRows.length} deps` : `FAILED (${r.error})`);
  let d: DepwardenRun = { state: 'not-built', ms: 0, message: 'skipped (--renovate-only)' };
  if (!renovateOnly) {
    process.stdout.write('; depwarden outdated... ');
    d = runDepwarden(c, slug);
    process.stdout.write(d.state === 'ok' ? `${Math.round(d.ms)} ms, ${d.entries.length} entries${d.failures.length ? `, ${d.failures.length} lookup failures` : ''}` : d.message);
  }
  process.stdout.write('\n');
  const { rows, ...rest } = r;
  const res: CaseResult = {
    case: c,
    renovate: {
      ...rest,
      deps: npmRows.length,
      lookedUp: npmRows.filter((x) => !x.skipReason).length,
      withUpdates: npmRows.filter((x) => x.updates.some((u) => u.newVersion)).length,
      updates: npmRows.reduce((n, x) => n + x.updates.length, 0),
      byType,
      skipped,
      warnings: npmRows.reduce((n, x) => n + x.warnings.length, 0),
    },
    depwarden: d.state === 'ok' ? { state: d.state, ms: d.ms, peakMb: d.peakMb, entries: d.entries.length, failures: d.failures } : { state: d.state, ms: d.ms, message: d.message },
    renovateRows: rows,
  };
  if (d.state === 'ok' && r.ok) {
    const cmp = compareCase(path.join(CORPUS, c), rows, d.entries);
    res.summary = cmp.summary;
    res.pairs = cmp.pairs;
  }
  results.push(res);
}

// ---------------------------------------------------------------------------------------------------------

const pad = (s: string | number, n: number): string => String(s).padStart(n);
const fmt = (x: number | undefined): string => (x === undefined || Number.isNaN(x) ? '-' : Math.round(x).toLocaleString('en-US'));
console.log('\nRenovate (lookup dry run, cold cache):');
console.log(`${'project'.padEnd(40)} ${pad('wall ms', 9)} ${pad('repo ms', 9)} ${pad('peak MB', 8)} ${pad('deps', 5)} ${pad('outdated', 8)} ${pad('major', 6)} ${pad('minor', 6)} ${pad('patch', 6)}  problems`);
for (const x of results) {
  const R = x.renovate;
  if (!R.ok) {
    console.log(`${x.case.padEnd(40)} FAILED: ${R.error}`);
    continue;
  }
  console.log(`${x.case.padEnd(40)} ${pad(fmt(R.ms), 9)} ${pad(fmt(R.repoMs), 9)} ${pad(fmt(R.peakMb), 8)} ${pad(R.deps, 5)} ${pad(R.withUpdates, 8)} ${pad(R.byType['major'] ?? 0, 6)} ${pad(R.byType['minor'] ?? 0, 6)} ${pad(R.byType['patch'] ?? 0, 6)}  ${R.problems.length}${R.warnings ? `, ${R.warnings} lookup warnings` : ''}`);
}

const compared = results.filter((x) => x.summary);
if (compared.length === 0) {
  const why = results.find((x) => x.depwarden.state !== 'ok')?.depwarden.message ?? 'no project ran on both';
  console.log(`\nNo comparison: depwarden outdated did not run (${why}). Re-run \`node bench/renovate.ts\` once it is built.`);
} else {
  console.log('\nSide by side (per package file and package; "same" columns over packages both looked up):');
  console.log(`${'project'.padEnd(40)} ${pad('R ms', 8)} ${pad('D ms', 8)} ${pad('R/D', 6)} ${pad('both', 5)} ${pad('only R', 6)} ${pad('only D', 6)} ${pad('outd. both/R/D', 15)} ${pad('same cur', 9)} ${pad('same latest', 12)} ${pad('same allowed', 13)} ${pad('=R major', 9)} ${pad('same type', 10)} ${pad('D pin', 6)}`);
  const tot = { both: 0, onlyR: 0, onlyD: 0, compared: 0, cur: 0, latest: 0, allowed: 0, allowedMajor: 0, pins: 0, type: 0, typed: 0, rMs: 0, dMs: 0 };
  for (const x of compared) {
    const s = x.summary!;
    const o = s.outdated;
    console.log(`${x.case.padEnd(40)} ${pad(fmt(x.renovate.ms), 8)} ${pad(fmt(x.depwarden.ms), 8)} ${pad((x.renovate.ms / x.depwarden.ms).toFixed(1), 6)} ${pad(s.both, 5)} ${pad(s.onlyRenovate, 6)} ${pad(s.onlyDepwarden, 6)} ${pad(`${o.both}/${o.onlyRenovate}/${o.onlyDepwarden}`, 15)} ${pad(`${s.sameCurrent}/${s.compared}`, 9)} ${pad(`${s.sameLatest}/${s.compared}`, 12)} ${pad(`${s.sameAllowed}/${s.compared}`, 13)} ${pad(s.allowedIsRenovateMajor, 9)} ${pad(`${s.sameType}/${s.typed}`, 10)} ${pad(s.depwardenPins, 6)}`);
    tot.both += s.both;
    tot.onlyR += s.onlyRenovate;
    tot.onlyD += s.onlyDepwarden;
    tot.compared += s.compared;
    tot.cur += s.sameCurrent;
    tot.latest += s.sameLatest;
    tot.allowed += s.sameAllowed;
    tot.allowedMajor += s.allowedIsRenovateMajor;
    tot.pins += s.depwardenPins;
    tot.type += s.sameType;
    tot.typed += s.typed;
    tot.rMs += x.renovate.ms;
    tot.dMs += x.depwarden.ms;
  }
  console.log(`\nSummary over ${compared.length} projects: ${tot.both} packages found by both, ${tot.onlyR} only by Renovate, ${tot.onlyD} only by depwarden;`);
  console.log(`  same current ${tot.cur}/${tot.compared}, same latest ${tot.latest}/${tot.compared}, allowed = Renovate's non-major ${tot.allowed}/${tot.compared}`);
  console.log(`  (+ ${tot.allowedMajor} where our policy allows the major Renovate proposes separately), same update type ${tot.type}/${tot.typed} (+ ${tot.pins} pins only depwarden proposes);`);
  console.log(`  total wall time Renovate ${fmt(tot.rMs)} ms vs depwarden ${fmt(tot.dMs)} ms (${(tot.rMs / tot.dMs).toFixed(1)}x).`);
  const diffs = compared.flatMap((x) => (x.pairs ?? []).filter((p) => p.differences.length || p.presence !== 'both').map((p) => `${x.case} ${p.file} ${p.name}: ${p.presence === 'both' ? p.differences.join('; ') : `only ${p.presence}${p.renovate?.skipReason ? ` (Renovate skipped: ${p.renovate.skipReason})` : ''}`}`));
  if (diffs.length) console.log(`\nDifferences (${diffs.length}; all in ${path.relative(REPO, OUT)}/results.json):\n  ${diffs.slice(0, 40).join('\n  ')}${diffs.length > 40 ? '\n  ...' : ''}`);
}
const failed = results.filter((x) => !x.renovate.ok || x.depwarden.state === 'failed');
for (const x of failed) console.log(`\nnot compared: ${x.case}: ${!x.renovate.ok ? `Renovate ${x.renovate.error}` : `depwarden ${x.depwarden.message}`}`);

writeFileSync(
  path.join(OUT, 'results.json'),
  `${JSON.stringify({ date: new Date().toISOString(), renovate: renovateVersion, node: nodeVersion, registry: REGISTRY, runs: RUNS, config: RENOVATE_CONFIG, results }, null, 2)}\n`,
);
console.log(`\nwritten: ${path.relative(REPO, path.join(OUT, 'results.json'))} (+ per-project Renovate reports and logs)`);
