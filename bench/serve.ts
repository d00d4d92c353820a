// Benchmark of `depwarden serve` (issue 13): 200 registered repositories (the synthetic fleet, one service of 150
// locked packages each, in its own git repository) checked in one full cycle (check + conflicts + audit + sbom) on
// 1 and on 2 serve processes against the real PostgreSQL; RSS idle and during the cycle; then the API under a
// bounded loopback load with autocannon (installed on demand, like the other peers).
// Run: node bench/serve.ts [--repos 200] [--requests 20000]      (writes under bench/out/serve, git-ignored)
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { NODE, REPO } from './lib/measure.ts';
import { installPeer, PEERS_ROOT } from './lib/peers.ts';
import { writeSyntheticMonorepo } from './lib/synthetic-monorepo.ts';
import { openStore } from '../src/store/store.ts';
import { insertRepo, normaliseRepo } from '../src/serve/repos.ts';
import { createToken } from '../src/api/tokens.ts';

const args = process.argv.slice(2);
const opt = (name: string, dflt: number): number => Number(args[args.indexOf(`--${name}`) + 1] || dflt) || dflt;
const REPOS = opt('repos', 200);
const REQUESTS = opt('requests', 20_000);
// The tick of the cycle; the API is measured at the default tick (60 s), so the poll does not compete with it.
const TICK = opt('tick', 2);
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const out = path.join(REPO, 'bench', 'out', 'serve');
const CLI = path.join(REPO, 'bin', 'depwarden.js');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });

const gitEnv = { ...process.env, GIT_AUTHOR_NAME: 'b', GIT_AUTHOR_EMAIL: 'b@b', GIT_COMMITTER_NAME: 'b', GIT_COMMITTER_EMAIL: 'b@b' };
const repos: string[] = [];
for (let i = 0; i < REPOS; i++) {
  const dir = path.join(out, 'fleet', `repo-${String(i).padStart(3, '0')}`);
  writeSyntheticMonorepo(dir, { services: 1, packagesPerLock: 150, universe: 1200, seed: 1000 + i });
  execFileSync('sh', ['-c', 'git init -q -b main && git add -A && git -c commit.gpgsign=false commit -qm fleet'], { cwd: dir, env: gitEnv });
  repos.push(dir);
}
console.log(`fleet: ${REPOS} repositories, 1 service and 150 locked packages each`);

// The advisory database the audit job reads: the shared OSV data, imported once.
const home = path.join(out, 'home');
const imp = spawnSync(NODE, [CLI, 'db', 'import', path.resolve(REPO, '..', 'shared', 'data', 'osv')], { env: { ...process.env, DEPWARDEN_HOME: home }, encoding: 'utf8' });
if (imp.status !== 0) throw new Error(`db import failed: ${imp.stderr}`);

const rssMb = (pid: number, field: 'VmRSS' | 'VmHWM'): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;

interface Proc {
  p: ChildProcess;
  url: string;
}

