import { compareVersions } from '../versioning/pep440.ts';
import { MarkerSyntaxError, parseMarker, type MarkerNode } from '../versioning/markers.ts';
import { poetryToPep440 } from '../versioning/poetry-constraint.ts';

/**
 * PEP 508 markers as a set algebra, for walking a lock: a marker is a disjunction of terms, each term one Python
 * interval (over python_full_version) and a set of other comparisons. Intersection distributes, union concatenates,
 * and both simplify (empty Python ranges and contradictory `==`s dropped, subsumed terms absorbed, neighbouring
 * ranges merged), so a marker stays small however many paths reach a package. Semantics are what matters: the
 * written form differs from poetry-core's, the differential test evaluates both over a grid of environments.
 */
export interface Bound {
  v: string;
  incl: boolean;
}
export interface Term {
  lo?: Bound;
  hi?: Bound;
  /** Non-Python comparisons, canonical text (`sys_platform == "win32"`), sorted and unique. */
  atoms: string[];
}
/** [] is the empty marker (never true); [{atoms: []}] is "any". */
export type MarkerSet = Term[];

export const ANY: MarkerSet = [{ atoms: [] }];
export const NONE: MarkerSet = [];

const cmpV = (a: string, b: string): number => compareVersions(a, b);

function maxLo(a?: Bound, b?: Bound): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  const c = cmpV(a.v, b.v);
  return c > 0 ? a : c < 0 ? b : { v: a.v, incl: a.incl && b.incl };
}
function minHi(a?: Bound, b?: Bound): Bound | undefined {
  if (!a) return b;
  if (!b) return a;
  const c = cmpV(a.v, b.v);
  return c < 0 ? a : c > 0 ? b : { v: a.v, incl: a.incl && b.incl };
}
function emptyRange(lo?: Bound, hi?: Bound): boolean {
  if (!lo || !hi) return false;
  const c = cmpV(lo.v, hi.v);
  return c > 0 || (c === 0 && !(lo.incl && hi.incl));
}

/** `a == "x"` with `a == "y"`, or `a == "x"` with `a != "x"`: a term that can never hold. */
function contradictory(atoms: string[]): boolean {
  const eq = new Map<string, string>();
  for (const a of atoms) {
    const m = /^(\w+) == "(.*)"$/.exec(a);
    if (!m) continue;
    if (eq.has(m[1]!) && eq.get(m[1]!) !== m[2]) return true;
    eq.set(m[1]!, m[2]!);
  }
  for (const a of atoms) {
    const m = /^(\w+) != "(.*)"$/.exec(a);
    if (m && eq.get(m[1]!) === m[2]) return true;
  }
  return false;
}

function andTerm(a: Term, b: Term): Term | undefined {
  const lo = maxLo(a.lo, b.lo);
  const hi = minHi(a.hi, b.hi);
  if (emptyRange(lo, hi)) return undefined;
  const atoms = [...new Set([...a.atoms, ...b.atoms])].sort();
  if (contradictory(atoms)) return undefined;
  const t: Term = { atoms };
  if (lo) t.lo = lo;
  if (hi) t.hi = hi;
  return t;
}

/** a's range contains b's range. */
function rangeContains(a: Term, b: Term): boolean {
  if (a.lo && (!b.lo || cmpV(a.lo.v, b.lo.v) > 0 || (cmpV(a.lo.v, b.lo.v) === 0 && !a.lo.incl && b.lo.incl))) return false;
  if (a.hi && (!b.hi || cmpV(a.hi.v, b.hi.v) < 0 || (cmpV(a.hi.v, b.hi.v) === 0 && !a.hi.incl && b.hi.incl))) return false;
  return true;
}
const subsumes = (a: Term, b: Term): boolean => a.atoms.every((x) => b.atoms.includes(x)) && rangeContains(a, b);

/** Two ranges that overlap or touch, as one range (undefined when there is a gap). */
function mergeRanges(a: Term, b: Term): Term | undefined {
  const [first, second] = !a.lo ? [a, b] : !b.lo ? [b, a] : cmpV(a.lo.v, b.lo.v) <= 0 ? [a, b] : [b, a];
  if (first.hi && second.lo) {
    const c = cmpV(first.hi.v, second.lo.v);
    if (c < 0 || (c === 0 && !first.hi.incl && !second.lo.incl)) return undefined;
  }
  const hi = !first.hi || !second.hi ? undefined : cmpV(first.hi.v, second.hi.v) > 0 ? first.hi : cmpV(first.hi.v, second.hi.v) < 0 ? second.hi : { v: first.hi.v, incl: first.hi.incl || second.hi.incl };
  const lo = !first.lo || !second.lo ? undefined : cmpV(first.lo.v, second.lo.v) === 0 ? { v: first.lo.v, incl: first.lo.incl || second.lo.incl } : first.lo;
  const t: Term = { atoms: a.atoms };
  if (lo) t.lo = lo;
  if (hi) t.hi = hi;
  return t;
}

