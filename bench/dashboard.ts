// Benchmark of the dashboard (issue 15) with a 200-service fleet: server time of the overview's API answer and of
// a service page's requests (goal < 100 ms p50), the JavaScript a page loads, compressed (goal < 250 KB), and the
// time to a usable overview in Chromium on loopback (goal < 1 s).
// The fleet: 200 registered repositories of one service each, whose snapshots are the real analyses (check, audit,
// sbom) of 5 synthetic repositories of 150 locked packages (bench/lib/synthetic-monorepo.ts) against the shared
// OSV data, each repository with 10 audit snapshots of history, a build, coverage and a health sample. Written to
// the store directly (the cycle that computes them is bench/serve.ts's subject), against the real PostgreSQL.
// Run: node bench/dashboard.ts [--services 200] [--runs 30]        (writes under bench/out/dashboard, git-ignored)
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { chromium } from 'playwright-core';
import { createToken } from '../src/api/tokens.ts';
import { storeReportedBuild, storeReportedCoverage } from '../src/builds/reported.ts';
import { recordSample } from '../src/health/store.ts';
import { recordSnapshots } from '../src/history/snapshots.ts';
import { runAudit, runCheck, runSbom, type AnalysisEnv } from '../src/jobs/analyses.ts';
import { insertRepo, normaliseRepo, setLastCommit } from '../src/serve/repos.ts';
import { openStore } from '../src/store/store.ts';
import { assets } from '../src/web/assets.ts';
import { median, NODE, REPO } from './lib/measure.ts';
import { writeSyntheticMonorepo } from './lib/synthetic-monorepo.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => Number(args[args.indexOf(`--${name}`) + 1] || dflt) || dflt;
const SERVICES = opt('services', 200);
const RUNS = opt('runs', 30);
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const out = path.join(REPO, 'bench', 'out', 'dashboard');
const CLI = path.join(REPO, 'bin', 'depwarden.js');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
const home = path.join(out, 'home');
const imp = spawnSync(NODE, [CLI, 'db', 'import', path.resolve(REPO, '..', 'shared', 'data', 'osv')], { env: { ...process.env, DEPWARDEN_HOME: home }, encoding: 'utf8' });
if (imp.status !== 0) throw new Error(`db import failed: ${imp.stderr}`);
const advisoryDb = path.join(home, 'osv');

