// `depwarden provenance` of the 200-service synthetic fleet (bench/lib/synthetic-monorepo.ts: 200 Poetry services,
// 150 locked packages each, 30,000 locked packages) from the cache: one run against a local PyPI stand-in fills the
// verdict cache (in-process), then the CLI runs with --offline and is measured (median of 5: wall time, peak RSS).
// Run: node_modules/.bin/node bench/provenance.ts
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { loadConfig } from '../src/config/load.ts';
import { buildInventory } from '../src/inventory/build.ts';
import { ProvenanceCache } from '../src/provenance/cache.ts';
import { runProvenance } from '../src/provenance/verify.ts';
import { registryLookup } from '../src/updates/registry-lookup.ts';
import { measure, median, NODE } from './lib/measure.ts';
import { writeSyntheticMonorepo } from './lib/synthetic-monorepo.ts';

const root = mkdtempSync(path.join(tmpdir(), 'dw-bench-prov-'));
const home = mkdtempSync(path.join(tmpdir(), 'dw-bench-home-'));
writeSyntheticMonorepo(root);
// The stand-in publishes exactly the files the locks pin.
const published = new Map<string, Map<string, string[]>>();
for (const svc of readdirSync(path.join(root, 'services'))) {
  const lock = readFileSync(path.join(root, 'services', svc, 'poetry.lock'), 'utf8');
  for (const m of lock.matchAll(/name = "(pkg-\d+)"\nversion = "([^"]+)"[\s\S]*?files = \[\n([\s\S]*?)\]/g)) {
    const hashes = [...m[3]!.matchAll(/hash = "sha256:([0-9a-f]+)"/g)].map((h) => h[1]!);
    if (!published.has(m[1]!)) published.set(m[1]!, new Map());
    published.get(m[1]!)!.set(m[2]!, hashes);
  }
}
const server = createServer((req, res) => {
  const m = /^\/pypi\/([^/]+)\/json$/.exec(req.url ?? '');
  const versions = m ? published.get(m[1]!) : undefined;
  if (!versions) return void res.writeHead(req.url?.startsWith('/v2/') ? 200 : 404, { 'docker-content-digest': decodeURIComponent((req.url ?? '').split('/').pop() ?? '') }).end();
  const releases = Object.fromEntries([...versions].map(([v, hs]) => [v, hs.map((h, i) => ({ filename: `${m![1]}-${v}.${i ? 'tar.gz' : 'whl'}`, url: `http://x/${h}`, digests: { sha256: h } }))]));
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ info: { name: m![1], version: [...versions.keys()].pop() }, releases }));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
writeFileSync(path.join(root, 'depwarden.yaml'), `updates:\n  registries:\n    pypi: ${url}/pypi\n    oci:\n      docker.io: ${url}\n`);
const env = { ...process.env, DEPWARDEN_HOME: home };
const { config } = await loadConfig(root);
const inv = await buildInventory(root, config);
const t0 = performance.now();
const { datasources } = registryLookup(config, { cacheDir: path.join(home, 'cache', 'http'), env, projectDir: root, inventory: inv });
const first = await runProvenance(inv, { config, datasources, cache: new ProvenanceCache(path.join(home, 'cache', 'provenance')), env });
const fill = performance.now() - t0;
server.close();
const locked = inv.services.reduce((n, s) => n + s.locked.length, 0);
console.log(`fleet: ${inv.services.length} services, ${locked} locked packages, ${first.packages.length} distinct package versions; filling the cache online: ${(fill / 1000).toFixed(1)} s, ${first.asked} asked, ${first.findings.length} findings`);
const runs = Array.from({ length: 5 }, () => measure(NODE, ['bin/depwarden.js', 'provenance', root, '--offline', '--format', 'json', '-o', path.join(home, 'out.json')], { DEPWARDEN_HOME: home }));
const out = JSON.parse(readFileSync(path.join(home, 'out.json'), 'utf8'));
console.log(`provenance --offline from the cache: median ${median(runs.map((r) => r.ms)).toFixed(0)} ms wall, peak ${median(runs.map((r) => r.peakMb)).toFixed(0)} MB; ${out.packages.length} verdicts, ${out.findings.length} findings (exit ${runs[0]!.status}) ${runs[0]!.stderr.trim()}`);
if (!process.env.BENCH_KEEP) rmSync(root, { recursive: true, force: true });
if (!process.env.BENCH_KEEP) rmSync(home, { recursive: true, force: true });
else console.log(`kept ${root} and ${home}`);
