// Benchmark of `depwarden scan` and `check` on a synthetic 200-service monorepo, against the floor (reading and
// parsing the same files with the same parsers, nothing else) and against @cyclonedx/cdxgen on the same tree.
// Run: node bench/scan.ts [--runs 5] [--no-cdxgen] [--base <another checkout>]      (writes the tree under bench/out/, git-ignored;
// cdxgen is installed on first use into the peers cache dir at the version pinned in bench/lib/peers.ts)
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { measure, median, NODE, REPO } from './lib/measure.ts';
import { peerBin } from './lib/peers.ts';
import { DEFAULT_SHAPE, writeSyntheticMonorepo } from './lib/synthetic-monorepo.ts';

const args = process.argv.slice(2);
const runs = Number(args[args.indexOf('--runs') + 1] || 5) || 5;
const out = path.join(REPO, 'bench', 'out', 'scan-monorepo');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const { files } = writeSyntheticMonorepo(out, DEFAULT_SHAPE);
console.log(`synthetic monorepo: ${DEFAULT_SHAPE.services} services, ${DEFAULT_SHAPE.packagesPerLock} locked packages each, ${files} files`);

const cli = path.join(REPO, 'bin', 'depwarden.js');
function series(label: string, cmd: string, argv: string[], env: NodeJS.ProcessEnv = {}, n = runs): { ms: number; peakMb: number } {
  const ms: number[] = [];
  const mb: number[] = [];
  for (let i = 0; i < n; i++) {
    const m = measure(cmd, argv, env);
    if (m.status !== 0 && m.status !== 1) throw new Error(`${label} failed (${m.status}): ${m.stderr.slice(0, 500)}`);
    ms.push(m.ms);
    mb.push(m.peakMb);
  }
  const r = { ms: median(ms), peakMb: Math.max(...mb) };
  console.log(`${label.padEnd(22)} median ${r.ms.toFixed(0).padStart(6)} ms   peak ${r.peakMb.toFixed(0)} MB   (${n} runs)`);
  return r;
}

// --base <checkout>: that checkout's scan and check too, every command once per round in turn (the same load for
// all), so old and new code compare side by side on a shared machine.
const baseAt = args.indexOf('--base');
if (baseAt >= 0) {
  const base = path.resolve(args[baseAt + 1] ?? '');
  const cmds: [string, string[]][] = [
    ['floor (read+parse)', [path.join(REPO, 'bench', 'lib', 'parse-floor.ts'), out]],
    ...(['scan', 'check'] as const).flatMap((c): [string, string[]][] => [
      [`base ${c}`, [path.join(base, 'bin', 'depwarden.js'), c, out, '--format', 'json', '-o', '/dev/null']],
      [`depwarden ${c}`, [cli, c, out, '--format', 'json', '-o', '/dev/null']],
    ]),
  ];
  const got = new Map<string, { ms: number[]; mb: number[] }>(cmds.map(([l]) => [l, { ms: [], mb: [] }]));
  for (let i = 0; i < runs; i++) {
    for (const [label, argv] of cmds) {
      const m = measure(NODE, argv);
      if (m.status !== 0 && m.status !== 1) throw new Error(`${label} failed (${m.status}): ${m.stderr.slice(0, 500)}`);
      got.get(label)!.ms.push(m.ms);
      got.get(label)!.mb.push(m.peakMb);
    }
  }
  const floorMs = median(got.get('floor (read+parse)')!.ms);
  console.log(`interleaved, ${runs} rounds, base ${base}; 1-min load average ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]} at the end`);
  for (const [label, { ms, mb }] of got) console.log(`${label.padEnd(22)} median ${median(ms).toFixed(0).padStart(6)} ms   peak ${Math.max(...mb).toFixed(0)} MB   ${(median(ms) / floorMs).toFixed(2)}x the floor`);
  process.exit(0);
}

const floor = series('floor (read+parse)', NODE, [path.join(REPO, 'bench', 'lib', 'parse-floor.ts'), out]);
const scan = series('depwarden scan', NODE, [cli, 'scan', out, '--format', 'json', '-o', '/dev/null']);
const check = series('depwarden check', NODE, [cli, 'check', out, '--format', 'json', '-o', '/dev/null']);
console.log(`scan / floor = ${(scan.ms / floor.ms).toFixed(2)}x   check / floor = ${(check.ms / floor.ms).toFixed(2)}x`);

const cdxgen = args.includes('--no-cdxgen') ? undefined : peerBin('cdxgen');
if (!cdxgen) {
  console.log('cdxgen: skipped (--no-cdxgen, or it could not be installed)');
} else {
  // Network-free: no licence fetching, no package installs; the same poetry.lock files are its only input
  // (-t python: its docker/github types would pull images or call GitHub, which a fair offline run cannot).
  const env = { FETCH_LICENSE: 'false', CDXGEN_NO_INSTALL: 'true' };
  const c = series('cdxgen', NODE, [cdxgen, '-r', '-t', 'python', '-o', path.join(REPO, 'bench', 'out', 'cdxgen-scan.json'), '--no-install-deps', out], env, 1);
  const doc = JSON.parse(readFileSync(path.join(REPO, 'bench', 'out', 'cdxgen-scan.json'), 'utf8')) as { components?: unknown[] };
  console.log(`cdxgen found ${doc.components?.length ?? 0} components (it de-duplicates by purl across services)`);
  console.log(`cdxgen / depwarden scan = ${(c.ms / scan.ms).toFixed(1)}x`);
}
