/**
 * A PubGrub solver (Weizenbaum, "PubGrub: Next-Generation Version Solving") over an abstract package source.
 * Versions of each package are a finite, known list, so every term is an exact set of versions: set algebra is
 * exact and there is no range arithmetic to get wrong. When there is no solution, the derivation of the final
 * incompatibility is turned into an explanation a person can follow.
 */
export interface PackageSource {
  /** Every version of a package, in ascending order (empty when the package is unknown). */
  versions(pkg: string): string[];
  /** What `pkg@version` requires: name and the set of versions its constraint allows. */
  dependencies(pkg: string, version: string): { name: string; constraint: string }[];
  /** Does `version` of `pkg` satisfy `constraint` (the source knows its ecosystem's syntax)? */
  allows(pkg: string, constraint: string, version: string): boolean;
}

type VSet = Set<string>;

interface Term {
  pkg: string;
  positive: boolean;
  /** The versions the term is about: "pkg in set" (positive) or "not (pkg in set)" (negative). */
  set: VSet;
  /** Text of the constraint that produced the set, for explanations. */
  label?: string;
}

type Cause =
  | { kind: 'root' }
  | { kind: 'noVersions' }
  | { kind: 'dependency'; pkg: string; version: string; dep: string; constraint: string; origin?: boolean }
  | { kind: 'derived'; left: Incompatibility; right: Incompatibility };

export interface Incompatibility {
  terms: Term[];
  cause: Cause;
}

interface Assignment {
  term: Term;
  level: number;
  decision: boolean;
  cause?: Incompatibility;
}

export type SolveResult = { ok: true; solution: Map<string, string>; steps: number } | { ok: false; explanation: string; incompatibility: Incompatibility; steps: number };

export const ROOT = '(root)';

