const cache = new Map<string, string>();

/** PEP 503 normalised name: lower case, runs of `-`, `_`, `.` become one `-`. Memoised: a fleet repeats names. */
export function normalizePypiName(name: string): string {
  let n = cache.get(name);
  if (n === undefined) {
    n = name.toLowerCase().replace(/[-_.]+/g, '-');
    if (cache.size < 100_000) cache.set(name, n);
  }
  return n;
}

export function normalizeName(ecosystem: string, name: string): string {
  return ecosystem === 'PyPI' ? normalizePypiName(name) : name;
}
