// Benchmark of the advisory database and `depwarden audit`: 200,000 generated OSV advisories (about npm + PyPI
// together) imported from one zip, then an audit of the 200-service synthetic monorepo.
// Run: node bench/audit.ts        (writes under bench/out/, git-ignored)
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { strToU8, zipSync } from 'fflate';
import { measure, NODE, REPO } from './lib/measure.ts';
import { DEFAULT_SHAPE, rng, writeSyntheticMonorepo } from './lib/synthetic-monorepo.ts';

const ADVISORIES = 200_000;
const out = path.join(REPO, 'bench', 'out', 'audit');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const repo = path.join(out, 'monorepo');
writeSyntheticMonorepo(repo, DEFAULT_SHAPE);

// Advisories: 55% PyPI, 45% npm; one in twenty names a package the fleet locks (pkg-N), the rest other names.
const rand = rng(7);
const files: Record<string, Uint8Array> = {};
for (let i = 0; i < ADVISORIES; i++) {
  const pypi = rand() < 0.55;
  const name = rand() < 0.05 ? `pkg-${Math.floor(rand() * DEFAULT_SHAPE.universe)}` : `${pypi ? 'py' : 'js'}-lib-${Math.floor(rand() * 90_000)}`;
  const major = 1 + Math.floor(rand() * 5);
  const id = `${pypi ? 'PYSEC' : 'GHSA'}-BENCH-${i}`;
  const doc = {
    schema_version: '1.6.0',
    id,
    modified: `2024-0${1 + (i % 9)}-01T00:00:00Z`,
    aliases: [`CVE-2099-${i}`],
    summary: `generated advisory ${i}`,
    severity: i % 3 === 0 ? [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N' }] : [],
    affected: [
      {
        package: { ecosystem: pypi ? 'PyPI' : 'npm', name },
        ranges: [{ type: pypi ? 'ECOSYSTEM' : 'SEMVER', events: [{ introduced: `${major}.0.0` }, { fixed: `${major}.${5 + Math.floor(rand() * 10)}.0` }] }],
      },
    ],
    database_specific: { severity: 'MODERATE' },
  };
  files[`${id}.json`] = strToU8(JSON.stringify(doc));
}
// fflate writes no ZIP64, so one archive holds at most 65,535 entries: four archives of 50,000 in one folder,
// which `db import <dir>` reads like a mirror's per-ecosystem exports. (Reading ZIP64, as osv.dev's real npm
// export needs, fflate does.)
const advDir = path.join(out, 'advisories');
const names = Object.keys(files);
let zipBytes = 0;
for (let part = 0; part * 50_000 < names.length; part++) {
  const chunk: Record<string, Uint8Array> = {};
  for (const n of names.slice(part * 50_000, (part + 1) * 50_000)) chunk[n] = files[n]!;
  mkdirSync(path.join(advDir, `part-${part}`), { recursive: true });
  const zipPath = path.join(advDir, `part-${part}`, 'all.zip');
  writeFileSync(zipPath, zipSync(chunk, { level: 1 }));
  zipBytes += statSync(zipPath).size;
}
const zipPath = advDir;
console.log(`generated ${ADVISORIES} advisories: ${(zipBytes / 1e6).toFixed(1)} MB of zip; monorepo: ${DEFAULT_SHAPE.services} services x ${DEFAULT_SHAPE.packagesPerLock} locked packages`);

const cli = path.join(REPO, 'bin', 'depwarden.js');
const env = { DEPWARDEN_HOME: path.join(out, 'home') };
const imp = measure(NODE, [cli, 'db', 'import', zipPath], env);
if (imp.status !== 0) throw new Error(imp.stderr);
const dbDir = path.join(out, 'home', 'osv');
const size = (dir: string): number => readdirSync(dir, { withFileTypes: true }).reduce((n, e) => n + (e.isDirectory() ? size(path.join(dir, e.name)) : statSync(path.join(dir, e.name)).size), 0);
console.log(`import:  ${imp.ms.toFixed(0)} ms, peak ${imp.peakMb.toFixed(0)} MB; on disk ${(size(dbDir) / 1e6).toFixed(1)} MB`);

const runs: { ms: number; peakMb: number }[] = [];
for (let i = 0; i < 5; i++) {
  const a = measure(NODE, [cli, 'audit', repo, '--format', 'json', '-o', path.join(out, 'audit.json')], env);
  if (a.status !== 0 && a.status !== 1) throw new Error(a.stderr);
  runs.push(a);
}
const med = [...runs].sort((a, b) => a.ms - b.ms)[2]!;
const findings = (JSON.parse(readFileSync(path.join(out, 'audit.json'), 'utf8')) as { findings: unknown[] }).findings.length;
console.log(`audit:   median ${med.ms.toFixed(0)} ms, peak ${Math.max(...runs.map((r) => r.peakMb)).toFixed(0)} MB (5 runs; ${findings} findings; includes building the inventory)`);

