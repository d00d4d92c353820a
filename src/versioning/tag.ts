/**
 * Versions hidden in image tags and action tags: "3.12.1-slim-bookworm", "20-alpine", "v4.2.2". A tag is a
 * number list plus a suffix; tags are only comparable with tags of the same suffix and the same number of
 * components (the rule Renovate's docker versioning uses), so "3.12-slim" never "updates" to "3.13.0" or "3-alpine".
 */
export interface TagVersion {
  prefix: string;
  numbers: number[];
  suffix: string;
}

const TAG = /^(v?)(\d+(?:\.\d+)*)(?:-([A-Za-z0-9][A-Za-z0-9._-]*))?$/;

export function parseTag(tag: string): TagVersion | undefined {
  const m = TAG.exec(tag);
  if (!m) return undefined;
  const numbers = m[2]!.split('.').map(Number);
  if (numbers.some((n) => !Number.isSafeInteger(n))) return undefined;
  return { prefix: m[1]!, numbers, suffix: m[3] ?? '' };
}

export function compareTags(a: TagVersion, b: TagVersion): number {
  for (let i = 0; i < Math.max(a.numbers.length, b.numbers.length); i++) {
    const d = (a.numbers[i] ?? 0) - (b.numbers[i] ?? 0);
    if (d) return d;
  }
  return 0;
}

/** Tags comparable with `current`, ascending. */
export function comparableTags(current: string, tags: string[]): string[] {
  const cur = parseTag(current);
  if (!cur) return [];
  return tags
    .map((t) => [t, parseTag(t)] as const)
    .filter((x): x is readonly [string, TagVersion] => !!x[1] && x[1].suffix === cur.suffix && x[1].numbers.length === cur.numbers.length && x[1].prefix === cur.prefix)
    .sort((x, y) => compareTags(x[1], y[1]) || (x[0] < y[0] ? -1 : 1))
    .map((x) => x[0]);
}

/** major / minor / patch by the first component that changed; undefined when not comparable or not newer. */
export function classifyTagUpdate(from: string, to: string): 'major' | 'minor' | 'patch' | undefined {
  const a = parseTag(from);
  const b = parseTag(to);
  if (!a || !b || a.suffix !== b.suffix || compareTags(a, b) >= 0) return undefined;
  const i = a.numbers.findIndex((n, k) => n !== (b.numbers[k] ?? 0));
  return i === 0 ? 'major' : i === 1 ? 'minor' : 'patch';
}
