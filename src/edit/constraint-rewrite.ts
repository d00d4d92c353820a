import semver from 'semver';
import { satisfies } from '../versioning/constraint.ts';
import { parseVersion } from '../versioning/pep440.ts';

/**
 * What a manifest constraint becomes when a package moves to a new version. The rules (also in
 * docs/edits-and-relock.md) follow Renovate's range strategies:
 *
 * - `replace` (the default; Renovate's "update-lockfile" for in-range updates, "replace" otherwise): a
 *   constraint the new version already satisfies is left alone (undefined: only the lock changes). Otherwise:
 *   - exact pins (`==1.2.3`, `===1.2.3`, Poetry `1.2.3` / `=1.2.3`, npm `1.2.3` / `=1.2.3`) get the new version;
 *   - one-clause ranges keep their operator and their precision: `^1.2` → `^2.0` for 2.0.1, `~1.2.3` → `~1.4.0`,
 *     `~=1.2` → `~=2.0`, `1.2.*` / `1.x` → `1.4.*` / `2.x`, `>=1.4` → `>=1.3` (a downgrade), `<2` → `<3`
 *     (an upper bound steps at the position of its last non-zero component), `<=1.5` → `<=1.6.1`;
 *   - AND-ranges (`>=1,<2`, npm `>=1.0.0 <2.0.0`, `1.0.0 - 2.0.0`) are widened by replacing only the upper
 *     bound(s) the new version breaks (`>=1,<2` → `>=1,<3`); when another clause breaks (a lower bound, `!=`,
 *     a caret inside a compound) the constraint becomes an exact pin;
 *   - OR-ranges (npm `1.x || 2.x`, Poetry `^1.0 || ^2.0`) are widened by appending the last alternative
 *     rewritten by the rules above (`1.x || 2.x` → `1.x || 2.x || 3.x`), as Renovate's "widen" does.
 * - `bump` (Renovate's "bump"): the floor of every lower-bounding clause (`^ ~ ~= ~> >= > = ==`, wildcards,
 *   a hyphen range's start) moves to the new version at the clause's precision even when the new version is
 *   already in range (`^1.2.0` → `^1.4.0`); upper bounds move only when broken. OR-ranges behave as in `replace`.
 *
 * Only version text is replaced, so operators, spaces, `v` prefixes, `npm:` alias prefixes and separators stay
 * as written. Every result is checked with the project's own `satisfies`; a rewrite that would not admit the new
 * version falls back to the new version in full, then to an exact pin (pep440 `==X`, Poetry and npm `X`).
 * Unreadable constraints throw: "no change needed" is never a guess.
 */
export type RewriteSyntax = 'pep440' | 'poetry' | 'npm';
export type RangeStrategy = 'replace' | 'bump';

export class ConstraintRewriteError extends Error {
  override name = 'ConstraintRewriteError';
}

interface Clause {
  op: string;
  ver: string;
  /** Offset of `ver` in the whole constraint text. */
  at: number;
  hyphen?: 'lower' | 'upper';
}

interface Alternative {
  start: number;
  end: number;
  clauses: Clause[];
}

const OPS: Record<RewriteSyntax, string[]> = {
  pep440: ['===', '==', '!=', '~=', '<=', '>=', '<', '>'],
  poetry: ['===', '==', '!=', '~=', '<=', '>=', '<', '>', '^', '~', '='],
  npm: ['<=', '>=', '<', '>', '^', '~>', '~', '='],
};

