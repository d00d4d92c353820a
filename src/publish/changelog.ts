import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../edit/atomic-write.ts';

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
  writeFileAtomic(abs, Buffer.from(text, 'utf8'));
}