async function start(schema: string, data: string, extra: string[] = [], tick = TICK): Promise<Proc> {
  mkdirSync(data, { recursive: true });
  writeFileSync(path.join(data, 'serve.yaml'), `jobs:\n  tickSeconds: ${tick}\n  concurrency: 2\n  perCommit: [check, conflicts, audit, sbom]\nlimits:\n  perToken: 0\n  perAddress: 0\n`);
  const p = spawn(NODE, [CLI, 'serve', '--listen', '127.0.0.1:0', '--data', data, ...extra], { env: { ...process.env, DATABASE_URL: PG, DEPWARDEN_DB_SCHEMA: schema, DEPWARDEN_HOME: home }, stdio: ['ignore', 'pipe', 'ignore'] });
  let s = '';
  p.stdout!.on('data', (d: Buffer) => (s += d.toString()));
  for (let i = 0; i < 600; i++) {
    const m = /listening on (\S+)/.exec(s);
    if (m) return { p, url: m[1]! };
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error('serve did not start');
}

async function stopAll(ps: Proc[]): Promise<void> {
  for (const x of ps) x.p.kill('SIGTERM');
  await Promise.all(ps.map((x) => new Promise((r) => (x.p.exitCode !== null ? r(null) : x.p.on('exit', r)))));
}

async function cycle(workers: number): Promise<{ seconds: number; idleMb: number; peakMb: number; runs: number; failed: number; token: string; procs: Proc[]; schema: string }> {
  const schema = `dw_bench_${workers}_${Date.now().toString(36)}`;
  const procs: Proc[] = [];
  for (let i = 0; i < workers; i++) procs.push(await start(schema, path.join(out, `data-${workers}-${i}`)));
  await new Promise((r) => setTimeout(r, 5000));
  const idleMb = Math.max(...procs.map((x) => rssMb(x.p.pid!, 'VmRSS')));
  const store = await openStore({ databaseUrl: PG, schema, dir: path.join(out, 'unused') });
  const t0 = Date.now();
  for (const [i, dir] of repos.entries()) await insertRepo(store, normaliseRepo({ spec: dir, name: `repo-${String(i).padStart(3, '0')}` }, REPO));
  const token = (await createToken(store, 'bench', 'read', null)).token;
  const want = REPOS * 4;
  let done = 0;
  let failed = 0;
  while (done < want) {
    await new Promise((r) => setTimeout(r, 500));
    const r = (await store.query<{ done: string; failed: string }>("SELECT count(*) FILTER (WHERE outcome IN ('succeeded', 'failed')) AS done, count(*) FILTER (WHERE outcome = 'failed') AS failed FROM job_runs WHERE kind IN ('check', 'conflicts', 'audit', 'sbom')"))[0]!;
    done = Number(r.done);
    failed = Number(r.failed);
    if (Date.now() - t0 > 3_600_000) throw new Error('cycle did not end in an hour');
  }
  const seconds = (Date.now() - t0) / 1000;
  const peakMb = Math.max(...procs.map((x) => rssMb(x.p.pid!, 'VmHWM')));
  await store.close();
  console.log(`${workers} worker process${workers > 1 ? 'es' : ''}: cycle ${seconds.toFixed(1)} s for ${want} jobs (${failed} failed), idle RSS ${idleMb.toFixed(0)} MB, peak RSS ${peakMb.toFixed(0)} MB`);
  return { seconds, idleMb, peakMb, runs: want, failed, token, procs, schema };
}

const one = await cycle(1);
await stopAll(one.procs);
const two = await cycle(2);
// The API is measured on a replica restarted at the default tick: a 2 s poll of 200 repositories (200 `git
// rev-parse` every 2 s) is the cycle's setting, not a server's.
await stopAll(two.procs);
two.procs = [await start(two.schema, path.join(out, 'data-api'), [], 60)];
await new Promise((r) => setTimeout(r, 3000));

// API load on the first of the two replicas, cached reads (ETag revalidation is the client's choice; this is the
// full answer each time): the fleet overview and one repository's findings.
const ac = path.join(PEERS_ROOT, 'autocannon');
if (spawnSync(path.join(ac, 'node_modules', '.bin', 'autocannon'), ['--version']).status !== 0) installPeer(ac, 'autocannon@9.0.0');
const load = (url: string): { rps: number; p50: number; p99: number; non2xx: number } => {
  const r = spawnSync(path.join(ac, 'node_modules', '.bin', 'autocannon'), ['--json', '-c', '16', '-a', String(REQUESTS), '-H', `authorization=Bearer ${two.token}`, url], { encoding: 'utf8', maxBuffer: 1 << 26 });
  const j = JSON.parse(r.stdout) as { requests: { average: number }; latency: { p50: number; p99: number }; non2xx: number };
  return { rps: j.requests.average, p50: j.latency.p50, p99: j.latency.p99, non2xx: j.non2xx };
};
for (const [label, p] of [['fleet overview /api/v1/services (first page, 100)', '/api/v1/services'], ['one repository /api/v1/repos/repo-007/findings', '/api/v1/repos/repo-007/findings']] as const) {
  const r = load(`${two.procs[0]!.url}${p}`);
  console.log(`${label}: ${REQUESTS} requests, 16 connections: ${r.rps.toFixed(0)} req/s, p50 ${r.p50} ms, p99 ${r.p99} ms, non-2xx ${r.non2xx}`);
}
await stopAll(two.procs);

// The benchmark's schemas are not kept.
{
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG });
  await c.connect();
  for (const s of [one.schema, two.schema]) await c.query(`DROP SCHEMA IF EXISTS ${s} CASCADE; DROP SCHEMA IF EXISTS ${s}_boss CASCADE`);
  await c.end();
}