/** The constraint a dependency needs for `next`, or undefined when the constraint already admits it. */
export function rewriteConstraint(syntax: RewriteSyntax, constraint: string, current: string | undefined, next: string, opts: { strategy?: RangeStrategy } = {}): string | undefined {
  const strategy = opts.strategy ?? 'replace';
  const alts = tokenize(syntax, constraint);
  const ok = (c: string): boolean => satisfies(syntax, c, next, { prereleases: true }) === true;
  const now = satisfies(syntax, constraint, next, { prereleases: true });
  if (now === undefined) throw new ConstraintRewriteError(`cannot read ${syntax} constraint ${JSON.stringify(constraint)} or version ${JSON.stringify(next)}`);
  if (alts.length === 0) return undefined; // "", "*", "latest": any version
  if (current !== undefined && current === next && now) return undefined;

  if (alts.length > 1) {
    if (now) return undefined;
    const last = alts[alts.length - 1]!;
    const prev = alts[alts.length - 2]!;
    const lastText = constraint.slice(last.start, last.end);
    const shifted: Alternative = { start: 0, end: lastText.length, clauses: last.clauses.map((c) => ({ ...c, at: c.at - last.start })) };
    const added = rewriteAlternative(syntax, lastText, shifted, next, 'replace', ok) ?? exactPin(syntax, next);
    const sep = constraint.slice(prev.end, last.start);
    const candidate = `${constraint.slice(0, last.end)}${sep}${added}${constraint.slice(last.end)}`;
    return ok(candidate) ? candidate : exactPin(syntax, next);
  }

  const alt = alts[0]!;
  if (strategy === 'bump') {
    const bumped = rewriteAlternative(syntax, constraint, alt, next, 'bump', ok);
    if (bumped !== undefined) return bumped === constraint ? undefined : bumped;
  }
  if (now) return undefined;
  return rewriteAlternative(syntax, constraint, alt, next, 'replace', ok) ?? exactPin(syntax, next);
}

/** The ecosystem's exact pin: pep440 `==X`, Poetry and npm a bare `X`. */
export function exactPin(syntax: RewriteSyntax, version: string): string {
  return syntax === 'pep440' ? `==${version}` : version;
}

type Role = 'any' | 'exact' | 'wild' | 'floor' | 'lower' | 'upper' | 'exclude';

function roleOf(syntax: RewriteSyntax, c: Clause): Role {
  if (/^[*xX]$/.test(c.ver)) return 'any';
  if (c.hyphen === 'upper' || c.op === '<' || c.op === '<=') return 'upper';
  if (c.hyphen === 'lower' || c.op === '>=' || c.op === '>') return 'lower';
  if (c.op === '!=') return 'exclude';
  if (c.op === '^' || c.op === '~' || c.op === '~=' || c.op === '~>') return 'floor';
  if (isWild(c.ver) || (syntax === 'npm' && numericParts(c.ver).length < 3)) return 'wild';
  return 'exact';
}

/** A clause alone as a constraint of its syntax (for "which clause does the new version break?"). */
function clauseText(syntax: RewriteSyntax, c: Clause): string {
  if (c.hyphen === 'lower') return `>=${c.ver}`;
  if (c.hyphen === 'upper') return `<=${c.ver}`;
  return syntax === 'pep440' && c.op === '' ? `==${c.ver}` : `${c.op}${c.ver}`;
}

/**
 * Rewrites the clauses of one AND-alternative (offsets relative to `text`). Returns undefined when the rules
 * say "pin" (a broken clause that is not an upper bound in a compound, or nothing that admits `next`).
 */