export function solve(source: PackageSource, requirements: { name: string; constraint: string; from?: string }[], opts: { maxSteps?: number } = {}): SolveResult {
  // Requirements may name their origin ("agent-x needs pydantic <2"): each origin becomes a virtual package the
  // root depends on, so explanations say who asked for what.
  const origins = new Map<string, { name: string; constraint: string }[]>();
  const rootDeps: { name: string; constraint: string }[] = [];
  for (const r of requirements) {
    if (!r.from) rootDeps.push({ name: r.name, constraint: r.constraint });
    else {
      if (!origins.has(r.from)) rootDeps.push({ name: r.from, constraint: '*' });
      origins.set(r.from, [...(origins.get(r.from) ?? []), { name: r.name, constraint: r.constraint }]);
    }
  }
  const depsMemo = new Map<string, { name: string; constraint: string }[]>();
  const depsOf = (pkg: string, version: string): { name: string; constraint: string }[] => {
    if (pkg === ROOT) return rootDeps;
    const o = origins.get(pkg);
    if (o) return o;
    const key = `${pkg}@${version}`;
    let d = depsMemo.get(key);
    if (!d) depsMemo.set(key, (d = source.dependencies(pkg, version)));
    return d;
  };
  const universe = new Map<string, string[]>();
  const all = (pkg: string): string[] => {
    let u = universe.get(pkg);
    if (!u) universe.set(pkg, (u = pkg === ROOT || origins.has(pkg) ? ['0'] : source.versions(pkg)));
    return u;
  };
  const setOf = (pkg: string, constraint: string): VSet => new Set(all(pkg).filter((v) => (origins.has(pkg) ? true : source.allows(pkg, constraint, v))));

  const incompatibilities = new Map<string, Incompatibility[]>();
  const addIncompat = (inc: Incompatibility): void => {
    for (const t of inc.terms) incompatibilities.set(t.pkg, [...(incompatibilities.get(t.pkg) ?? []), inc]);
  };
  const assignments: Assignment[] = [];
  let level = 0;
  let steps = 0;

  // Assignments indexed by package, and each package's accumulated state cached until its assignments change.
  const byPkg = new Map<string, number[]>();
  const cache = new Map<string, { allowed: VSet; required: boolean }>();
  const push = (a: Assignment): void => {
    assignments.push(a);
    byPkg.set(a.term.pkg, [...(byPkg.get(a.term.pkg) ?? []), assignments.length - 1]);
    cache.delete(a.term.pkg);
  };
  const pop = (): void => {
    const a = assignments.pop()!;
    byPkg.get(a.term.pkg)!.pop();
    cache.delete(a.term.pkg);
  };
  // Accumulated state of a package from the assignments (up to index `upto`, exclusive).
  const state = (pkg: string, upto = assignments.length): { allowed: VSet; required: boolean } => {
    const full = upto === assignments.length;
    if (full && cache.has(pkg)) return cache.get(pkg)!;
    let allowed: VSet = new Set(all(pkg));
    let required = false;
    for (const i of byPkg.get(pkg) ?? []) {
      if (i >= upto) break;
      const a = assignments[i]!;
      if (a.term.positive) {
        required = true;
        allowed = new Set([...allowed].filter((v) => a.term.set.has(v)));
      } else allowed = new Set([...allowed].filter((v) => !a.term.set.has(v)));
    }
    if (full) cache.set(pkg, { allowed, required });
    return { allowed, required };
  };
  const relation = (t: Term, upto?: number): 'satisfied' | 'contradicted' | 'inconclusive' => {
    const { allowed, required } = state(t.pkg, upto);
    const inside = [...allowed].filter((v) => t.set.has(v)).length;
    if (t.positive) {
      if (required && inside === allowed.size) return 'satisfied';
      if (inside === 0) return 'contradicted';
      return 'inconclusive';
    }
    if (inside === 0) return 'satisfied';
    if (required && inside === allowed.size) return 'contradicted';
    return 'inconclusive';
  };
  const negate = (t: Term): Term => ({ ...t, positive: !t.positive });

  addIncompat({ terms: [{ pkg: ROOT, positive: false, set: new Set(['0']) }], cause: { kind: 'root' } });

  const propagate = (start: string): Incompatibility | undefined => {
    const changed = [start];
    while (changed.length) {
      const pkg = changed.pop()!;
      for (const inc of [...(incompatibilities.get(pkg) ?? [])].reverse()) {
        let unsatisfied: Term | undefined;
        let count = 0;
        let contradicted = false;
        for (const t of inc.terms) {
          const r = relation(t);
          if (r === 'contradicted') {
            contradicted = true;
            break;
          }
          if (r === 'inconclusive') {
            count++;
            unsatisfied = t;
            if (count > 1) break;
          }
        }
        if (contradicted || count > 1) continue;
        if (count === 0) {
          const learned = resolveConflict(inc);
          if (!learned) return inc; // fails all the way up: no solution
          const t = learned.terms.find((x) => relation(x) !== 'satisfied');
          if (!t) return learned;
          push({ term: negate(t), level, decision: false, cause: learned });
          changed.length = 0;
          changed.push(t.pkg);
          break;
        }
        push({ term: negate(unsatisfied!), level, decision: false, cause: inc });
        changed.push(unsatisfied!.pkg);
      }
    }
    return undefined;
  };

  let failure: Incompatibility | undefined;
  const resolveConflict = (start: Incompatibility): Incompatibility | undefined => {
    let inc = start;
    let newIncompat = false;
    for (;;) {
      if (inc.terms.length === 0 || (inc.terms.length === 1 && inc.terms[0]!.pkg === ROOT && !inc.terms[0]!.positive) || (inc.terms.every((t) => t.pkg === ROOT))) {
        failure = inc;
        return undefined;
      }
      // The earliest assignment after which the incompatibility is satisfied.
      let satisfierIdx = -1;
      let term: Term | undefined;
      for (let i = 1; i <= assignments.length; i++) {
        if (inc.terms.every((t) => relation(t, i) === 'satisfied')) {
          satisfierIdx = i - 1;
          term = inc.terms.find((t) => t.pkg === assignments[i - 1]!.term.pkg && relation(t, i - 1) !== 'satisfied') ?? inc.terms.find((t) => t.pkg === assignments[i - 1]!.term.pkg);
          break;
        }
      }
      if (satisfierIdx < 0 || !term) {
        failure = inc;
        return undefined;
      }
      const satisfier = assignments[satisfierIdx]!;
      let previousLevel = 0;
      for (const t of inc.terms) {
        if (t === term) continue;
        for (let i = 1; i <= satisfierIdx + 1; i++) {
          if (relation(t, i) === 'satisfied') {
            previousLevel = Math.max(previousLevel, assignments[i - 1]!.level);
            break;
          }
        }
      }
      if (satisfier.decision || previousLevel !== satisfier.level) {
        if (newIncompat) addIncompat(inc);
        // Backtrack: drop everything above previousLevel.
        while (assignments.length && assignments[assignments.length - 1]!.level > previousLevel) pop();
        level = previousLevel;
        return inc;
      }
      const cause = satisfier.cause!;
      const merged = new Map<string, Term>();
      const put = (t: Term): void => {
        const prev = merged.get(t.pkg);
        if (!prev) merged.set(t.pkg, t);
        else merged.set(t.pkg, intersectTerms(prev, t, all(t.pkg)));
      };
      for (const t of inc.terms) if (t.pkg !== term.pkg) put(t);
      for (const t of cause.terms) if (t.pkg !== satisfier.term.pkg) put(t);
      // If the satisfier only partly satisfies the term, keep the part it does not cover.
      const satSet = stateSet(satisfier.term, all(term.pkg));
      const termSet = stateSet(term, all(term.pkg));
      const rest = new Set([...satSet].filter((v) => !termSet.has(v)));
      if (rest.size > 0) put({ pkg: term.pkg, positive: false, set: rest });
      inc = { terms: [...merged.values()].filter((t) => !(t.positive === false && t.set.size === 0)), cause: { kind: 'derived', left: inc, right: cause } };
      newIncompat = true;
    }
  };

  let next: string | undefined = ROOT;
  const maxSteps = opts.maxSteps ?? 200_000;
  for (;;) {
    if (++steps > maxSteps) throw new Error(`resolution did not finish within ${maxSteps} steps`);
    const conflict = propagate(next!);
    if (conflict || failure) {
      const f = failure ?? conflict!;
      return { ok: false, explanation: explain(f, new Set(origins.keys())), incompatibility: f, steps };
    }
    // Choose: a required, undecided package with the fewest allowed versions (fail fast), highest version first.
    const decided = new Set(assignments.filter((a) => a.decision).map((a) => a.term.pkg));
    let choice: { pkg: string; allowed: string[] } | undefined;
    for (const pkg of new Set(assignments.map((a) => a.term.pkg))) {
      if (decided.has(pkg)) continue;
      const s = state(pkg);
      if (!s.required) continue;
      const allowed = all(pkg).filter((v) => s.allowed.has(v));
      if (!choice || allowed.length < choice.allowed.length) choice = { pkg, allowed };
    }
    if (!choice) {
      const solution = new Map<string, string>();
      for (const a of assignments) if (a.decision && a.term.pkg !== ROOT && !origins.has(a.term.pkg)) solution.set(a.term.pkg, [...a.term.set][0]!);
      return { ok: true, solution, steps };
    }
    const { pkg, allowed } = choice;
    if (allowed.length === 0) {
      const s = state(pkg);
      addIncompat({ terms: [{ pkg, positive: true, set: s.allowed }], cause: { kind: 'noVersions' } });
      next = pkg;
      continue;
    }
    const version = allowed[allowed.length - 1]!;
    let conflictNow = false;
    for (const d of depsOf(pkg, version)) {
      // Fold: every version of pkg that has the same constraint on d shares one incompatibility, as ranges do in
      // PubGrub proper — fewer backtracks and explanations that speak of ranges, not single versions.
      const same = all(pkg).filter((v) => v === version || depsOf(pkg, v).some((x) => x.name === d.name && x.constraint === d.constraint));
      const inc: Incompatibility = {
        terms: [
          { pkg, positive: true, set: new Set(same), ...(same.length > 1 ? { label: rangeText(same, all(pkg)) } : {}) },
          { pkg: d.name, positive: false, set: setOf(d.name, d.constraint), label: d.constraint },
        ],
        cause: { kind: 'dependency', pkg, version: same.length > 1 ? rangeText(same, all(pkg)) : version, dep: d.name, constraint: d.constraint, ...(origins.has(pkg) ? { origin: true } : {}) },
      };
      addIncompat(inc);
      if (inc.terms.every((t) => t.pkg === pkg || relation(t) === 'satisfied')) conflictNow = true;
    }
    if (!conflictNow) {
      level++;
      push({ term: { pkg, positive: true, set: new Set([version]) }, level, decision: true });
    }
    next = pkg;
  }
}

