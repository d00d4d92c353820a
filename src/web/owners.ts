import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';

/**
 * Who owns a repository, for the overview's owner filter and "needs me": the owners of its CODEOWNERS catch-all
 * rule (`*`), the file GitHub and GitLab already use for this. Read from the registered checkout, cached by mtime
 * (the overview asks for every repository on each load).
 */

const PLACES = ['.github/CODEOWNERS', 'CODEOWNERS', 'docs/CODEOWNERS', '.gitlab/CODEOWNERS'];
const cache = new Map<string, { mtimeMs: number; owners: string[] }>();

export function parseCodeowners(text: string): string[] {
  let owners: string[] = [];
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*$/, '').trim();
    if (!line) continue;
    const [pattern, ...who] = line.split(/\s+/);
    // The last matching rule wins in CODEOWNERS; for the whole repository that is the last catch-all.
    if (pattern === '*' || pattern === '/*' || pattern === '**') owners = who.map((w) => w.replace(/^@/, ''));
  }
  return [...new Set(owners)].sort();
}

export function repoOwners(root: string): string[] {
  for (const p of PLACES) {
    const file = path.join(root, p);
    let mtimeMs: number;
    try {
      mtimeMs = statSync(file).mtimeMs;
    } catch {
      continue;
    }
    const hit = cache.get(file);
    if (hit && hit.mtimeMs === mtimeMs) return hit.owners;
    let owners: string[] = [];
    try {
      owners = parseCodeowners(readFileSync(file, 'utf8'));
    } catch {
      owners = [];
    }
    cache.set(file, { mtimeMs, owners });
    return owners;
  }
  return [];
}