// Five distinct repositories, analysed for real once each.
const shapes: { dir: string; commit: string; check: Awaited<ReturnType<typeof runCheck>>; audit: Awaited<ReturnType<typeof runAudit>>; sbom: Awaited<ReturnType<typeof runSbom>> }[] = [];
for (let i = 0; i < 5; i++) {
  const dir = path.join(out, 'fleet', `shape-${i}`);
  writeSyntheticMonorepo(dir, { services: 1, packagesPerLock: 150, universe: 1200, seed: 1000 + i });
  execFileSync('sh', ['-c', 'git init -q -b main && git add -A && git -c commit.gpgsign=false commit -qm fleet'], { cwd: dir, env: gitEnv });
  const commit = execFileSync('git', ['-C', dir, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim();
  const ae: AnalysisEnv = { env: { ...process.env, DEPWARDEN_HOME: home }, now: new Date(), advisoryDb, cacheDir: path.join(out, 'cache'), note: () => {}, previous: async () => undefined };
  shapes.push({ dir, commit, check: await runCheck(dir, ae), audit: await runAudit(dir, ae), sbom: await runSbom(dir, `shape-${i}`, ae) });
}

const schema = `dw_bench_web_${Date.now().toString(36)}`;
const data = path.join(out, 'data');
mkdirSync(data, { recursive: true });
writeFileSync(path.join(data, 'serve.yaml'), 'jobs:\n  tickSeconds: 60\nlimits:\n  perToken: 0\n  perAddress: 0\n');
const env = { ...process.env, DATABASE_URL: PG, DEPWARDEN_DB_SCHEMA: schema, DEPWARDEN_HOME: home };
let proc: ChildProcess | undefined;
let url = '';
{
  // The schema and its migrations come from the server's first start; the fleet is written before the second.
  const first = await startServe();
  await stopServe(first);
}
const store = await openStore({ databaseUrl: PG, schema, dir: path.join(out, 'unused') });
const t0 = Date.now();
const now = Date.now();
for (let i = 0; i < SERVICES; i++) {
  const name = `repo-${String(i).padStart(3, '0')}`;
  const s = shapes[i % shapes.length]!;
  await insertRepo(store, normaliseRepo({ spec: s.dir, name }, REPO));
  await setLastCommit(store, name, s.commit);
  // History: 10 audits on 10 earlier commits (the newest is the real commit), then the latest check and sbom.
  for (let k = 9; k >= 1; k--) await store.transaction((q) => recordSnapshots(q, name, `${s.commit.slice(0, 38)}${String(k).padStart(2, '0')}`, 'audit', null, s.audit.map((x) => ({ ...x, detail: (x.detail as unknown[]).slice(0, Math.max(0, (x.detail as unknown[]).length - k)) }))));
  await store.transaction(async (q) => {
    await recordSnapshots(q, name, s.commit, 'audit', null, s.audit);
    await recordSnapshots(q, name, s.commit, 'check', null, s.check);
    await recordSnapshots(q, name, s.commit, 'sbom', null, s.sbom);
  });
  const service = s.check.find((x) => x.service)?.service ?? '';
  await storeReportedBuild(store, { repo: name, commit: s.commit, branch: 'main', service, status: i % 7 === 0 ? 'failure' : 'success', workflow: 'ci' }, new Date(now - i * 1000).toISOString());
  await storeReportedCoverage(store, { repo: name, commit: s.commit, branch: 'main', service, format: 'lcov', linesCovered: 500 + i, linesTotal: 1000, branchesCovered: null, branchesTotal: null }, new Date(now - i * 1000).toISOString());
  await recordSample(store, { repo: name, service, at: new Date(now - i * 1000).toISOString(), status: i % 11 === 0 ? 'down' : 'up', reason: 'bench', checks: [{ check: 'http', status: 'up', reason: 'ok', latencyMs: 10 + (i % 30) }] });
}
const token = (await createToken(store, 'bench', 'read', null)).token;
await store.close();
console.log(`fleet: ${SERVICES} repositories of one service (5 shapes of 150 locked packages), written in ${((Date.now() - t0) / 1000).toFixed(1)} s`);

const serving = await startServe();
const session = await fetch(`${url}/api/v1/session`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ token }) });
const cookie = session.headers.get('set-cookie')!.split(';')[0]!;
const timed = async (paths: string[]): Promise<number> => {
  const t = performance.now();
  await Promise.all(paths.map(async (p) => {
    const r = await fetch(`${url}${p}`, { headers: { cookie } });
    if (r.status >= 500) throw new Error(`${p}: ${r.status}`);
    await r.arrayBuffer();
  }));
  return performance.now() - t;
};
const sample = async (label: string, paths: string[]): Promise<{ label: string; p50: number; p95: number }> => {
  await timed(paths);
  const xs: number[] = [];
  for (let i = 0; i < RUNS; i++) xs.push(await timed(paths));
  xs.sort((a, b) => a - b);
  const r = { label, p50: median(xs), p95: xs[Math.min(xs.length - 1, Math.floor(xs.length * 0.95))]! };
  console.log(`${label}: p50 ${r.p50.toFixed(1)} ms, p95 ${r.p95.toFixed(1)} ms (${RUNS} runs)`);
  return r;
};
const fleetBytes = (await (await fetch(`${url}/api/v1/fleet`, { headers: { cookie } })).arrayBuffer()).byteLength;
const svc = 'repo-007';
const svcName = ((await (await fetch(`${url}/api/v1/repos/${svc}/services`, { headers: { cookie } })).json()) as { items: { name: string }[] }).items[0]!.name;
const b = `/api/v1/repos/${svc}`;
const q = `service=${encodeURIComponent(svcName)}`;
const servicePage = [b, `${b}/services`, `${b}/dependencies?${q}&limit=500`, `${b}/vulnerabilities?${q}&limit=500`, `${b}/findings?${q}&limit=500`, `${b}/history?kind=audit&${q}&limit=500`, `${b}/history?kind=outdated&${q}&limit=500`, `${b}/builds?${q}&limit=50`, `${b}/coverage?${q}&limit=200`, `${b}/health/${encodeURIComponent(svcName)}?limit=200`, `/api/v1/deploys?${q}`, '/api/v1/changes?limit=500'];
const results = [
  await sample(`overview: GET /api/v1/fleet (${SERVICES} rows, ${(fleetBytes / 1024).toFixed(0)} KB)`, ['/api/v1/fleet']),
  await sample('overview: the HTML shell GET /', ['/']),
  await sample(`service page: its ${servicePage.length} API requests in parallel (${svc})`, servicePage),
  await sample('vulnerabilities page: GET /api/v1/advisories', ['/api/v1/advisories']),
];

