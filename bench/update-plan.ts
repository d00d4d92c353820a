/**
 * Planning benchmark (issue 6): a synthetic fleet with about 1,000 direct dependency declarations, registries
 * served from 127.0.0.1, `depwarden update --dry-run` (outdated + plan) with a cold and then a warm HTTP cache.
 *
 *   node bench/update-plan.ts            (BENCH_RUNS=3 warm runs by default)
 *
 * The registry runs in this process; the CLI runs as a child (spawned asynchronously so the server can answer),
 * timed with GNU time for its peak RSS.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { median, NODE, REPO } from './lib/measure.ts';
import { writeSyntheticMonorepo } from './lib/synthetic-monorepo.ts';

const SHAPE = { services: 77, packagesPerLock: 40, universe: 1200, seed: 7 };
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T06:00:00Z');

let requests = 0;
const server = createServer((req, res) => {
  requests++;
  const url = req.url ?? '/';
  const send = (body: unknown, headers: Record<string, string> = {}): void => {
    const text = JSON.stringify(body);
    res.writeHead(200, { 'content-type': 'application/json', etag: `"${createHash('sha1').update(text).digest('hex')}"`, ...headers }).end(text);
  };
  const py = /^\/pypi\/([^/]+)\/json$/.exec(url);
  if (py) {
    // Every synthetic package has releases 1.0.0 .. 6.19.9 on a grid, one every 20 days back from "now".
    const releases: Record<string, unknown[]> = {};
    let t = NOW;
    for (let major = 6; major >= 1; major--)
      for (let minor = 19; minor >= 0; minor -= 3)
        for (const patch of [9, 4, 0]) {
          t -= 20 * DAY;
          releases[`${major}.${minor}.${patch}`] = [{ filename: `${py[1]}-${major}.${minor}.${patch}-py3-none-any.whl`, url: `http://x/${py[1]}`, digests: { sha256: createHash('sha256').update(`${py[1]}${major}${minor}${patch}`).digest('hex') }, upload_time_iso_8601: new Date(t).toISOString(), yanked: false, requires_python: '>=3.8' }];
        }
    return send({ info: { name: py[1], version: '6.19.9' }, releases });
  }
  if (url.startsWith('/v2/library/python/tags/list')) return send({ name: 'library/python', tags: ['3.12-slim', '3.13-slim', '3.12.7-slim'] });
  if (url.startsWith('/v2/library/python/manifests/')) return send({ schemaVersion: 2, manifests: [] }, { 'docker-content-digest': `sha256:${createHash('sha256').update(url).digest('hex')}`, 'content-type': 'application/vnd.oci.image.index.v1+json' });
  if (/^\/repos\/actions\/[^/]+\/tags/.test(url)) return send([{ name: 'v5.3.0', commit: { sha: '0b93645e9fea7318ecaed2b359559ac225c90a2b' } }, { name: 'v4.2.2', commit: { sha: '11bd71901bbe5b1630ceea73d27597364c9af683' } }, { name: 'v5', commit: { sha: '0b93645e9fea7318ecaed2b359559ac225c90a2b' } }]);
  if (/^\/repos\/actions\/[^/]+\/releases/.test(url)) return send([]);
  res.writeHead(404).end('{}');
});

function runCli(args: string[], env: NodeJS.ProcessEnv): Promise<{ ms: number; peakMb: number; code: number | null; stdout: string }> {
  return new Promise((resolve) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '__PEAK_KB=%M', NODE, path.join(REPO, 'bin/depwarden.js'), ...args], { env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      const m = /__PEAK_KB=(\d+)/.exec(stderr);
      resolve({ ms: Number(process.hrtime.bigint() - t0) / 1e6, peakMb: m ? Number(m[1]) / 1024 : NaN, code, stdout });
    });
  });
}

await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
const root = mkdtempSync(path.join(tmpdir(), 'dw-bench-update-'));
const home = mkdtempSync(path.join(tmpdir(), 'dw-bench-home-'));
writeSyntheticMonorepo(root, SHAPE);
writeFileSync(path.join(root, 'depwarden.yaml'), `updates:\n  registries:\n    pypi: ${base}/pypi\n    npm: ${base}/npm\n    github: ${base}\n    oci:\n      docker.io: ${base}\n  cache:\n    maxAgeMinutes: 60\n`);
const env = { DEPWARDEN_HOME: home, SOURCE_DATE_EPOCH: String(NOW / 1000) };
const args = ['update', root, '--dry-run', '--force'];

requests = 0;
const cold = await runCli(args, env);
const coldRequests = requests;
const warm: Awaited<ReturnType<typeof runCli>>[] = [];
let warmRequests = 0;
for (let i = 0; i < RUNS; i++) {
  requests = 0;
  warm.push(await runCli(args, env));
  warmRequests = Math.max(warmRequests, requests);
}
const out = await runCli(['outdated', root, '--format', 'json', '--all'], env);
const entries = (JSON.parse(out.stdout) as { entries: { target: string; updateType?: string }[] }).entries;
const deps = entries.filter((e) => e.target === 'dependency').length;
const plan = /update: (\d+) change\(s\) planned, (\d+) deferred/.exec(warm[0]!.stdout);
console.log(`fleet: ${SHAPE.services} services, ${deps} dependency declarations, ${entries.length - deps} images/actions; ${entries.filter((e) => e.updateType).length} with an update`);
console.log(`plan: ${plan?.[1]} changes planned, ${plan?.[2]} deferred (exit ${cold.code})`);
console.log(`cold cache: ${cold.ms.toFixed(0)} ms, ${cold.peakMb.toFixed(0)} MB peak, ${coldRequests} registry requests`);
console.log(`warm cache: ${median(warm.map((w) => w.ms)).toFixed(0)} ms median of ${RUNS}, ${median(warm.map((w) => w.peakMb)).toFixed(0)} MB peak, ${warmRequests} registry requests`);
server.close();
if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
if (!process.env.BENCH_KEEP) rmSync(home, { recursive: true, force: true });
else console.log(`kept ${root} ${home}`);
