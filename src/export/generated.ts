import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { writeFileAtomic } from '../edit/atomic-write.ts';
import { resolveInside } from '../edit/paths.ts';
import { parseRequirements } from '../formats/requirements.ts';
import type { RequirementsData } from '../model/files.ts';
import { normalizePypiName } from '../util/names.ts';
import { ExportError, type ExportOptions, exportRequirements, type PoetryProject } from './requirements.ts';

/**
 * Requirements files generated from a Poetry lock (by `poetry export` or `depwarden export`): which export options
 * reproduce a committed file, and whether it still matches its lock. Compared by what pip installs (each pin and
 * its hashes), not by text, so Poetry's marker spelling and depwarden's compare equal.
 */
export interface ExportMatch {
  /** Repository-relative requirements file. */
  file: string;
  /** Repository-relative project folder (pyproject.toml + poetry.lock). */
  project: string;
  options: ExportOptions;
  /** Empty when the file matches the lock. */
  differences: string[];
}

type Pins = Map<string, { version: string; hashes: string }>;

function pinsOf(r: RequirementsData): Pins | undefined {
  const out: Pins = new Map();
  for (const d of r.requirements) {
    const exact = /^===?\s*([^,;\s]+)$/.exec(d.constraint.trim());
    const version = exact?.[1] ?? (d.source ? `@${'url' in d.source ? d.source.url : ''}` : undefined);
    if (!version) return undefined; // a range: not an export
    const key = `${d.normalizedName}${d.extras?.length ? `[${[...d.extras].map(normalizePypiName).sort().join(',')}]` : ''}`;
    out.set(key, { version, hashes: [...(d.hashes ?? [])].sort().join(' ') });
  }
  return out;
}

function diff(committed: Pins, fresh: Pins): string[] {
  const out: string[] = [];
  for (const [k, v] of fresh) {
    const c = committed.get(k);
    if (!c) out.push(`${k} ${v.version.replace(/^@/, '')} is missing`);
    else if (c.version !== v.version) out.push(`${k} is ${c.version} in the file, ${v.version} in the lock`);
    else if (c.hashes !== v.hashes) out.push(`${k} ${v.version}: hashes differ from the lock's`);
  }
  for (const k of committed.keys()) if (!fresh.has(k)) out.push(`${k} is not in the lock's export`);
  return out.sort();
}

/** The option sets a committed export was most likely made with, most common first. */
function candidateOptions(hashes: boolean, groups: string[], extras: string[]): ExportOptions[] {
  const groupSets = [['main'], ...(groups.includes('dev') ? [['main', 'dev']] : []), ['main', ...groups.filter((g) => g !== 'main')]];
  const seen = new Set<string>();
  const out: ExportOptions[] = [];
  for (const g of groupSets) for (const e of extras.length ? [[], extras] : [[]]) {
    const key = `${g.join(',')}|${e.join(',')}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ groups: g, extras: e, hashes });
  }
  return out;
}

export function readProject(root: string, dir: string): PoetryProject | undefined {
  const abs = path.join(root, dir);
  const py = path.join(abs, 'pyproject.toml');
  const lock = path.join(abs, 'poetry.lock');
  if (!existsSync(py) || !existsSync(lock)) return undefined;
  return { dir: abs, pyprojectFile: path.posix.join(dir, 'pyproject.toml'), pyprojectText: readFileSync(py, 'utf8'), lockFile: path.posix.join(dir, 'poetry.lock'), lockText: readFileSync(lock, 'utf8') };
}

/**
 * Does this requirements file look exported from the Poetry project beside it, and does it still match?
 * Undefined when it is not an export: it has a range, a name the lock does not have, or no export option set
 * comes close (fewer than half of its pins agree).
 */
export function matchExport(project: PoetryProject, projectDir: string, req: RequirementsData, meta: { groups: string[]; extras: string[]; lockNames: Set<string> }): ExportMatch | undefined {
  if (req.generatedBy && req.generatedBy !== 'poetry export') return undefined;
  if (!req.requirements.length || req.includes.length) return undefined;
  const committed = pinsOf(req);
  if (!committed) return undefined;
  if (![...committed.keys()].every((k) => meta.lockNames.has(k.replace(/\[.*$/, '')))) return undefined;
  const hashes = req.requirements.some((d) => d.hashes?.length);
  let best: ExportMatch | undefined;
  for (const options of candidateOptions(hashes, meta.groups, meta.extras)) {
    let text: string;
    try {
      text = exportRequirements(project, options);
    } catch (e) {
      if (e instanceof ExportError) continue;
      throw e;
    }
    const parsed = parseRequirements(req.file, text, { exists: () => false, readText: () => undefined }).data;
    const fresh = parsed && pinsOf(parsed);
    if (!fresh) continue;
    const differences = diff(committed, fresh);
    if (!best || differences.length < best.differences.length) best = { file: req.file, project: projectDir, options, differences };
    if (!differences.length) break;
  }
  if (!best) return undefined;
  // Most pins must agree for the file to count as this lock's export (a hand-written list that happens to be pinned is not).
  const agreeing = committed.size - best.differences.filter((d) => !/is missing$/.test(d)).length;
  return agreeing * 2 >= committed.size ? best : undefined;
}

/** The `depwarden export` command line that regenerates a matched file. */
export function exportCommand(m: ExportMatch): string {
  const o = m.options;
  const groups = (o.groups ?? ['main']).filter((g) => g !== 'main');
  return [`depwarden export ${m.project || '.'}`, ...(groups.length ? [`--with ${groups.join(' ')}`] : []), ...(o.extras?.length ? [`--extras ${o.extras.join(' ')}`] : []), ...(o.hashes === false ? ['--without-hashes'] : []), `-o ${m.file}`].join(' ');
}

/** Rewrites each matched file from the project's current lock (after a relock), atomically, inside the repository. */
export function regenerateExports(root: string, matches: ExportMatch[]): string[] {
  const written: string[] = [];
  for (const m of matches) {
    const project = readProject(root, m.project);
    if (!project) continue;
    const text = exportRequirements(project, m.options);
    writeFileAtomic(resolveInside(root, m.file), Buffer.from(text, 'utf8'));
    written.push(m.file);
  }
  return written;
}