/** The versions a term allows (positive) or forbids (negative), for set arithmetic. */
function stateSet(t: Term, universe: string[]): VSet {
  return t.positive ? t.set : new Set(universe.filter((v) => !t.set.has(v)));
}

function intersectTerms(a: Term, b: Term, universe: string[]): Term {
  const sa = stateSet(a, universe);
  const sb = stateSet(b, universe);
  const both = new Set([...sa].filter((v) => sb.has(v)));
  if (a.positive || b.positive) return { pkg: a.pkg, positive: true, set: both, ...(a.label && a.positive ? { label: a.label } : b.label && b.positive ? { label: b.label } : {}) };
  return { pkg: a.pkg, positive: false, set: new Set(universe.filter((v) => !both.has(v))) };
}

/** A set of versions in words: "any version", ">=1.2.0, <=1.9.0" when contiguous in the universe, else a list. */
export function rangeText(set: string[], universe: string[]): string {
  if (set.length === universe.length) return 'any version';
  const idx = set.map((v) => universe.indexOf(v)).sort((a, b) => a - b);
  const contiguous = idx.every((x, i) => i === 0 || x === idx[i - 1]! + 1);
  if (set.length === 1) return universe[idx[0]!]!;
  if (contiguous) {
    const lo = universe[idx[0]!]!;
    const hi = universe[idx[idx.length - 1]!]!;
    if (idx[0] === 0) return `<=${hi}`;
    if (idx[idx.length - 1] === universe.length - 1) return `>=${lo}`;
    return `>=${lo}, <=${hi}`;
  }
  return set.length <= 4 ? idx.map((i) => universe[i]).join(' or ') : `${set.length} versions (${universe[idx[0]!]} … ${universe[idx[idx.length - 1]!]})`;
}

