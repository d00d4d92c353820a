import type { UpdatesConfig } from '../config/sections/updates.ts';
import type { PackageReleases } from '../model/update.ts';
import { classifyUpdate, compareIn, satisfies } from '../versioning/constraint.ts';
import type { Candidate } from './candidates.ts';
import type { PlannedUpdate } from './plan.ts';
import { familiesOf, familyLabel } from './presets.ts';

/**
 * Grouping that relocks: updates that must land together are moved into one change before the plan is cut into
 * pull requests. Two kinds of links:
 *
 * - family: packages released together (the same source repository in registry metadata, a preset or a user
 *   family, a stub package and its package) in the same service and the same bucket (majors with majors,
 *   non-majors with non-majors, as separate pull requests, like Renovate's monorepo groups);
 * - peer: in one npm project, an update whose new version's peer range excludes the version in use of another
 *   planned package, when that package's planned version satisfies it (and the other way round: an update that
 *   a dependency's current peer range excludes goes with that dependency's update that accepts it).
 *
 * Linked updates form connected components (union-find, so cycles cost nothing); each component moves into the
 * group of its most demanding member (security > major > other). A component with a peer requirement no planned
 * version satisfies is taken out of its groups and held back with the reason: relocking it would fail.
 */
export interface Slot {
  kind: 'security' | 'major' | 'other';
  title: string;
  group?: string;
  updates: PlannedUpdate[];
  /** Why updates were moved into this slot, a line each (for the rationale). */
  together?: string[];
  /** A peer requirement no planned version satisfies: the change is held back with this reason. */
  blocked?: string;
}

const RANK: Record<Slot['kind'], number> = { security: 3, major: 2, other: 1 };
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

class UnionFind {
  #parent = new Map<string, string>();
  find(x: string): string {
    let p = this.#parent.get(x) ?? x;
    if (p === x) return x;
    p = this.find(p);
    this.#parent.set(x, p);
    return p;
  }
  union(a: string, b: string): void {
    const x = this.find(a);
    const y = this.find(b);
    // The smaller key is the root: the result does not depend on the order links were found in.
    if (x !== y) x < y ? this.#parent.set(y, x) : this.#parent.set(x, y);
  }
}

/** The npm project an update relocks in (peer ranges only constrain packages of one lock). */
const projectOf = (c: Candidate): string => c.unit?.manifest ?? c.file;

function peersAt(releases: Map<string, PackageReleases> | undefined, c: Candidate, version: string | undefined): Record<string, string> {
  if (!version) return {};
  return releases?.get(c.key)?.releases.find((r) => r.version === version)?.peerDependencies ?? {};
}

const okPeer = (range: string, version: string): boolean => satisfies('npm', range, version, { prereleases: true }) !== false;

