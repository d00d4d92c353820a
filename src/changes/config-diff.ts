import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { GitError, git } from '../publish/git.ts';
import { printable } from '../report/printable.ts';
import { type Category, type Fact, factsOf, isConfigFile } from './config-facts.ts';

/**
 * `depwarden changes config REV1 REV2`: what changed in the configuration of each service between two revisions,
 * read from git's objects (`git ls-tree`, `git cat-file --batch`: the committed trees, no checkout, no work-tree
 * noise). Values that look secret are never shown: the change says "changed" instead.
 */
export interface ConfigChange {
  category: Category;
  key: string;
  change: 'added' | 'removed' | 'changed';
  before?: string;
  after?: string;
  /** The value is secret-looking: before/after are left out. */
  secret?: boolean;
  file: string;
}
export interface ServiceConfigChanges {
  service: string;
  changes: ConfigChange[];
}
export interface ConfigDiff {
  from: { rev: string; commit: string };
  to: { rev: string; commit: string };
  services: ServiceConfigChanges[];
}

const SECRET_NAME = /(pass(word|wd)?|secret|token|api[_-]?key|access[_-]?key|private|credential|auth|dsn|cookie|salt|signing|jwt|bearer)/i;
const SECRET_VALUE = /^(?:[A-Za-z][A-Za-z0-9+.-]*:\/\/[^/\s:@]+:[^@\s]+@|(?:ghp|gho|ghs|github_pat|glpat|xox[abp]|sk|pk|AKIA)[-_A-Za-z0-9]{8,}|-----BEGIN)/;

/** A name or value that should not be printed (a password variable, a URL with credentials, a token). */
export function secretLooking(key: string, value: string | undefined): boolean {
  // A workflow naming a secret shows the name (that it is used is the point), never a value: it has none here.
  if (/^secret \w+$/.test(key) && (value === undefined || value === 'referenced')) return false;
  if (SECRET_NAME.test(key)) return true;
  if (!value) return false;
  if (SECRET_VALUE.test(value)) return true;
  // A long run of mixed letters and digits without spaces or path separators: likely a key.
  return /^[A-Za-z0-9+_=.-]{24,}$/.test(value) && /[A-Za-z]/.test(value) && /\d/.test(value) && !/^[\d.]+$/.test(value) && !/^sha256:[0-9a-f]{64}$/.test(value) && !/@sha256:/.test(value) && !/^[0-9a-f]{40}$/.test(value);
}

function resolve(repo: string, rev: string): string {
  if (!/^[\w./@{}^~:-]+$/.test(rev) || rev.startsWith('-')) throw new GitError(`git rev-parse: "${printable(rev, { oneLine: true })}" is not a revision`);
  return git(repo, ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`]);
}

/** Every configuration file of a revision, read in one `git cat-file --batch`. */
export function configFilesAt(repo: string, commit: string): Map<string, string> {
  const listing = git(repo, ['ls-tree', '-r', '-z', '--full-tree', commit]);
  const blobs: { file: string; oid: string }[] = [];
  for (const entry of listing.split('\0')) {
    const m = /^\d+ blob ([0-9a-f]+)\t(.+)$/s.exec(entry);
    if (m && isConfigFile(m[2]!)) blobs.push({ oid: m[1]!, file: m[2]! });
  }
  const out = new Map<string, string>();
  if (!blobs.length) return out;
  let raw: Buffer;
  try {
    raw = execFileSync('git', ['-C', repo, 'cat-file', '--batch'], { input: blobs.map((b) => b.oid).join('\n') + '\n', maxBuffer: 1 << 30, stdio: ['pipe', 'pipe', 'pipe'] });
  } catch (e) {
    throw new GitError(`git cat-file: ${e instanceof Error ? e.message : String(e)}`);
  }
  let at = 0;
  for (const b of blobs) {
    const nl = raw.indexOf(0x0a, at);
    const header = raw.subarray(at, nl).toString('utf8');
    const size = Number(header.split(' ')[2]);
    if (!Number.isFinite(size)) throw new GitError(`git cat-file: unexpected answer "${header}"`);
    out.set(b.file, raw.subarray(nl + 1, nl + 1 + size).toString('utf8'));
    at = nl + 1 + size + 1;
  }
  return out;
}

const factKey = (f: Fact): string => `${f.service}\0${f.category}\0${f.key}`;

function factsAt(files: Map<string, string>): Map<string, Fact> {
  const out = new Map<string, Fact>();
  for (const [file, text] of files) {
    for (const f of factsOf(file, text)) {
      // The same key twice (two compose files naming one service): the later file wins, as compose merges them.
      out.set(factKey(f), f);
    }
  }
  return out;
}

export function diffFacts(before: Map<string, Fact>, after: Map<string, Fact>): ServiceConfigChanges[] {
  const by = new Map<string, ConfigChange[]>();
  const add = (service: string, c: ConfigChange): void => {
    if (!by.has(service)) by.set(service, []);
    by.get(service)!.push(c);
  };
  for (const k of new Set([...before.keys(), ...after.keys()])) {
    const a = before.get(k);
    const b = after.get(k);
    if (a && b && a.value === b.value) continue;
    const f = (b ?? a)!;
    const secret = secretLooking(f.key, a?.value) || secretLooking(f.key, b?.value);
    const change: ConfigChange = { category: f.category, key: f.key, change: !a ? 'added' : !b ? 'removed' : 'changed', file: f.file, ...(secret ? { secret: true } : {}) };
    if (!secret) {
      if (a) change.before = a.value;
      if (b) change.after = b.value;
    }
    add(f.service, change);
  }
  const order: Record<Category, number> = { environment: 0, build: 1, runtime: 2, ci: 3 };
  return [...by]
    .map(([service, changes]) => ({ service, changes: changes.sort((x, y) => order[x.category] - order[y.category] || (x.key < y.key ? -1 : x.key > y.key ? 1 : 0)) }))
    .sort((a, b) => (a.service < b.service ? -1 : a.service > b.service ? 1 : 0));
}

export function configDiff(repo: string, rev1: string, rev2: string): ConfigDiff {
  const c1 = resolve(repo, rev1);
  const c2 = resolve(repo, rev2);
  return { from: { rev: rev1, commit: c1 }, to: { rev: rev2, commit: c2 }, services: diffFacts(factsAt(configFilesAt(repo, c1)), factsAt(configFilesAt(repo, c2))) };
}

/** Two sets of files (a worktree before and after an update), for the PR body's section. */
export function configDiffOfFiles(before: Map<string, string>, after: Map<string, string>): ServiceConfigChanges[] {
  return diffFacts(factsAt(before), factsAt(after));
}

const CATEGORY_TITLE: Record<Category, string> = { environment: 'Environment variables', build: 'Build configuration', runtime: 'Runtime configuration', ci: 'CI configuration' };

function cell(s: string | undefined): string {
  if (s === undefined) return '';
  const t = printable(s, { oneLine: true }).replace(/\|/g, '\\|');
  return `\`${(t.length > 120 ? `${t.slice(0, 117)}…` : t).replace(/`/g, "'")}\``;
}