// JavaScript weight: what the overview loads (every module but the other pages) and the whole set, brotli.
const set = assets();
const br = (names: string[]): number => names.reduce((n, f) => n + (set.files.get(f)?.br.length ?? 0), 0);
const common = ['app.js', 'nav.js', 'dom.js', 'api.js'];
const overviewJs = br([...common, 'page-fleet.js']);
const serviceJs = br([...common, 'page-service.js', 'chart.js', 'uplot.js']);
const allJs = br([...set.files.keys()].filter((f) => f.endsWith('.js')));
console.log(`JavaScript, brotli: overview ${(overviewJs / 1024).toFixed(1)} KB, service page ${(serviceJs / 1024).toFixed(1)} KB, every module ${(allJs / 1024).toFixed(1)} KB`);

// Time to a usable overview: navigation to the summary bar and the table drawn (the router marks the body).
const profile = mkdtempSync(path.join(tmpdir(), 'dw-bench-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, { executablePath: '/usr/bin/chromium', headless: true, viewport: { width: 1280, height: 900 }, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
await ctx.addCookies([{ name: 'dw_session', value: cookie.split('=')[1]!, url }]);
const usable: number[] = [];
for (let i = 0; i < 6; i++) {
  const page = await ctx.newPage();
  const t = performance.now();
  await page.goto(`${url}/`);
  await page.waitForFunction(() => (globalThis as unknown as { document: { body: { dataset: Record<string, string> } } }).document.body.dataset.ready === 'fleet');
  usable.push(performance.now() - t);
  await page.close();
}
await ctx.close();
rmSync(profile, { recursive: true, force: true });
const cold = usable[0]!;
const warm = median(usable.slice(1));
console.log(`Chromium, navigation to a usable overview: first ${cold.toFixed(0)} ms (empty cache), then p50 ${warm.toFixed(0)} ms`);
await stopServe(serving);

{
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
  await c.end();
}
writeFileSync(path.join(out, 'result.json'), `${JSON.stringify({ services: SERVICES, runs: RUNS, results, js: { overviewJs, serviceJs, allJs }, chromium: { cold, warm } }, null, 2)}\n`);

async function startServe(): Promise<ChildProcess> {
  proc = spawn(NODE, [CLI, 'serve', '--listen', '127.0.0.1:0', '--data', data], { env, stdio: ['ignore', 'pipe', 'ignore'] });
  let s = '';
  proc.stdout!.on('data', (d: Buffer) => (s += d.toString()));
  for (let i = 0; i < 600; i++) {
    const m = /listening on (\S+)/.exec(s);
    if (m) {
      url = m[1]!;
      return proc;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve did not start');
}

async function stopServe(p: ChildProcess): Promise<void> {
  p.kill('SIGTERM');
  await new Promise((r) => (p.exitCode !== null ? r(null) : p.on('exit', r)));
}
