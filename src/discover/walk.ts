import { readFileSync } from 'node:fs';
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import path from 'node:path';
import ignore, { type Ignore } from 'ignore';
import picomatch from 'picomatch';
import type { FormatKind } from '../model/files.ts';
import { classify } from '../formats/registry.ts';
import type { Finding } from '../model/finding.ts';
import { unreadKind } from './coverage.ts';
import { FOUNDATION_RULES } from '../rules/catalog.ts';
import { isInside } from '../util/inside.ts';

const DW013_HINT = FOUNDATION_RULES.find((r) => r.id === 'DW013')!.hint;

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
  /** DW013: paths the walk could not follow (names that are not UTF-8, symlinks leaving the repository). */
  findings: Finding[];
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

/** A name that is not valid UTF-8, shown with its undecodable bytes escaped (never raw bytes in a report). */
function escapedName(name: Buffer): string {
  let out = '';
  for (let i = 0; i < name.length; ) {
    let ok = '';
    for (let n = Math.min(4, name.length - i); n >= 1; n--) {
      try {
        ok = UTF8.decode(name.subarray(i, i + n));
        if (!ok.includes('\ufffd')) break;
      } catch {
        ok = '';
      }
    }
    if (ok) {
      out += ok;
      i += Buffer.byteLength(ok);
    } else {
      out += `\\x${name[i]!.toString(16).padStart(2, '0')}`;
      i++;
    }
  }
  return out;
}

function skipped(file: string, message: string): Finding {
  return {
    ruleId: 'DW013',
    severity: 'high',
    message: `${file}: ${message}`,
    hint: DW013_HINT,
    location: { file, line: 1, column: 1 },
    subject: file,
  };
}

/**
 * Whether the walk of `root` would enter the folder `rel` (repository-relative): no installed-dependency
 * folder on the way and no .gitignore on the way that ignores it, by the walk's own rules. A folder the
 * repository ignores (build output, a scratch clone) is not part of that repository.
 */
export function walkEnters(root: string, rel: string): boolean {
  const parts = rel.split(/[\\/]/).filter(Boolean);
  const rules: { base: string; ig: Ignore }[] = [];
  for (let i = 0; i < parts.length; i++) {
    const base = parts.slice(0, i).join('/');
    try {
      rules.push({ base, ig: ignore().add(readFileSync(path.join(root, base, '.gitignore'), 'utf8')) });
    } catch {
      /* no (readable) .gitignore here: it ignores nothing */
    }
    const here = parts.slice(0, i + 1).join('/');
    if (SKIP_DIRS.has(parts[i]!)) return false;
    for (const r of rules) {
      const sub = r.base ? here.slice(r.base.length + 1) : here;
      if (sub && r.ig.ignores(`${sub}/`)) return false;
    }
  }
  return true;
}

/**
 * Walks a repository and returns the files depwarden understands, in sorted order.
 * Honours every .gitignore on the way down (as git does, each relative to its own folder) and skips
 * installed-dependency folders, so a checked-in virtualenv never counts as the project's dependencies.
 * Nothing vanishes silently: a folder or dependency file whose name is not UTF-8, a symlinked dependency file
 * that leaves the repository (or points nowhere), and an unreadable folder are DW013 findings. Symlinked files
 * inside the repository are read like files; symlinked folders are not followed (as git does not).
 */
export async function walkRepository(root: string, opts: WalkOptions = {}): Promise<WalkResult> {
  const userIgnore = opts.ignore?.length ? picomatch(opts.ignore, { dot: true }) : undefined;
  const files: DiscoveredFile[] = [];
  const allFiles = new Set<string>();
  const findings: Finding[] = [];
  let realRoot: string;
  try {
    realRoot = await realpath(root);
  } catch {
    realRoot = root;
  }
  const isDependencyFile = (rel: string): boolean => classify(rel) !== undefined || unreadKind(rel) !== undefined;

  async function visit(rel: string, rules: { base: string; ig: Ignore }[]): Promise<void> {
    const abs = rel ? path.join(root, rel) : root;
    let raw;
    try {
      raw = await readdir(abs, { withFileTypes: true, encoding: 'buffer' });
    } catch (e) {
      if (rel) findings.push(skipped(rel, `folder cannot be read (${e instanceof Error && 'code' in e ? String(e.code) : 'error'}); whatever it holds is missing from every result`));
      return;
    }
    const entries: { name: string; entry: (typeof raw)[number] }[] = [];
    for (const entry of raw) {
      let name: string;
      try {
        name = UTF8.decode(entry.name);
      } catch {
        const shown = rel ? `${rel}/${escapedName(entry.name)}` : escapedName(entry.name);
        if (entry.isDirectory()) findings.push(skipped(shown, 'folder name is not valid UTF-8; not read, so any service in it is missing from every result'));
        else if (isDependencyFile(escapedName(entry.name))) findings.push(skipped(shown, 'file name is not valid UTF-8; not read'));
        continue;
      }
      entries.push({ name, entry });
    }
    const local = entries.find((e) => e.entry.isFile() && e.name === '.gitignore');
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
    const addFile = (childRel: string): void => {
      allFiles.add(childRel);
      const kind = classify(childRel);
      if (kind) files.push({ path: childRel, kind });
    };
    for (const { name, entry: e } of entries) {
      const childRel = rel ? `${rel}/${name}` : name;
      if (e.isDirectory()) {
        if (SKIP_DIRS.has(name) || ignored(childRel, true)) continue;
        subdirs.push(childRel);
      } else if (e.isFile()) {
        if (ignored(childRel, false)) continue;
        addFile(childRel);
      } else if (e.isSymbolicLink()) {
        if (ignored(childRel, false)) continue;
        // Inside the repository: a file like any other. Outside (or dangling): reported when it is a
        // dependency file, never read (a hostile repository must not make us read the machine's files).
        let target: string | undefined;
        try {
          target = await realpath(path.join(root, childRel));
        } catch {
          target = undefined;
        }
        const inside = target !== undefined && isInside(realRoot, target);
        let isFile = false;
        if (target !== undefined && inside) {
          try {
            isFile = (await stat(target)).isFile();
          } catch {
            isFile = false;
          }
        }
        if (isFile) addFile(childRel);
        else if (isDependencyFile(childRel)) {
          findings.push(skipped(childRel, target === undefined ? 'symlink to nothing; not read' : inside ? 'symlink to something that is not a file; not read' : 'symlink to a file outside the repository; not read'));
        }
      }
    }
    // Sibling folders in parallel: the walk is I/O bound and the result is sorted afterwards.
    await Promise.all(subdirs.map((d) => visit(d, scoped)));
  }

  await visit('', []);
  files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  findings.sort((a, b) => (a.location.file < b.location.file ? -1 : a.location.file > b.location.file ? 1 : 0));
  return { files, allFiles, findings };
}
