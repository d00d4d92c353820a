import { existsSync, readFileSync } from 'node:fs';
import { writeFileInside } from '../edit/atomic-write.ts';
import { resolveInside } from '../edit/paths.ts';

/**
 * The dependency changelog: one Markdown file, one section per change, oldest first (appended, so two branches'
 * entries merge without conflicts more often than prepends would). Written atomically.
 */
export const CHANGELOG_HEADER = '# Dependency changelog\n';

export function appendChangelog(root: string, file: string, entry: string): void {
  // Through the path guard: a changelog that is a symbolic link (to anywhere) is refused, not written through.
  const abs = resolveInside(root, file);
  const before = existsSync(abs) ? readFileSync(abs, 'utf8') : CHANGELOG_HEADER;
  const text = `${before.replace(/\n*$/, '\n')}\n${entry.replace(/\n*$/, '\n')}`;
  writeFileInside(root, file, Buffer.from(text, 'utf8'));
}
