// Parse time of the largest real lock of each format read since issue 18, against its parse floor: the
// TOML / YAML / JSON parser alone on the same text; yarn.lock v1 has no generic parser, so its floor is Yarn's own
// (@yarnpkg/lockfile 1.1.0, installed on demand into the peers cache, bench/lib/peers.ts, no positions). In process,
// after warm-up; median of --runs.
// Command: node bench/parse-locks.ts [--runs 15]
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { parsePipfileLock } from '../src/formats/pipfile.ts';
import { parsePnpmLock } from '../src/formats/pnpm-lock.ts';
import { parseUvLock } from '../src/formats/uv-lock.ts';
import { parseYarnLock } from '../src/formats/yarn-lock.ts';
import { median } from './lib/measure.ts';
import { installPeer, PEERS_ROOT } from './lib/peers.ts';

function yarnLockfile(): { parse(text: string): unknown } {
  const dir = path.join(PEERS_ROOT, 'yarn-lockfile');
  if (!existsSync(path.join(dir, 'node_modules', '@yarnpkg', 'lockfile')) && !installPeer(dir, '@yarnpkg/lockfile@1.1.0', ['--ignore-scripts'])) {
    throw new Error('could not install @yarnpkg/lockfile@1.1.0');
  }
  return createRequire(path.join(dir, 'index.js'))('@yarnpkg/lockfile') as { parse(text: string): unknown };
}
const yarnV1 = yarnLockfile();

const FIX = path.resolve(import.meta.dirname, '..', 'test', 'fixtures', 'formats');
const runs = Number(process.argv[process.argv.indexOf('--runs') + 1] || 15) || 15;

const CASES: { format: string; file: string; parse: (t: string) => { data?: { packages: unknown[] } }; floorName: string; floor: (t: string) => unknown }[] = [
  { format: 'uv.lock', file: 'uv/pydantic-ai/uv.lock', parse: (t) => parseUvLock('uv.lock', t), floorName: 'smol-toml parse', floor: (t) => parseToml(t) },
  { format: 'pnpm-lock.yaml 9.0', file: 'pnpm/vite-v9/pnpm-lock.yaml', parse: (t) => parsePnpmLock('pnpm-lock.yaml', t), floorName: 'yaml parse', floor: (t) => parseYaml(t, { maxAliasCount: 1000, uniqueKeys: false }) },
  { format: 'pnpm-lock.yaml 6.0', file: 'pnpm/vite-v6/pnpm-lock.yaml', parse: (t) => parsePnpmLock('pnpm-lock.yaml', t), floorName: 'yaml parse', floor: (t) => parseYaml(t, { maxAliasCount: 1000, uniqueKeys: false }) },
  { format: 'yarn.lock berry', file: 'yarn/prettier-berry/yarn.lock', parse: (t) => parseYarnLock('yarn.lock', t), floorName: 'yaml parse', floor: (t) => parseYaml(t, { maxAliasCount: 1000, uniqueKeys: false }) },
  { format: 'yarn.lock v1', file: 'yarn/prettier-v1/yarn.lock', parse: (t) => parseYarnLock('yarn.lock', t), floorName: '@yarnpkg/lockfile parse', floor: (t) => yarnV1.parse(t) },
  { format: 'Pipfile.lock', file: 'pipenv/pipenv/Pipfile.lock', parse: (t) => parsePipfileLock('Pipfile.lock', t), floorName: 'JSON.parse', floor: (t) => JSON.parse(t) },
];

function time(f: () => unknown): number {
  for (let i = 0; i < 3; i++) f();
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) {
    const t0 = process.hrtime.bigint();
    f();
    xs.push(Number(process.hrtime.bigint() - t0) / 1e6);
  }
  return median(xs);
}

console.log(`| format | file | size | packages | depwarden | floor | vs floor |\n| --- | --- | ---: | ---: | ---: | ---: | ---: |`);
for (const c of CASES) {
  const text = readFileSync(path.join(FIX, c.file), 'utf8');
  const n = c.parse(text).data?.packages.length ?? 0;
  const ours = time(() => c.parse(text));
  const floor = time(() => c.floor(text));
  console.log(`| ${c.format} | ${c.file} | ${(text.length / 1024).toFixed(0)} KiB | ${n} | ${ours.toFixed(1)} ms | ${floor.toFixed(1)} ms (${c.floorName}) | ${(ours / floor).toFixed(2)}x |`);
}
