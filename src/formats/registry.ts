import type { FormatKind } from '../model/files.ts';

const DOCKERFILE = /(^|[._-])(docker|container)file([._-]|$)/i;
const COMPOSE = /^(docker-)?compose([._-][^/]*)?\.ya?ml$/i;
const REQUIREMENTS = /^(.*[._-])?requirements([._-][^/]*)?\.(txt|in)$/i;

/**
 * Which format a repository-relative path is, by name alone (content is not sniffed: a file named like a
 * manifest that is not one becomes a DW000 finding, which is what a user wants to hear about).
 */
export function classify(relPath: string): FormatKind | undefined {
  const parts = relPath.split('/');
  const base = parts[parts.length - 1]!;
  const dir = parts.slice(0, -1).join('/');
  if (base === 'pyproject.toml') return 'pyproject';
  if (base === 'poetry.lock') return 'poetry-lock';
  if (base === 'package.json') return 'package-json';
  if (base === 'package-lock.json' || base === 'npm-shrinkwrap.json') return 'package-lock';
  if (base === 'uv.lock') return 'uv-lock';
  if (base === 'pnpm-lock.yaml') return 'pnpm-lock';
  if (base === 'yarn.lock') return 'yarn-lock';
  if (base === 'Pipfile') return 'pipfile';
  if (base === 'Pipfile.lock') return 'pipfile-lock';
  if (/\.github\/workflows$/.test(dir) && /\.ya?ml$/i.test(base)) return 'gha-workflow';
  if (COMPOSE.test(base)) return 'compose';
  if (DOCKERFILE.test(base) || /\.(docker|container)file$/i.test(base)) return 'dockerfile';
  if (REQUIREMENTS.test(base)) return 'requirements';
  // pip-compile layouts: requirements/base.txt, requirements/dev.in
  if (/(^|\/)requirements$/i.test(dir) && /\.(txt|in)$/i.test(base)) return 'requirements';
  return undefined;
}
