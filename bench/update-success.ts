// The weekly update's success rate (issue 12, item 6), side by side with the pull requests Renovate would open:
// every npm project of the shared corpus (a folder with package.json + package-lock.json) is copied into a
// fresh git repository and `depwarden update . --local --force` runs there for real (edits, `npm install
// --package-lock-only` against the live registry, commits on branches). Renovate 44 runs its lookup on the same
// copy with its default grouping (`config:recommended`); each update in its report names the branch it would
// open, so the distinct branch names are its pull requests.
// Run: node bench/update-success.ts [--case <substring>] [--ecosystem npm|poetry]
//      (BENCH_JOBS=n projects at a time, default 2; results in bench/out/update-success/)
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { NODE, REPO } from './lib/measure.ts';
import { PEERS, peerBin, peerDir } from './lib/peers.ts';
import { isPackageRow, parseRenovateReport } from './lib/renovate-report.ts';
import { parseUpdateOutput, type UpdateRunOutput } from './lib/update-output.ts';

const CORPUS = path.resolve(REPO, '..', 'shared', 'corpus');
const OUT = path.join(REPO, 'bench', 'out', 'update-success');
const REGISTRY = process.env.DEPWARDEN_NPM_REGISTRY ?? 'https://registry.npmjs.org';
const TIMEOUT_MS = 10 * 60_000;
const args = process.argv.slice(2);
const only = args.includes('--case') ? args[args.indexOf('--case') + 1] : undefined;
const ecosystems = (args.includes('--ecosystem') ? args[args.indexOf('--ecosystem') + 1] : undefined) ?? 'all';

/**
 * Renovate as a new repository gets it: `config:recommended` (monorepo and recommended groups, one branch per
 * major, non-majors per package unless a group applies), minus what cannot run here or is not a package
 * update: onboarding, the dashboard, runtimes (engines/packageManager/volta, whose datasources are unreachable).
 */
const RENOVATE_CONFIG = {
  extends: ['config:recommended'],
  onboarding: false,
  requireConfig: 'ignored',
  enabledManagers: ['npm'],
  dependencyDashboard: false,
  npmrc: `registry=${REGISTRY}\n`,
  packageRules: [{ matchDepTypes: ['engines', 'packageManager', 'volta'], enabled: false }],
};

interface Child {
  ms: number;
  status: number | null;
  stdout: string;
  stderr: string;
}

/** A child process, asynchronously, so Renovate's lookup and our run of the same project overlap. */
function run(cmd: string, argv: string[], env: NodeJS.ProcessEnv, cwd: string, timeout = TIMEOUT_MS): Promise<Child> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const p = spawn(cmd, argv, { cwd, env: { ...process.env, ...env }, timeout });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    p.on('close', (status) => resolve({ ms: Date.now() - t0, status, stdout, stderr }));
    p.on('error', (e) => resolve({ ms: Date.now() - t0, status: null, stdout, stderr: `${stderr}${e.message}` }));
  });
}

/** Every folder of the corpus holding both files (a project with its lock), as paths relative to the corpus. */
function projectsWith(manifest: string, lock: string, tops: string[]): string[] {
  const found: string[] = [];
  const walk = (rel: string): void => {
    const abs = path.join(CORPUS, rel);
    const names = readdirSync(abs);
    if (names.includes(manifest) && names.includes(lock)) found.push(rel);
    for (const n of names) if (n !== 'node_modules' && statSync(path.join(abs, n)).isDirectory()) walk(path.join(rel, n));
  };
  for (const top of tops) if (existsSync(path.join(CORPUS, top))) walk(top);
  return found.sort();
}

function gitRepoOf(src: string, dest: string): void {
  cpSync(src, dest, { recursive: true });
  for (const a of [['init', '-q', '-b', 'main'], ['add', '-A'], ['-c', 'user.email=bench@depwarden.invalid', '-c', 'user.name=bench', 'commit', '-qm', 'corpus copy']]) {
    if (spawnSync('git', a, { cwd: dest, stdio: 'ignore' }).status !== 0) throw new Error(`git ${a[0]} failed in ${dest}`);
  }
}

interface RenovateSide {
  ok: boolean;
  error?: string;
  ms: number;
  updates: number;
  branches: string[];
  /** Updates per branch, to compare how much each pull request holds. */
  perBranch: Record<string, string[]>;
}

