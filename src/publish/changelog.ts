import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import path from 'node:path';

/**
 * The dependency changelog: one Markdown file, one section per change, oldest first (appended, so two branches'
 * entries merge without conflicts more often than prepends would). Written atomically.
 */
export const CHANGELOG_HEADER = '# Dependency changelog\n';

export function appendChangelog(root: string, file: string, entry: string): void {
  const abs = path.join(root, file);
  mkdirSync(path.dirname(abs), { recursive: true });
  const before = existsSync(abs) ? readFileSync(abs, 'utf8') : CHANGELOG_HEADER;
  const text = `${before.replace(/\n*$/, '\n')}\n${entry.replace(/\n*$/, '\n')}`;
  const tmp = `${abs}.${process.pid}.tmp`;
  writeFileSync(tmp, text);
  renameSync(tmp, abs);
}
