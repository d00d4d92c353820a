import type { Config } from '../config/schema.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { classifyUpdate, compareIn } from '../versioning/constraint.ts';

const SEVERITY: Record<'warn' | 'fail', Severity> = { warn: 'low', fail: 'high' };

/**
 * The same package at different versions across services (what each service runs: its locks, main and dev),
 * and the same image repository at different tags/digests. One finding per package, listing who runs what.
 */
export function drift(inv: Inventory, config: Config): Finding[] {
  const out: Finding[] = [];
  const policy = (key: string): 'allow' | 'warn' | 'fail' => config.conflicts.driftPackages[key] ?? config.conflicts.drift;

  // ecosystem -> name -> the services running each version, and where the package is first seen. Nested maps:
  // no joined key is built per locked package (a fleet has 30,000 of them).
  const byEcosystem = new Map<string, Map<string, { versions: Map<string, Set<string>>; where: Finding['location'] }>>();
  for (const s of inv.services) {
    for (const p of s.locked) {
      if (!p.version || p.link || p.workspace || p.source?.type === 'directory') continue;
      // npm nests several copies of one package in one lock: drift is about services, so top-level copies only.
      if (p.ecosystem === 'npm' && p.path !== `node_modules/${p.name}`) continue;
      let names = byEcosystem.get(p.ecosystem);
      if (!names) byEcosystem.set(p.ecosystem, (names = new Map()));
      let seen = names.get(p.normalizedName);
      if (!seen) names.set(p.normalizedName, (seen = { versions: new Map(), where: p.span }));
      const services = seen.versions.get(p.version);
      if (services) services.add(s.name);
      else seen.versions.set(p.version, new Set([s.name]));
    }
  }
  // In `ecosystem:name` order, as findings always came.
  const packages = [...byEcosystem].flatMap(([eco, names]) => [...names].map(([name, seen]) => ({ key: `${eco}:${name}`, eco, name, ...seen })));
  for (const { eco, name, versions, where } of packages.sort((a, b) => (a.key < b.key ? -1 : 1))) {
    // Two versions inside one service (a lock holding both) is not drift between services.
    if (versions.size < 2 || new Set([...versions.values()].flatMap((v) => [...v])).size < 2) continue;
    const action = policy(name);
    if (action === 'allow') continue;
    const sorted = [...versions.keys()].sort((a, b) => compareIn(eco, a, b));
    const lowest = sorted[0]!;
    const highest = sorted[sorted.length - 1]!;
    const step = classifyUpdate(eco as 'PyPI' | 'npm', lowest, highest);
    const detail = sorted.map((v) => `${v}: ${[...versions.get(v)!].sort().join(', ')}`).join('\n');
    out.push({
      ruleId: 'DW110',
      severity: SEVERITY[action],
      message: `${name} runs at ${sorted.length} versions across services (${sorted.join(', ')})${step === 'major' ? ': a major-version split' : ''}`,
      hint: `Align on ${highest}, or allow this split (conflicts.driftPackages.${name}: allow).`,
      detail,
      location: where,
      subject: name,
      properties: { versions: sorted, step },
    });
  }

  const images = new Map<string, Map<string, Set<string>>>();
  const imgWhere = new Map<string, Finding['location']>();
  for (const s of inv.services) {
    for (const i of s.images) {
      if (i.unresolved.length || !i.repository) continue;
      const key = `${i.registry ?? 'docker.io'}/${i.repository}`;
      const ref = i.digest ? `${i.tag ?? ''}@${i.digest.slice(0, 19)}` : (i.tag ?? 'latest');
      const refs = images.get(key) ?? new Map<string, Set<string>>();
      refs.set(ref, (refs.get(ref) ?? new Set()).add(s.name));
      images.set(key, refs);
      if (!imgWhere.has(key)) imgWhere.set(key, i.span);
    }
  }
  for (const [key, refs] of [...images].sort(([a], [b]) => (a < b ? -1 : 1))) {
    if (refs.size < 2 || new Set([...refs.values()].flatMap((v) => [...v])).size < 2) continue;
    const action = policy(key);
    if (action === 'allow') continue;
    const sorted = [...refs.keys()].sort();
    out.push({
      ruleId: 'DW111',
      severity: SEVERITY[action],
      message: `image ${key} is used at ${sorted.length} different references (${sorted.join(', ')})`,
      hint: `Use one tag and digest everywhere, or allow it (conflicts.driftPackages."${key}": allow).`,
      detail: sorted.map((r) => `${r}: ${[...refs.get(r)!].sort().join(', ')}`).join('\n'),
      location: imgWhere.get(key)!,
      subject: key,
    });
  }
  return out;
}