function rewriteAlternative(syntax: RewriteSyntax, text: string, alt: Alternative, next: string, strategy: RangeStrategy, ok: (c: string) => boolean): string | undefined {
  const compound = alt.clauses.length > 1;
  const replacements = new Map<Clause, string[]>();
  for (const c of alt.clauses) {
    const role = roleOf(syntax, c);
    if (role === 'any') continue;
    const broken = satisfies(syntax, clauseText(syntax, c), next, { prereleases: true }) !== true;
    const bumpIt = strategy === 'bump' && (role === 'exact' || role === 'wild' || role === 'floor' || role === 'lower');
    if (!broken && !bumpIt) continue;
    if (broken && compound && role !== 'upper' && strategy === 'replace') return undefined;
    switch (role) {
      case 'exclude':
        return undefined;
      case 'exact':
        replacements.set(c, [keepPrefix(c.ver, next)]);
        break;
      case 'upper': {
        const step = c.op === '<' ? stepUpper(c.ver, next) : reshape(c.ver, next);
        replacements.set(c, [...(step ? [step] : []), keepPrefix(c.ver, next)]);
        break;
      }
      default:
        replacements.set(c, [reshape(c.ver, next) ?? keepPrefix(c.ver, next), keepPrefix(c.ver, next)]);
    }
  }
  if (replacements.size === 0) return text;
  // Try the preferred spelling of every clause first, then the new version in full.
  for (const pick of [0, 1]) {
    let out = text;
    const ordered = [...replacements.entries()].sort((a, b) => b[0].at - a[0].at);
    for (const [c, options] of ordered) out = out.slice(0, c.at) + (options[Math.min(pick, options.length - 1)] ?? '') + out.slice(c.at + c.ver.length);
    if (ok(out)) return out;
  }
  return undefined;
}

function isWild(ver: string): boolean {
  return /(^|\.)[*xX](\.|$)/.test(ver.replace(/^[vV]/, ''));
}

function numericParts(ver: string): number[] {
  const m = /^[vV]?(\d+(?:\.\d+)*)/.exec(ver);
  return m ? m[1]!.split('.').map(Number) : [];
}

/** `v1.2.3` with next 2.0.0 → `v2.0.0`: the `v` prefix is spelling, kept. */
function keepPrefix(template: string, next: string): string {
  return /^[vV]/.test(template) && !/^[vV]/.test(next) ? `${template[0]}${next}` : next;
}

/** Release components, epoch and whether the version carries pre/post/dev/local parts that truncation would lose. */
function releaseOf(next: string): { release: number[]; decorated: boolean } | undefined {
  const sv = semver.parse(next, { loose: true });
  if (sv && /^[vV]?\d+\.\d+\.\d+/.test(next)) return { release: [sv.major, sv.minor, sv.patch], decorated: sv.prerelease.length > 0 || sv.build.length > 0 };
  const pv = parseVersion(next);
  if (!pv) return undefined;
  return { release: pv.release, decorated: pv.epoch !== 0 || pv.is_prerelease || pv.is_devrelease || pv.is_postrelease || pv.local !== null };
}

/**
 * The new version at the template's precision: `1.2` + 2.0.1 → `2.0`, `1.x` → `2.x`, `1.2.*` → `1.4.*`.
 * A full-precision template, or a new version with pre/post/dev/local parts, gets the new version in full.
 */
function reshape(template: string, next: string): string | undefined {
  const prefix = /^[vV]/.test(template) ? template[0]! : '';
  const body = template.slice(prefix.length);
  const m = /^(\d+(?:\.\d+)*)(.*)$/.exec(body);
  const r = releaseOf(next);
  if (!m || !r) return undefined;
  const n = m[1]!.split('.').length;
  const rest = m[2]!;
  const wild = /^(\.[*xX])+$/.test(rest) ? rest : '';
  if (rest && !wild) return prefix + next;
  if (!wild && (r.decorated || n >= r.release.length)) return prefix + next;
  const head = Array.from({ length: n }, (_, i) => r.release[i] ?? 0);
  return `${prefix}${head.join('.')}${wild}`;
}

/**
 * A new exclusive upper bound above `next` with the old bound's shape: the bound steps at the position of its
 * last non-zero component (`<2` → `<3`, `<2.0.0` → `<3.0.0`, `<1.5` → `<1.8` for 1.7.2).
 */