export function linkUpdates(slots: Map<string, Slot>, cfg: UpdatesConfig, releases: Map<string, PackageReleases> | undefined, candidates: Candidate[]): void {
  const where = new Map<string, string>();
  const all: PlannedUpdate[] = [];
  for (const [key, s] of [...slots].sort(([a], [b]) => cmp(a, b)))
    for (const u of s.updates) {
      where.set(u.candidate.key, key);
      all.push(u);
    }
  const uf = new UnionFind();
  const why = new Map<string, string[]>();
  const note = (a: PlannedUpdate, line: string): void => {
    why.set(a.candidate.key, [...(why.get(a.candidate.key) ?? []), line]);
  };
  const problems = new Map<string, string>();

  // Family links.
  // `!== false` and `?? []`: a repository without depwarden.yaml reads the generated defaults file, which may
  // predate these options until `npm run docs` regenerates it.
  if (cfg.familyGrouping !== false) {
    const byFamily = new Map<string, PlannedUpdate[]>();
    for (const u of all) {
      if (u.security || u.candidate.target !== 'dependency') continue;
      const c = u.candidate;
      const scope = cfg.grouping === 'package' ? '' : c.service;
      const bucket = u.updateType === 'major' ? 'major' : 'other';
      const user = (cfg.families ?? []).map((f) => ({ name: f.name, ecosystem: f.ecosystem, packages: f.packages }));
      for (const fam of familiesOf(c.ecosystem, c.name, releases?.get(c.key)?.sourceUrl, user, cfg.familyPresets !== false)) {
        const k = `${c.ecosystem}\0${scope}\0${bucket}\0${fam}`;
        byFamily.set(k, [...(byFamily.get(k) ?? []), u]);
      }
    }
    for (const [k, us] of byFamily) {
      if (us.length < 2) continue;
      const label = familyLabel(k.split('\0')[3]!);
      const aligned = alignFamily(us, releases, k.split('\0')[2] === 'major');
      if (aligned) for (const u of us) note(u, aligned);
      for (const u of us.slice(1)) uf.union(us[0]!.candidate.key, u.candidate.key);
      for (const u of us) note(u, `${u.candidate.displayName} is released with ${us.filter((x) => x !== u).map((x) => x.candidate.displayName).join(', ')} (${label})`);
    }
  }

  // Peer links, within one npm project.
  const byProject = new Map<string, { planned: Map<string, PlannedUpdate>; current: Map<string, Candidate> }>();
  for (const c of candidates) {
    if (c.ecosystem !== 'npm' || c.target !== 'dependency') continue;
    const p = byProject.get(projectOf(c)) ?? { planned: new Map(), current: new Map() };
    p.current.set(c.name, c);
    byProject.set(projectOf(c), p);
  }
  for (const u of all) if (u.candidate.ecosystem === 'npm' && u.candidate.target === 'dependency') byProject.get(projectOf(u.candidate))?.planned.set(u.candidate.name, u);
  for (const { planned, current } of byProject.values()) {
    for (const u of planned.values()) {
      const c = u.candidate;
      // The new version's peers against what the other packages will be.
      for (const [q, range] of Object.entries(peersAt(releases, c, u.to)).sort(([a], [b]) => cmp(a, b))) {
        const qc = current.get(q);
        if (!qc?.current || okPeer(range, qc.current)) continue;
        const w = planned.get(q);
        if (w && okPeer(range, w.to)) {
          uf.union(c.key, w.candidate.key);
          note(u, `${c.displayName} ${u.to} requires ${q}@${range} (peer): planned with ${q} ${w.to}`);
        } else problems.set(c.key, `${c.displayName} ${u.to} requires ${q}@${range} (peer), but ${q} is ${qc.current}${w ? ` and its planned ${w.to} is outside that range too` : ' and no update of it into that range is planned'}`);
      }
      // Other packages' current peers against this update's new version.
      for (const p of [...current.values()].sort((a, b) => cmp(a.name, b.name))) {
        if (p === c) continue;
        const range = peersAt(releases, p, p.current)[c.name];
        if (!range || okPeer(range, u.to)) continue;
        const w = planned.get(p.name);
        const next = w ? peersAt(releases, w.candidate, w.to)[c.name] : undefined;
        if (w && (next === undefined || okPeer(next, u.to))) {
          uf.union(c.key, w.candidate.key);
          note(u, `${p.displayName} ${p.current} requires ${c.name}@${range} (peer), which ${u.to} is outside: planned with ${p.displayName} ${w.to}`);
        } else problems.set(c.key, `${p.displayName} ${p.current} requires ${c.name}@${range} (peer), which ${u.to} is outside${w ? `, and ${p.displayName} ${w.to} still does (${next})` : ', and no update of it is planned'}`);
      }
    }
  }

  // Components: move every member into the slot of the most demanding one.
  const comps = new Map<string, PlannedUpdate[]>();
  for (const u of all) {
    const r = uf.find(u.candidate.key);
    comps.set(r, [...(comps.get(r) ?? []), u]);
  }
  for (const members of [...comps.values()].sort((a, b) => cmp(a[0]!.candidate.key, b[0]!.candidate.key))) {
    const blocked = members.map((m) => problems.get(m.candidate.key)).filter((x): x is string => !!x);
    const keys = [...new Set(members.map((m) => where.get(m.candidate.key)!))];
    if (keys.length < 2 && !blocked.length) continue;
    const target = [...keys].sort((a, b) => RANK[slots.get(b)!.kind] - RANK[slots.get(a)!.kind] || cmp(a, b))[0]!;
    let into: Slot;
    let intoKey = target;
    if (blocked.length) {
      // Held back as one unit, whatever slots its members came from (the rest of those slots goes on).
      const top = members.reduce((a, b) => (RANK[kindOf(b, slots, where)] > RANK[kindOf(a, slots, where)] ? b : a));
      intoKey = `held:${top.candidate.ecosystem}:${top.candidate.name}:${top.to}:${top.candidate.service}`;
      into = { kind: kindOf(top, slots, where), title: titleOf(members), updates: [], blocked: [...new Set(blocked)].sort().join('; ') };
      slots.set(intoKey, into);
    } else into = slots.get(target)!;
    for (const m of members) {
      const from = where.get(m.candidate.key)!;
      if (from === intoKey) continue;
      const s = slots.get(from)!;
      s.updates = s.updates.filter((x) => x !== m);
      if (s.updates.length === 0) slots.delete(from);
      into.updates.push(m);
      where.set(m.candidate.key, intoKey);
    }
    into.together = [...new Set([...(into.together ?? []), ...members.flatMap((m) => why.get(m.candidate.key) ?? [])])].sort();
    if (into.kind !== 'other' && !into.group && into.updates.length > 1) into.title = titleOf(into.updates, into.kind === 'security' ? into.title : undefined);
  }
}

