import { parseVersion } from './pep440.ts';

/**
 * Poetry's constraint syntax (poetry-core `parse_constraint`) as PEP 440 specifier sets: a list of OR-ed
 * alternatives, each a comma-joined AND. `^` and `~` are expanded as Poetry documents them:
 * ^1.2.3 → >=1.2.3,<2.0.0; ^0.2.3 → >=0.2.3,<0.3.0; ^0.0.3 → >=0.0.3,<0.0.4; ~1.2.3 → >=1.2.3,<1.3.0; ~1 → >=1,<2.
 * Returns undefined for text that is not a constraint.
 */
export function poetryToPep440(constraint: string): string[] | undefined {
  const text = constraint.trim();
  if (text === '' || text === '*') return [''];
  const alternatives = text.split(/\s*\|\|?\s*/);
  const out: string[] = [];
  for (const alt of alternatives) {
    // AND parts: separated by commas or whitespace (">= 1.2, < 2" and ">=1.2 <2" are both AND).
    const parts = alt
      .replace(/([<>=!~^]=?)\s+/g, '$1')
      .split(/\s*,\s*|\s+/)
      .filter(Boolean);
    const specs: string[] = [];
    for (const p of parts) {
      const s = single(p);
      if (s === undefined) return undefined;
      if (s) specs.push(s);
    }
    out.push(specs.join(','));
  }
  return out;
}

function single(p: string): string | undefined {
  if (p === '*') return '';
  let m = /^\^(.+)$/.exec(p);
  if (m) return caret(m[1]!);
  m = /^~(?!=)(.+)$/.exec(p);
  if (m) return tilde(m[1]!);
  m = /^(===|==|!=|~=|<=|>=|<|>)(.+)$/.exec(p);
  if (m) return parseVersion(m[2]!.replace(/\.\*$/, '')) ? `${m[1]}${m[2]}` : undefined;
  m = /^(=)(.+)$/.exec(p);
  if (m) return parseVersion(m[2]!) ? `==${m[2]}` : undefined;
  if (/^[\w.+!-]+(\.\*)?$/.test(p) && parseVersion(p.replace(/\.\*$/, ''))) return `==${p}`;
  return undefined;
}

function release(v: string): number[] | undefined {
  const parsed = parseVersion(v);
  if (!parsed) return undefined;
  return v
    .replace(/^\d+!/, '')
    .split(/[^\d.]/)[0]!
    .split('.')
    .filter(Boolean)
    .map(Number);
}

function caret(v: string): string | undefined {
  const r = release(v);
  if (!r || r.length === 0) return undefined;
  const first = r.findIndex((x) => x !== 0);
  // ^1.2.3 -> <2; ^0.2.3 -> <0.3; ^0.0.3 -> <0.0.4; all zeros: ^0 -> <1, ^0.0 -> <0.1, ^0.0.0 -> <0.0.1
  const upper = first === -1 ? [...Array<number>(r.length - 1).fill(0), 1] : [...r.slice(0, first), r[first]! + 1];
  return `>=${v},<${upper.join('.')}`;
}

function tilde(v: string): string | undefined {
  const r = release(v);
  if (!r || r.length === 0) return undefined;
  const upper = r.length === 1 ? [r[0]! + 1] : [r[0]!, r[1]! + 1];
  return `>=${v},<${upper.join('.')}`;
}