async function renovateOn(repo: string, tmp: string, slug: string): Promise<RenovateSide> {
  const renovate = path.join(peerDir('renovate'), 'node_modules', 'renovate', 'dist', 'renovate.js');
  const report = path.join(tmp, 'renovate-report.json');
  const t = await run(NODE, [renovate, '--platform=local', '--dry-run=lookup', '--report-type=file', `--report-path=${report}`], { RENOVATE_CONFIG: JSON.stringify(RENOVATE_CONFIG), RENOVATE_BASE_DIR: path.join(tmp, 'renovate-base'), LOG_LEVEL: 'info', LOG_FORMAT: 'json' }, repo);
  writeFileSync(path.join(OUT, `${slug}.renovate.log`), t.stdout + t.stderr);
  if (t.status !== 0 || !existsSync(report)) return { ok: false, error: `exit ${t.status}`, ms: t.ms, updates: 0, branches: [], perBranch: {} };
  const text = readFileSync(report, 'utf8');
  writeFileSync(path.join(OUT, `${slug}.renovate-report.json`), text);
  const perBranch: Record<string, string[]> = {};
  let updates = 0;
  for (const row of parseRenovateReport(text).rows.filter(isPackageRow)) {
    for (const u of row.updates) {
      if (!u.newVersion && !u.newValue) continue;
      updates++;
      const b = u.branchName ?? `(no branch) ${row.depName}`;
      (perBranch[b] ??= []).push(`${row.depName} ${row.currentVersion ?? row.currentValue ?? '?'} -> ${u.newVersion ?? u.newValue} (${u.updateType})`);
    }
  }
  return { ok: true, ms: t.ms, updates, branches: Object.keys(perBranch).sort(), perBranch };
}

interface DepwardenSide {
  ms: number;
  exit: number | null;
  output: UpdateRunOutput;
  stderrTail: string;
}

async function depwardenOn(repo: string, tmp: string, slug: string): Promise<DepwardenSide> {
  const home = path.join(tmp, 'dw-home');
  mkdirSync(home);
  const t = await run(NODE, [path.join(REPO, 'bin', 'depwarden.js'), 'update', '.', '--local', '--force'], { DEPWARDEN_HOME: home, DEPWARDEN_NPM_REGISTRY: REGISTRY }, repo);
  writeFileSync(path.join(OUT, `${slug}.depwarden.txt`), `${t.stdout}\n--- stderr ---\n${t.stderr}`);
  // Keep the relock logs of failed changes: the one-line cause is in the output, the npm error in these.
  const logs = path.join(repo, '.depwarden', 'updates');
  if (existsSync(logs)) for (const f of readdirSync(logs)) if (f.endsWith('.relock.log')) cpSync(path.join(logs, f), path.join(OUT, `${slug}.${f}`));
  return { ms: t.ms, exit: t.status, output: parseUpdateOutput(t.stdout), stderrTail: t.stderr.trim().split('\n').slice(-3).join(' | ') };
}

// ---------------------------------------------------------------------------------------------------------

const projects = projectsWith('package.json', 'package-lock.json', ['npm', 'monorepo']).filter((p) => ecosystems !== 'poetry' && (!only || p.includes(only)));
const poetryProjects = projectsWith('pyproject.toml', 'poetry.lock', ['poetry', 'monorepo']).filter((p) => ecosystems !== 'npm' && (!only || p.includes(only)));
mkdirSync(OUT, { recursive: true });
if (!peerBin('renovate')) {
  console.error(`renovate ${PEERS.renovate.version} could not be installed into ${peerDir('renovate')}`);
  process.exit(2);
}
console.log(`${projects.length} npm projects; registry ${REGISTRY}; Renovate ${PEERS.renovate.version} (config:recommended)\n`);