/**
 * A family released in lockstep with exact peer ranges (react-router and @react-router/*: `react-router@8.5.1`)
 * whose members' newest versions differ (not every package is published at every version) cannot relock at
 * those versions. Such a family moves to the newest version every member was released at, never beyond what
 * the policy allowed each member, never into another bucket (a major stays a major), and only when the members'
 * peer ranges agree there. Returns the rationale line, or undefined when nothing changed (no conflict, or no
 * such version: then the peer check holds the family back with the reason, as before).
 */
function alignFamily(us: PlannedUpdate[], releases: Map<string, PackageReleases> | undefined, major: boolean): string | undefined {
  if (us.some((u) => u.candidate.ecosystem !== 'npm' || !u.candidate.current)) return undefined;
  if (new Set(us.map((u) => u.to)).size < 2) return undefined;
  const conflictAt = (to: (u: PlannedUpdate) => string): boolean =>
    us.some((a) =>
      Object.entries(peersAt(releases, a.candidate, to(a))).some(([q, range]) => {
        const b = us.find((x) => x.candidate.name === q);
        return b !== undefined && !okPeer(range, to(b));
      }),
    );
  if (!conflictAt((u) => u.to)) return undefined;
  const usable = (u: PlannedUpdate): Set<string> =>
    new Set(
      (releases?.get(u.candidate.key)?.releases ?? [])
        .filter((r) => !r.yanked && !r.deprecated && !r.version.includes('-'))
        .map((r) => r.version)
        .filter((v) => compareIn('npm', v, u.to) <= 0 && (classifyUpdate('npm', u.candidate.current!, v) === 'major') === major && compareIn('npm', v, u.candidate.current!) > 0),
    );
  const sets = us.map(usable);
  const common = [...sets[0]!].filter((v) => sets.every((s) => s.has(v))).sort((a, b) => compareIn('npm', b, a));
  const v = common.find((x) => !conflictAt(() => x));
  if (!v) return undefined;
  const was = us.map((u) => `${u.candidate.displayName} ${u.to}`).join(', ');
  for (const u of us) {
    const t = classifyUpdate('npm', u.candidate.current!, v);
    u.to = v;
    if (t === 'major' || t === 'minor' || t === 'patch' || t === 'prerelease') u.updateType = t;
  }
  return `${v} is the newest version ${us.map((u) => u.candidate.displayName).sort().join(', ')} were all released at; their exact peer ranges need one version (newest each: ${was})`;
}

function kindOf(u: PlannedUpdate, slots: Map<string, Slot>, where: Map<string, string>): Slot['kind'] {
  return slots.get(where.get(u.candidate.key)!)?.kind ?? 'other';
}

function titleOf(updates: PlannedUpdate[], keep?: string): string {
  if (keep) return keep;
  const us = [...updates].sort((a, b) => cmp(a.candidate.displayName, b.candidate.displayName));
  const services = [...new Set(us.map((u) => u.candidate.service))];
  const names = us.length <= 3 ? us.map((u) => `${u.candidate.displayName} to ${u.to}`).join(', ') : `${us[0]!.candidate.displayName} and ${us.length - 1} related packages`;
  return `update ${names}${services.length === 1 ? ` in ${services[0]}` : ''}`;
}
