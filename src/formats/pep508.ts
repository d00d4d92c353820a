/** One PEP 508 requirement string, split into its parts with their offsets inside the string. */
export interface Pep508 {
  name: string;
  extras: string[];
  /** Version specifier text, e.g. ">=2,<3" (parentheses removed); "" when none. */
  specifier: string;
  /** Offsets of the specifier inside the requirement text. */
  specifierStart: number;
  specifierEnd: number;
  url?: string;
  markers?: string;
}

const NAME = /^\s*([A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?)\s*/;

/**
 * Parses `name[extra1,extra2] (>=1,<2) ; marker` and `name @ url ; marker`.
 * Returns undefined when the text is not a requirement (the caller reports it).
 */
export function parsePep508(text: string): Pep508 | undefined {
  const m = NAME.exec(text);
  if (!m) return undefined;
  const name = m[1]!;
  let i = m[0].length;
  let extras: string[] = [];
  if (text[i] === '[') {
    const close = text.indexOf(']', i);
    if (close < 0) return undefined;
    extras = text
      .slice(i + 1, close)
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean);
    i = close + 1;
    while (/\s/.test(text[i] ?? '')) i++;
  }
  // Markers start at the first `;` outside a URL (a URL's `;` must be followed by whitespace to end it).
  let url: string | undefined;
  let rest = text.slice(i);
  let markers: string | undefined;
  if (rest.startsWith('@')) {
    const after = rest.slice(1);
    const semi = /\s;/.exec(after) ?? /;\s/.exec(after);
    url = (semi ? after.slice(0, semi.index) : after).trim();
    if (semi) markers = after.slice(semi.index).replace(/^\s*;\s*/, '').trim();
    return { name, extras, specifier: '', specifierStart: i, specifierEnd: i, ...(url ? { url } : {}), ...(markers ? { markers } : {}) };
  }
  const semi = rest.indexOf(';');
  if (semi >= 0) {
    markers = rest.slice(semi + 1).trim();
    rest = rest.slice(0, semi);
  }
  let start = i;
  let spec = rest.trim();
  const lead = rest.length - rest.trimStart().length;
  start += lead;
  if (spec.startsWith('(') && spec.endsWith(')')) {
    spec = spec.slice(1, -1).trim();
    start = text.indexOf(spec, start);
  }
  if (spec && !/^(===|==|!=|~=|<=|>=|<|>)/.test(spec)) return undefined;
  return { name, extras, specifier: spec, specifierStart: start, specifierEnd: start + spec.length, ...(markers ? { markers } : {}) };
}