interface Row {
  project: string;
  depwarden: DepwardenSide;
  renovate: RenovateSide;
}
const rows: Row[] = [];
async function oneProject(p: string): Promise<void> {
  const slug = p.replace(/\//g, '__');
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-upd-'));
  try {
    // Two copies: Renovate's local platform must not see our branches or PR bodies, nor we its cache.
    gitRepoOf(path.join(CORPUS, p), path.join(tmp, 'dw'));
    gitRepoOf(path.join(CORPUS, p), path.join(tmp, 'rn'));
    const [d, r] = await Promise.all([depwardenOn(path.join(tmp, 'dw'), tmp, slug), renovateOn(path.join(tmp, 'rn'), tmp, slug)]);
    const o = d.output;
    console.log(`${p}: depwarden ${Math.round(d.ms / 1000)} s, ${o.changes.length} changes (${o.changes.filter((c) => c.status === 'committed').length} committed, ${o.changes.filter((c) => c.status === 'failed').length} failed); Renovate ${Math.round(r.ms / 1000)} s, ${r.ok ? `${r.branches.length} branches` : r.error}`);
    rows.push({ project: p, depwarden: d, renovate: r });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
// BENCH_JOBS projects at a time (default 2): the runs wait on the registry and npm far more than on the CPU,
// and one after the other the seven projects take about 25 minutes.
const queue = [...projects];
await Promise.all(
  Array.from({ length: Math.max(1, Number(process.env.BENCH_JOBS ?? 2)) }, async () => {
    for (let p = queue.shift(); p !== undefined; p = queue.shift()) await oneProject(p);
  }),
);
rows.sort((a, b) => (a.project < b.project ? -1 : 1));

// ---------------------------------------------------------------------------------------------------------

const sum = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);
console.log('\n| project | D planned | D committed | D failed | D deferred (held) | D updates in changes | D updates per change | R branches | R updates | R updates per branch | D wall | R wall |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
const tot = { planned: 0, committed: 0, failed: 0, deferred: 0, dUpdates: 0, rBranches: 0, rUpdates: 0 };
for (const x of rows) {
  const o = x.depwarden.output;
  const dUpdates = sum(o.changes.map((c) => c.updates.length));
  const deferred = sum(o.deferred.map((d) => d.changes));
  const committed = o.changes.filter((c) => c.status === 'committed').length;
  const failed = o.changes.filter((c) => c.status === 'failed').length;
  const perChange = o.changes.map((c) => c.updates.length).sort((a, b) => a - b).join('+') || '-';
  const perBranch = x.renovate.branches.length ? `${(x.renovate.updates / x.renovate.branches.length).toFixed(1)}` : '-';
  console.log(`| ${x.project} | ${o.changes.length} | ${committed} | ${failed} | ${deferred} | ${dUpdates} | ${perChange} | ${x.renovate.ok ? x.renovate.branches.length : 'failed'} | ${x.renovate.updates} | ${perBranch} | ${Math.round(x.depwarden.ms / 1000)} s | ${Math.round(x.renovate.ms / 1000)} s |`);
  tot.planned += o.changes.length;
  tot.committed += committed;
  tot.failed += failed;
  tot.deferred += deferred;
  tot.dUpdates += dUpdates;
  tot.rBranches += x.renovate.branches.length;
  tot.rUpdates += x.renovate.updates;
}
console.log(`| total | ${tot.planned} | ${tot.committed} | ${tot.failed} | ${tot.deferred} | ${tot.dUpdates} | | ${tot.rBranches} | ${tot.rUpdates} | | | |`);

for (const x of rows) {
  const o = x.depwarden.output;
  for (const c of o.changes.filter((c) => c.status !== 'committed' && c.status !== 'unchanged')) console.log(`\n${x.project}: ${c.slug} ${c.status}: ${c.error ?? '(no error line)'}\n  ${c.updates.map((u) => `${u.name} ${u.from} -> ${u.to}`).join(', ')}`);
  for (const d of o.deferred) console.log(`\n${x.project}: deferred ${d.changes} change(s): ${d.reason}\n  ${d.slugs.join(', ')}`);
  for (const n of o.notes) console.log(`\n${x.project}: ${n}`);
  if (!o.summary) console.log(`\n${x.project}: depwarden stopped early (exit ${x.depwarden.exit}): ${x.depwarden.stderrTail}`);
}

// Poetry projects: every lookup goes to PyPI, which this machine cannot reach, so nothing can be planned or
// relocked. Measured anyway (a dry run each) so the table states what happened rather than assuming it.
const poetryRows: { project: string; planned: number; unreachable: string[] }[] = [];
for (const p of poetryProjects) {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-upd-'));
  try {
    // The Poetry project alone (pyproject.toml + poetry.lock): a monorepo's root would also bring its images
    // and actions, whose lookups say nothing about Poetry.
    mkdirSync(path.join(tmp, 'src'));
    for (const f of ['pyproject.toml', 'poetry.lock']) cpSync(path.join(CORPUS, p, f), path.join(tmp, 'src', f));
    gitRepoOf(path.join(tmp, 'src'), path.join(tmp, 'dw'));
    mkdirSync(path.join(tmp, 'home'));
    const t = await run(NODE, [path.join(REPO, 'bin', 'depwarden.js'), 'update', '.', '--dry-run', '--force'], { DEPWARDEN_HOME: path.join(tmp, 'home') }, path.join(tmp, 'dw'), 120_000);
    const o = parseUpdateOutput(t.stdout);
    poetryRows.push({ project: p, planned: Number(/(\d+) change\(s\) planned/.exec(o.summary ?? '')?.[1] ?? 0), unreachable: o.notes.filter((n) => n.startsWith('UNREACHABLE')) });
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}
if (poetryRows.length) {
  console.log('\n| Poetry project (dry run) | changes planned | registries unreachable |');
  console.log('| --- | ---: | --- |');
  for (const r of poetryRows) console.log(`| ${r.project} | ${r.planned} | ${r.unreachable.map((u) => u.replace(/^UNREACHABLE: ([^:]+): (\d+) lookups? not done.*$/, '$1 ($2 lookups)')).join('; ') || '-'} |`);
}

// One results file per --case filter, so several filtered runs can go side by side.
const RESULTS = path.join(OUT, only || ecosystems !== 'all' ? `results-${(only ?? ecosystems).replace(/[^A-Za-z0-9._-]+/g, '_')}.json` : 'results.json');
writeFileSync(RESULTS, `${JSON.stringify({ date: new Date().toISOString(), registry: REGISTRY, renovate: PEERS.renovate.version, config: RENOVATE_CONFIG, rows, poetry: poetryRows }, null, 2)}\n`);
console.log(`\nwritten: ${path.relative(REPO, RESULTS)} (+ per-project output, Renovate reports and relock logs)`);