function simplify(terms: Term[]): MarkerSet {
  let list = terms.slice();
  // Merge ranges of terms with the same atoms until nothing changes.
  for (let changed = true; changed; ) {
    changed = false;
    outer: for (let i = 0; i < list.length; i++) {
      for (let j = i + 1; j < list.length; j++) {
        const a = list[i]!;
        const b = list[j]!;
        if (a.atoms.join('\0') !== b.atoms.join('\0')) continue;
        const m = mergeRanges(a, b);
        if (m) {
          list = [...list.slice(0, i), m, ...list.slice(i + 1, j), ...list.slice(j + 1)];
          changed = true;
          break outer;
        }
      }
    }
  }
  const kept: Term[] = [];
  list.forEach((t, i) => {
    if (list.some((o, j) => j !== i && subsumes(o, t) && (!subsumes(t, o) || j < i))) return;
    kept.push(t);
  });
  return kept.sort((a, b) => (termKey(a) < termKey(b) ? -1 : termKey(a) > termKey(b) ? 1 : 0));
}
const termKey = (t: Term): string => `${t.lo ? t.lo.v : ''}|${t.hi ? t.hi.v : ''}|${t.atoms.join('&')}`;

export function and(a: MarkerSet, b: MarkerSet): MarkerSet {
  const out: Term[] = [];
  for (const x of a) for (const y of b) {
    const t = andTerm(x, y);
    if (t) out.push(t);
  }
  return simplify(out);
}
export const or = (a: MarkerSet, b: MarkerSet): MarkerSet => simplify([...a, ...b]);
export const isEmpty = (m: MarkerSet): boolean => m.length === 0;
export const isAny = (m: MarkerSet): boolean => m.some((t) => !t.lo && !t.hi && t.atoms.length === 0);

/** The Python part only: the marker with its other comparisons dropped (what "for which Pythons" asks). */
export const pythonOnly = (m: MarkerSet): MarkerSet => simplify(m.map((t) => ({ ...t, atoms: [] })));

/** The complement of a Python-only marker (atoms are ignored): the Pythons it does not cover. */
export function notPython(m: MarkerSet): MarkerSet {
  let out: MarkerSet = ANY;
  for (const t of pythonOnly(m)) {
    const parts: Term[] = [];
    if (t.lo) parts.push({ hi: { v: t.lo.v, incl: !t.lo.incl }, atoms: [] });
    if (t.hi) parts.push({ lo: { v: t.hi.v, incl: !t.hi.incl }, atoms: [] });
    out = and(out, parts);
  }
  return out;
}

/** Drops `extra` comparisons after keeping only the terms the chosen extras satisfy. */
export function withExtras(m: MarkerSet, extras: ReadonlySet<string>): MarkerSet {
  const out: Term[] = [];
  for (const t of m) {
    let ok = true;
    const atoms: string[] = [];
    for (const a of t.atoms) {
      const x = /^extra (==|!=) "(.*)"$/.exec(a);
      if (!x) atoms.push(a);
      else if ((x[1] === '==') !== extras.has(normalizeExtra(x[2]!))) ok = false;
    }
    if (ok) out.push({ ...t, atoms });
  }
  return simplify(out);
}
export const normalizeExtra = (s: string): string => s.toLowerCase().replace(/[-_.]+/g, '-');

// ---------- from text ----------

const nextMinor = (v: string): string => {
  const [maj, min] = v.split('.');
  return `${maj}.${Number(min ?? 0) + 1}`;
};

function pythonCmp(variable: 'python_version' | 'python_full_version', op: string, v: string): MarkerSet {
  const lo = (x: string, incl: boolean): MarkerSet => [{ lo: { v: x, incl }, atoms: [] }];
  const hi = (x: string, incl: boolean): MarkerSet => [{ hi: { v: x, incl }, atoms: [] }];
  const wildcard = v.endsWith('.*');
  const base = v.replace(/\.\*$/, '');
  // python_version is "X.Y": `<= 3.8` means every 3.8.z, `> 3.8` starts at 3.9.
  const short = variable === 'python_version' && /^\d+\.\d+$/.test(base);
  switch (op) {
    case '>=':
      return lo(base, true);
    case '>':
      return short ? lo(nextMinor(base), true) : lo(base, false);
    case '<':
      return hi(base, false);
    case '<=':
      return short ? hi(nextMinor(base), false) : hi(base, true);
    case '==':
    case '===':
      if (short || wildcard) return [{ lo: { v: base, incl: true }, hi: { v: wildcard && !short ? bumpLast(base) : nextMinor(base), incl: false }, atoms: [] }];
      return [{ lo: { v: base, incl: true }, hi: { v: base, incl: true }, atoms: [] }];
    case '!=':
      return notPython(pythonCmp(variable, '==', v));
    case '~=': {
      const parts = base.split('.');
      const upper = parts.length <= 1 ? base : bumpLast(parts.slice(0, -1).join('.'));
      return [{ lo: { v: base, incl: true }, hi: { v: upper, incl: false }, atoms: [] }];
    }
    default:
      throw new MarkerSyntaxError(`operator ${op} on ${variable}`);
  }
}
const bumpLast = (v: string): string => {
  const p = v.split('.');
  p[p.length - 1] = String(Number(p[p.length - 1]) + 1);
  return p.join('.');
};