function setText(t: Term): string {
  if (t.label && !t.positive) return t.label;
  if (t.label) return t.label;
  const vs = [...t.set];
  if (vs.length === 0) return '(no version)';
  if (vs.length <= 3) return vs.join(' or ');
  return `${vs.length} versions (${vs[0]} … ${vs[vs.length - 1]})`;
}

function name(pkg: string): string {
  return pkg === ROOT ? 'the services' : pkg;
}

/** One line of the derivation for an incompatibility, in words. */
export function describe(inc: Incompatibility, origins: Set<string> = new Set()): string {
  const ver = (t: Term): string => (t.pkg === ROOT || origins.has(t.pkg) ? '' : ` ${setText(t)}`);
  const c = inc.cause;
  if (c.kind === 'root') return 'the services are selected';
  if (c.kind === 'dependency') {
    if (c.pkg === ROOT) return `the services include ${c.dep}`;
    return c.origin ? `${c.pkg} needs ${c.dep} ${c.constraint || '(any)'}` : `${c.pkg} ${c.version} depends on ${c.dep} ${c.constraint || '(any)'}`;
  }
  if (c.kind === 'noVersions') {
    const t = inc.terms[0]!;
    return `no version of ${t.pkg} matches ${setText(t)}`;
  }
  const terms = inc.terms.filter((t) => t.pkg !== ROOT || !t.positive);
  if (terms.length === 0 || (inc.terms.length === 1 && inc.terms[0]!.pkg === ROOT)) return 'the services cannot be satisfied';
  const pos = terms.filter((t) => t.positive);
  const neg = terms.filter((t) => !t.positive);
  if (pos.length === 1 && neg.length === 1) return `${name(pos[0]!.pkg)}${ver(pos[0]!)} requires ${neg[0]!.pkg} ${setText(neg[0]!)}`;
  if (pos.length === 1 && neg.length === 0) return `${name(pos[0]!.pkg)}${ver(pos[0]!)} cannot be used`;
  if (pos.length >= 2 && neg.length === 0) return `${pos.map((t) => `${name(t.pkg)}${ver(t)}`).join(' and ')} are incompatible`;
  if (pos.length === 0 && neg.length === 1) return `${neg[0]!.pkg} ${setText(neg[0]!)} is required`;
  if (pos.length === 0) return `one of ${neg.map((t) => `${t.pkg} ${setText(t)}`).join(', ')} is required`;
  return `${pos.map((t) => `${name(t.pkg)}${ver(t)}`).join(' and ')} require${pos.length > 1 ? '' : 's'} ${neg.map((t) => `${t.pkg} ${setText(t)}`).join(' or ')}`;
}

/** "Because A and B, C." lines from the leaves of the derivation up to the final conclusion. */
export function explain(inc: Incompatibility, origins: Set<string> = new Set()): string {
  const lines: string[] = [];
  const seen = new Map<Incompatibility, number>();
  const walk = (i: Incompatibility): string => {
    if (i.cause.kind !== 'derived') return describe(i, origins);
    if (seen.has(i)) return `${describe(i, origins)} (${seen.get(i)})`;
    const l = walk(i.cause.left);
    const r = walk(i.cause.right);
    lines.push(`Because ${l} and ${r}, ${describe(i, origins)}.`);
    seen.set(i, lines.length);
    return describe(i, origins);
  };
  walk(inc);
  if (lines.length === 0) lines.push(`Because ${describe(inc, origins)}, no solution exists.`);
  else lines.push('So the constraints have no solution.');
  return lines.map((l, i) => (i < lines.length - 1 ? `(${i + 1}) ${l}` : l)).join('\n');
}
