import { createHash } from 'node:crypto';

type Table = Record<string, unknown>;

/**
 * Poetry's `content-hash` of a pyproject (poetry/packages/locker.py `_get_content_hash`): sha256 of Python's
 * `json.dumps(relevant, sort_keys=True)`. Poetry 1.x hashes only [tool.poetry] keys; Poetry 2.x also hashes
 * [project] requires-python, dependencies and optional-dependencies, nesting both when [project] has any.
 */
const LEGACY_KEYS = ['dependencies', 'source', 'extras', 'dev-dependencies'];
const RELEVANT_KEYS = [...LEGACY_KEYS, 'group'];
const PROJECT_KEYS = ['requires-python', 'dependencies', 'optional-dependencies'];

export function poetryContentHashes(doc: Table): { poetry1: string; poetry2: string } {
  const tool = isTable(doc.tool) ? doc.tool : {};
  const poetry = isTable(tool.poetry) ? tool.poetry : {};
  const project = isTable(doc.project) ? doc.project : {};

  const relevantProject: Table = {};
  for (const k of PROJECT_KEYS) if (project[k] !== undefined) relevantProject[k] = project[k];
  const hasProject = Object.keys(relevantProject).length > 0;

  const poetryContent = (withProject: boolean): Table => {
    const out: Table = {};
    for (const k of RELEVANT_KEYS) {
      const v = poetry[k];
      if (v === undefined && (!LEGACY_KEYS.includes(k) || withProject)) continue;
      out[k] = v ?? null;
    }
    return out;
  };
  const v1 = poetryContent(false);
  const v2 = hasProject ? { project: relevantProject, tool: { poetry: poetryContent(true) } } : v1;
  return { poetry1: sha256(pyJsonDumps(v1)), poetry2: sha256(pyJsonDumps(v2)) };
}

function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

function sha256(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

/**
 * Python's json.dumps(v, sort_keys=True) byte for byte: ", " and ": " separators, ensure_ascii (every
 * character outside space..~ escaped as \uXXXX), floats as Python's repr. TOML integers arrive as bigint
 * (integersAsBigInt) so 1 and 1.0 stay distinct, as they are for Python.
 */
export function pyJsonDumps(v: unknown): string {
  if (v === null || v === undefined) return 'null';
  if (v === true) return 'true';
  if (v === false) return 'false';
  if (typeof v === 'bigint') return v.toString();
  if (typeof v === 'number') return pyFloat(v);
  if (typeof v === 'string') return pyString(v);
  if (v instanceof Date) return pyString(v.toISOString());
  if (Array.isArray(v)) return `[${v.map(pyJsonDumps).join(', ')}]`;
  const t = v as Table;
  const keys = Object.keys(t).sort(codePointCompare);
  return `{${keys.map((k) => `${pyString(k)}: ${pyJsonDumps(t[k])}`).join(', ')}}`;
}

const SURROGATE = /[\uD800-\uDFFF]/;

function codePointCompare(a: string, b: string): number {
  // Without surrogate pairs, UTF-16 order is code point order.
  if (!SURROGATE.test(a) && !SURROGATE.test(b)) return a < b ? -1 : a > b ? 1 : 0;
  const x = [...a];
  const y = [...b];
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    const d = x[i]!.codePointAt(0)! - y[i]!.codePointAt(0)!;
    if (d !== 0) return d;
  }
  return x.length - y.length;
}

function pyString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0)!;
    if (ch === '"') out += '\\"';
    else if (ch === '\\') out += '\\\\';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (ch === '\b') out += '\\b';
    else if (ch === '\f') out += '\\f';
    else if (c >= 0x20 && c <= 0x7e) out += ch;
    else if (c > 0xffff) {
      const v = c - 0x10000;
      out += `\\u${(0xd800 + (v >> 10)).toString(16)}\\u${(0xdc00 + (v & 0x3ff)).toString(16)}`;
    } else out += `\\u${c.toString(16).padStart(4, '0')}`;
  }
  return `${out}"`;
}

function pyFloat(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (!Number.isFinite(n)) return n > 0 ? 'Infinity' : '-Infinity';
  if (Number.isInteger(n) && Math.abs(n) < 1e16) return `${n}.0`;
  const s = String(n);
  // JS "1e+21" and Python "1e+21" agree; JS "1e-7" vs Python "1e-07".
  return s.replace(/e([+-])(\d)$/, 'e$10$2');
}