function fromNode(n: MarkerNode): MarkerSet {
  if (n.kind === 'and') return and(fromNode(n.left), fromNode(n.right));
  if (n.kind === 'or') return or(fromNode(n.left), fromNode(n.right));
  // Normalise to `variable op "value"`; `"value" in variable` forms stay atoms as written.
  if (n.kind !== 'cmp') throw new MarkerSyntaxError('unreachable');
  const { lhs, rhs, op } = n;
  if ('var' in lhs && 'str' in rhs) {
    if (lhs.var === 'python_version' || lhs.var === 'python_full_version') {
      if (op === 'in' || op === 'not in') {
        const versions = rhs.str.split(/[\s,]+/).filter(Boolean);
        let m: MarkerSet = op === 'in' ? NONE : ANY;
        for (const v of versions) m = op === 'in' ? or(m, pythonCmp(lhs.var, '==', v)) : and(m, pythonCmp(lhs.var, '!=', v));
        return m;
      }
      return pythonCmp(lhs.var, op, rhs.str);
    }
    const value = lhs.var === 'extra' ? normalizeExtra(rhs.str) : rhs.str;
    return [{ atoms: [`${lhs.var} ${op} ${JSON.stringify(value)}`] }];
  }
  if ('str' in lhs && 'var' in rhs) return [{ atoms: [`${JSON.stringify(lhs.str)} ${op} ${rhs.var}`] }];
  throw new MarkerSyntaxError('a marker compares two variables or two strings');
}

const cache = new Map<string, MarkerSet>();
/** A marker text as a set; "" is any. Throws MarkerSyntaxError for text that is not a marker. */
export function parseMarkerSet(text: string | undefined): MarkerSet {
  const t = (text ?? '').trim();
  if (!t) return ANY;
  let m = cache.get(t);
  if (!m) {
    m = fromNode(parseMarker(t));
    if (cache.size > 10_000) cache.clear();
    cache.set(t, m);
  }
  return m;
}

/** A Poetry (or PEP 440) Python constraint ("^3.9", ">=3.8,<4", ">=2.7, !=3.0.*") as a marker set. */
const pyCache = new Map<string, MarkerSet>();
export function pythonConstraint(constraint: string | undefined): MarkerSet {
  const c = (constraint ?? '').trim();
  if (!c || c === '*') return ANY;
  let hit = pyCache.get(c);
  if (!hit) {
    hit = pythonConstraintUncached(c);
    if (pyCache.size > 10_000) pyCache.clear();
    pyCache.set(c, hit);
  }
  return hit;
}
function pythonConstraintUncached(c: string): MarkerSet {
  const alternatives = poetryToPep440(c);
  if (!alternatives) throw new MarkerSyntaxError(`unreadable Python constraint ${c}`);
  let out: MarkerSet = NONE;
  for (const alt of alternatives) {
    let m: MarkerSet = ANY;
    for (const spec of alt.split(',').filter(Boolean)) {
      const x = /^(===|==|!=|~=|<=|>=|<|>)\s*(.+)$/.exec(spec.trim());
      if (!x) throw new MarkerSyntaxError(`unreadable Python constraint ${c}`);
      m = and(m, pythonCmp('python_full_version', x[1]!, x[2]!.trim()));
    }
    out = or(out, m);
  }
  return out;
}

// ---------- to text ----------

function bound(op: string, b: Bound): string {
  // X.Y bounds read best as python_version (what Poetry writes); anything finer needs python_full_version.
  const short = /^\d+(\.\d+)?$/.test(b.v);
  if (short && op === '>=') return `python_version >= "${b.v}"`;
  if (short && op === '<') return `python_version < "${b.v}"`;
  return `python_full_version ${op} "${b.v}"`;
}

function termText(t: Term): string[] {
  const parts: string[] = [];
  if (t.lo && t.hi && t.lo.incl && t.hi.incl && cmpV(t.lo.v, t.hi.v) === 0) parts.push(`python_full_version == "${t.lo.v}"`);
  else {
    if (t.lo) parts.push(bound(t.lo.incl ? '>=' : '>', t.lo));
    if (t.hi) parts.push(bound(t.hi.incl ? '<=' : '<', t.hi));
  }
  return [...parts, ...t.atoms];
}

/** Canonical marker text ("" for any). `and` binds tighter than `or`, so terms need no parentheses. */
export function markerText(m: MarkerSet): string {
  if (isAny(m)) return '';
  return m.map((t) => termText(t).join(' and ')).join(' or ');
}
