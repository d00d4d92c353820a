import { isValidSpecifier, isValidVersion, satisfiesSpecifier } from './pep440.ts';

/**
 * PEP 508 environment markers: parse once, evaluate for any number of target environments. Comparison follows
 * `packaging`: when the right-hand side makes a valid version specifier with the operator, the left side is
 * compared as a PEP 440 version (prereleases allowed); otherwise the operands are compared as strings.
 */
export type MarkerEnv = Record<string, string>;

export type MarkerNode =
  | { kind: 'and' | 'or'; left: MarkerNode; right: MarkerNode }
  | { kind: 'cmp'; lhs: Operand; op: string; rhs: Operand };
type Operand = { var: string } | { str: string };

const VARIABLES = new Set([
  'python_version', 'python_full_version', 'os_name', 'sys_platform', 'platform_release', 'platform_system',
  'platform_version', 'platform_machine', 'platform_python_implementation', 'implementation_name',
  'implementation_version', 'extra', 'os.name', 'sys.platform', 'platform.version', 'platform.machine',
  'platform.python_implementation', 'python_implementation',
]);
const ALIASES: Record<string, string> = { 'os.name': 'os_name', 'sys.platform': 'sys_platform', 'platform.version': 'platform_version', 'platform.machine': 'platform_machine', 'platform.python_implementation': 'platform_python_implementation', python_implementation: 'platform_python_implementation' };

export class MarkerSyntaxError extends Error {}

function tokenize(text: string): string[] {
  const tokens: string[] = [];
  const re = /\s*(\(|\)|'[^']*'|"[^"]*"|===|==|!=|~=|<=|>=|<|>|not\s+in\b|in\b|and\b|or\b|[A-Za-z_][A-Za-z0-9_.]*)/y;
  let at = 0;
  while (at < text.length) {
    if (/^\s*$/.test(text.slice(at))) break;
    re.lastIndex = at;
    const m = re.exec(text);
    if (!m) throw new MarkerSyntaxError(`unexpected text at ${at}: ${text.slice(at, at + 20)}`);
    tokens.push(m[1]!.replace(/\s+/g, ' '));
    at = re.lastIndex;
  }
  return tokens;
}

export function parseMarker(text: string): MarkerNode {
  const t = tokenize(text);
  let i = 0;
  const operand = (): Operand => {
    const tok = t[i++];
    if (tok === undefined) throw new MarkerSyntaxError('expected a variable or a string');
    if (/^['"]/.test(tok)) return { str: tok.slice(1, -1) };
    if (VARIABLES.has(tok)) return { var: ALIASES[tok] ?? tok };
    throw new MarkerSyntaxError(`unknown marker variable ${tok}`);
  };
  const atom = (): MarkerNode => {
    if (t[i] === '(') {
      i++;
      const n = or();
      if (t[i++] !== ')') throw new MarkerSyntaxError('missing )');
      return n;
    }
    const lhs = operand();
    const op = t[i++];
    if (!op || !/^(===|==|!=|~=|<=|>=|<|>|in|not in)$/.test(op)) throw new MarkerSyntaxError(`expected an operator, got ${op ?? 'the end'}`);
    return { kind: 'cmp', lhs, op, rhs: operand() };
  };
  const and = (): MarkerNode => {
    let n = atom();
    while (t[i] === 'and') {
      i++;
      n = { kind: 'and', left: n, right: atom() };
    }
    return n;
  };
  const or = (): MarkerNode => {
    let n = and();
    while (t[i] === 'or') {
      i++;
      n = { kind: 'or', left: n, right: and() };
    }
    return n;
  };
  const n = or();
  if (i !== t.length) throw new MarkerSyntaxError(`unexpected ${t[i]}`);
  return n;
}

const normalizeExtra = (s: string): string => s.toLowerCase().replace(/[-_.]+/g, '-');

function compare(lhs: string, op: string, rhs: string): boolean {
  if (op !== 'in' && op !== 'not in' && op !== '===') {
    const spec = `${op}${rhs}`;
    if (isValidSpecifier(spec) && isValidVersion(lhs)) return satisfiesSpecifier(lhs, spec, { prereleases: true });
  }
  switch (op) {
    case 'in':
      return rhs.includes(lhs);
    case 'not in':
      return !rhs.includes(lhs);
    case '==':
    case '===':
      return lhs === rhs;
    case '!=':
      return lhs !== rhs;
    case '<':
      return lhs < rhs;
    case '<=':
      return lhs <= rhs;
    case '>':
      return lhs > rhs;
    case '>=':
      return lhs >= rhs;
    default:
      throw new MarkerSyntaxError(`operator ${op} cannot compare strings`);
  }
}

export function evaluateMarker(node: MarkerNode, env: MarkerEnv): boolean {
  if (node.kind !== 'cmp') return node.kind === 'and' ? evaluateMarker(node.left, env) && evaluateMarker(node.right, env) : evaluateMarker(node.left, env) || evaluateMarker(node.right, env);
  const value = (o: Operand): string => ('str' in o ? o.str : (env[o.var] ?? ''));
  let l = value(node.lhs);
  let r = value(node.rhs);
  // `extra` names are compared normalised, as packaging does.
  if (('var' in node.lhs && node.lhs.var === 'extra') || ('var' in node.rhs && node.rhs.var === 'extra')) {
    l = normalizeExtra(l);
    r = normalizeExtra(r);
  }
  return compare(l, node.op, r);
}

/** Environments depwarden evaluates locks for: CPython on Linux, x86_64 and aarch64, for the given versions. */
export function linuxEnvironments(pythonVersions: string[]): MarkerEnv[] {
  const out: MarkerEnv[] = [];
  for (const v of pythonVersions) {
    for (const machine of ['x86_64', 'aarch64']) {
      out.push({
        python_version: v,
        python_full_version: `${v}.0`,
        os_name: 'posix',
        sys_platform: 'linux',
        platform_system: 'Linux',
        platform_machine: machine,
        platform_python_implementation: 'CPython',
        implementation_name: 'cpython',
        implementation_version: `${v}.0`,
        platform_release: '6.1.0',
        platform_version: '#1 SMP',
        extra: '',
      });
    }
  }
  return out;
}
