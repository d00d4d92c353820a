import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { FormatKind } from '../model/files.ts';
import { classify } from '../formats/registry.ts';

/** Folders that hold installed or generated code, never the repository's own manifests. */
const SKIP_DIRS = new Set([
  '.git', '.hg', '.svn', 'node_modules', 'bower_components', '.venv', 'venv', '.virtualenv', '__pycache__',
  '.tox', '.nox', '.mypy_cache', '.pytest_cache', '.ruff_cache', 'site-packages', '.eggs', '.cache',
  '.depwarden', '.depwarden-cache', '.next', '.nuxt', '.turbo', '.yarn',
]);

export interface DiscoveredFile {
  /** Repository-relative, forward slashes. */
  path: string;
  kind: FormatKind;
}

export interface WalkOptions {
  /** Extra glob patterns (config `ignore`). */
  ignore?: string[];
}

export interface WalkResult {
  files: DiscoveredFile[];
  /** Every regular file seen (repository-relative), for existence checks (requirements includes, .env). */
  allFiles: Set<string>;
}

/**
 * Walks a repository and returns the files depwarden understands, in sorted order.
 * Honours every .gitignore on the way down (as git does, each relative to its own folder) and skips
 * installed-dependency folders, so a checked-in virtualenv never counts as the project's dependencies.
 */
export async function walkRepository(root: string, opts: WalkOptions = {}): Promise<WalkResult> {
  const userIgnore = opts.ignore?.length ? picomatch(opts.ignore, { dot: true }) : undefined;
  const files: DiscoveredFile[] = [];
  const allFiles = new Set<string>();

  async function visit(rel: string, rules: { base: string; ig: Ignore }[]): Promise<void> {
    const abs = rel ? path.join(root, rel) : root;
    let entries;
    try {
      entries = await readdir(abs, { withFileTypes: true });
    } catch {
      return; // unreadable folder: nothing of ours can be in it
    }
    const local = entries.find((e) => e.isFile() && e.name === '.gitignore');
    let scoped = rules;
    if (local) {
      try {
        const text = await readFile(path.join(abs, '.gitignore'), 'utf8');
        scoped = [...rules, { base: rel, ig: ignore().add(text) }];
      } catch {
        /* an unreadable .gitignore ignores nothing */
      }
    }
    const ignored = (relPath: string, isDir: boolean): boolean => {
      for (const r of scoped) {
        const sub = r.base ? relPath.slice(r.base.length + 1) : relPath;
        if (sub && r.ig.ignores(isDir ? `${sub}/` : sub)) return true;
      }
      return userIgnore ? userIgnore(relPath) || (isDir && userIgnore(`${relPath}/`)) : false;
    };
    const subdirs: string[] = [];
    for (const e of entries) {
      const childRel = rel ? `${rel}/${e.name}` : e.name;
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(e.name) || ignored(childRel, true)) continue;
        subdirs.push(childRel);
      } else if (e.isFile()) {
        if (ignored(childRel, false)) continue;
        allFiles.add(childRel);
        const kind = classify(childRel);
        if (kind) files.push({ path: childRel, kind });
      }
    }
    // Sibling folders in parallel: the walk is I/O bound and the result is sorted afterwards.
    await Promise.all(subdirs.map((d) => visit(d, scoped)));
  }

  await visit('', []);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  return { files, allFiles };
}
