// PubGrub benchmark: a synthetic universe of 2,000 packages x 30 versions with realistic constraint density
// (each version depends on 0-4 other packages with lower-bound or bounded ranges), solved from 25 top-level
// requirements; then the same with an injected diamond conflict that has no solution.
// Run: node bench/resolver.ts
import { type PackageSource, solve } from '../src/conflicts/resolver.ts';
import { rng } from './lib/synthetic-monorepo.ts';

const PACKAGES = 2000;
const VERSIONS = 30;
const rand = rng(11);
const ver = (i: number): string => `${1 + Math.floor(i / 10)}.${i % 10}.0`;
const versions = Array.from({ length: VERSIONS }, (_, i) => ver(i));
const deps = new Map<string, { name: string; lo: number; hi: number }[]>();
for (let p = 0; p < PACKAGES; p++) {
  for (let v = 0; v < VERSIONS; v++) {
    const n = Math.floor(rand() * 5);
    const list: { name: string; lo: number; hi: number }[] = [];
    for (let k = 0; k < n; k++) {
      // Dependencies point "down" the universe (like real layering), so the graph has depth but no cycles.
      const target = p + 1 + Math.floor(rand() * Math.min(200, PACKAGES - p - 1));
      if (target >= PACKAGES) continue;
      const lo = Math.floor(rand() * VERSIONS * 0.6);
      const hi = rand() < 0.5 ? VERSIONS : lo + 5 + Math.floor(rand() * 10);
      list.push({ name: `pkg-${target}`, lo, hi: Math.min(hi, VERSIONS) });
    }
    deps.set(`pkg-${p}@${ver(v)}`, list);
  }
}
const constraintText = (lo: number, hi: number): string => `>=${ver(lo)}${hi < VERSIONS ? `,<${ver(hi)}` : ''}`;
const index = new Map(versions.map((v, i) => [v, i]));
const source = (extra: Map<string, { name: string; lo: number; hi: number }[]> = new Map()): PackageSource => ({
  versions: (p) => (p.startsWith('pkg-') ? versions : []),
  dependencies: (p, v) => (extra.get(`${p}@${v}`) ?? deps.get(`${p}@${v}`) ?? []).map((d) => ({ name: d.name, constraint: constraintText(d.lo, d.hi) })),
  // The bench measures the solver, not the PEP 440 parser: constraints here are index ranges.
  allows: (_p, c, v) => {
    const m = /^>=([\d.]+)(?:,<([\d.]+))?$/.exec(c)!;
    const i = index.get(v)!;
    return i >= index.get(m[1]!)! && (m[2] === undefined || i < index.get(m[2])!);
  },
});
const reqs = Array.from({ length: 25 }, (_, i) => ({ name: `pkg-${i * 7}`, constraint: '>=1.0.0', from: `service-${i % 5}` }));

function run(label: string, src: PackageSource, rq: typeof reqs): void {
  const t0 = performance.now();
  const r = solve(src, rq);
  const ms = performance.now() - t0;
  console.log(`${label.padEnd(12)} ${r.ok ? `solved: ${r.solution.size} packages selected` : `no solution: explanation ${r.explanation.split('\n').length} lines, ${r.explanation.length} chars`}; ${ms.toFixed(0)} ms, ${r.steps} steps`);
  if (!r.ok) console.log(r.explanation);
}

run('solvable', source(), reqs);
// Diamond: two services pull the same leaf through two paths with disjoint ranges.
const extra = new Map<string, { name: string; lo: number; hi: number }[]>();
for (const v of versions) {
  extra.set(`pkg-1990@${v}`, [{ name: 'pkg-1999', lo: 0, hi: 10 }]);
  extra.set(`pkg-1991@${v}`, [{ name: 'pkg-1999', lo: 20, hi: 30 }]);
}
run('unsolvable', source(extra), [...reqs, { name: 'pkg-1990', constraint: '>=1.0.0', from: 'agent-x' }, { name: 'pkg-1991', constraint: '>=1.0.0', from: 'agent-y' }]);