function stepUpper(template: string, next: string): string | undefined {
  const prefix = /^[vV]/.test(template) ? template[0]! : '';
  const m = /^(\d+(?:\.\d+)*)$/.exec(template.slice(prefix.length));
  const r = releaseOf(next);
  if (!m || !r) return undefined;
  const parts = m[1]!.split('.').map(Number);
  let p = parts.length - 1;
  while (p > 0 && parts[p] === 0) p--;
  const head = Array.from({ length: p + 1 }, (_, i) => r.release[i] ?? 0);
  head[p]! += 1;
  while (head.length < parts.length) head.push(0);
  return prefix + head.join('.');
}

/**
 * Splits a constraint into OR-alternatives of AND-clauses with the offset of every version. Throws when text
 * is left that is neither a clause nor a separator, so a rewrite never silently drops part of a constraint.
 */
function tokenize(syntax: RewriteSyntax, constraint: string): Alternative[] {
  let base = 0;
  if (syntax === 'npm') {
    const alias = /^npm:(@?[^@\s]+)@/.exec(constraint);
    if (alias) base = alias[0].length;
    if (/^\s*(latest)?\s*$/.test(constraint.slice(base))) return [];
  }
  const text = constraint;
  const out: Alternative[] = [];
  const orSplit = syntax === 'pep440' ? null : syntax === 'npm' ? /\|\|/g : /\|\|?/g;
  const bounds: [number, number][] = [];
  if (orSplit) {
    let from = base;
    for (const m of text.slice(base).matchAll(orSplit)) {
      bounds.push([from, base + m.index]);
      from = base + m.index + m[0].length;
    }
    bounds.push([from, text.length]);
  } else bounds.push([base, text.length]);

  const ops = OPS[syntax];
  for (const [s, e] of bounds) {
    const clauses: Clause[] = [];
    let i = s;
    let pendingHyphen = false;
    let first = -1;
    let last = -1;
    while (i < e) {
      const ch = text[i]!;
      if (/\s/.test(ch) || (ch === ',' && syntax !== 'npm')) {
        i++;
        continue;
      }
      if (syntax === 'npm' && ch === '-' && /\s/.test(text[i - 1] ?? '') && /\s/.test(text[i + 1] ?? '') && clauses.length > 0) {
        pendingHyphen = true;
        i++;
        continue;
      }
      const start = i;
      const op = ops.find((o) => text.startsWith(o, i)) ?? '';
      i += op.length;
      while (i < e && /[ \t]/.test(text[i]!)) i++;
      const vm = (syntax === 'npm' ? /^[vV]?[0-9xX*][^\s|]*/ : syntax === 'pep440' ? /^[^\s,;]+/ : /^[0-9*vV][^\s,|]*/).exec(text.slice(i, e));
      if (!vm || (syntax === 'pep440' && !op)) throw new ConstraintRewriteError(`cannot read ${syntax} constraint ${JSON.stringify(constraint)} at ${JSON.stringify(text.slice(start, e).trim())}`);
      const clause: Clause = { op, ver: vm[0], at: i };
      if (pendingHyphen) {
        const prev = clauses[clauses.length - 1]!;
        if (prev.op || op) throw new ConstraintRewriteError(`cannot read npm hyphen range ${JSON.stringify(constraint)}`);
        prev.hyphen = 'lower';
        clause.hyphen = 'upper';
        pendingHyphen = false;
      }
      clauses.push(clause);
      if (first < 0) first = start;
      i += vm[0].length;
      last = i;
    }
    if (pendingHyphen) throw new ConstraintRewriteError(`cannot read npm hyphen range ${JSON.stringify(constraint)}`);
    if (clauses.length === 0 && bounds.length > 1) throw new ConstraintRewriteError(`empty alternative in ${JSON.stringify(constraint)}`);
    // A lone `*` / `x` alternative admits everything: the whole constraint needs nothing.
    if (clauses.length === 1 && /^[*xX]$/.test(clauses[0]!.ver) && !clauses[0]!.op) return [];
    if (clauses.length) out.push({ start: first, end: last, clauses });
  }
  return out;
}