/** Markdown: a "Configuration changes" section, one sub-section per service, one table per category. */
export function renderConfigChangesMarkdown(services: ServiceConfigChanges[], heading = '## Configuration changes'): string {
  const lines = [heading, ''];
  if (!services.length) return `${lines.join('\n')}No environment, build, runtime or CI configuration changed.\n`;
  for (const s of services) {
    lines.push(`### ${printable(s.service, { oneLine: true })}`, '');
    for (const cat of ['environment', 'build', 'runtime', 'ci'] as Category[]) {
      const rows = s.changes.filter((c) => c.category === cat);
      if (!rows.length) continue;
      lines.push(`**${CATEGORY_TITLE[cat]}**`, '', '| | setting | before | after | file |', '| --- | --- | --- | --- | --- |');
      for (const c of rows) {
        const sign = c.change === 'added' ? '+' : c.change === 'removed' ? '−' : '~';
        const before = c.secret ? (c.change === 'added' ? '' : '(not shown)') : cell(c.before);
        const after = c.secret ? (c.change === 'removed' ? '' : c.change === 'added' ? 'set (secret-looking, not shown)' : 'changed (secret-looking, not shown)') : cell(c.after);
        lines.push(`| ${sign} | ${cell(c.key)} | ${before} | ${after} | ${cell(c.file)} |`);
      }
      lines.push('');
    }
  }
  return `${lines.join('\n').trimEnd()}\n`;
}

export function renderConfigDiff(d: ConfigDiff, format: 'markdown' | 'json'): string {
  if (format === 'json') return `${JSON.stringify({ schemaVersion: 1, command: 'changes config', from: d.from, to: d.to, services: d.services }, null, 2)}\n`;
  return renderConfigChangesMarkdown(d.services, `## Configuration changes: ${printable(d.from.rev, { oneLine: true })} (${d.from.commit.slice(0, 12)}) → ${printable(d.to.rev, { oneLine: true })} (${d.to.commit.slice(0, 12)})`);
}

/**
 * An update's configuration changes: the base commit against the update's worktree as it stands before its commit
 * (tracked and new files), for the PR body and changelog entry.
 */
export function worktreeConfigChanges(repo: string, base: string, worktree: string): ServiceConfigChanges[] {
  const files = git(worktree, ['ls-files', '-z', '--cached', '--others', '--exclude-standard']).split('\0').filter((f) => f && isConfigFile(f));
  const after = new Map<string, string>();
  for (const f of files) {
    try {
      after.set(f, readFileSync(path.join(worktree, f), 'utf8'));
    } catch {
      // deleted in the worktree: absent after
    }
  }
  return configDiffOfFiles(configFilesAt(repo, base), after);
}
