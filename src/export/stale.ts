import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parsePoetryLock } from '../formats/poetry-lock.ts';
import { parsePyproject } from '../formats/pyproject.ts';
import { parseRequirements } from '../formats/requirements.ts';
import type { Config } from '../config/schema.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { fileSpan } from '../model/source.ts';
import type { RequirementsData } from '../model/files.ts';
import { EXPORT_RULES } from './rules.ts';
import { exportCommand, type ExportMatch, matchExport, readProject } from './generated.ts';

/** Requirements files exported from the Poetry project in the same folder, each matched against its lock. */
export function exportedRequirements(inv: Pick<Inventory, 'root' | 'files'>, only?: string): ExportMatch[] {
  const out: ExportMatch[] = [];
  for (const d of inv.files.values()) {
    if (d.kind !== 'requirements' || d.file.endsWith('.in')) continue;
    const dir = path.posix.dirname(d.file) === '.' ? '' : path.posix.dirname(d.file);
    if (only !== undefined && dir !== only) continue;
    const lock = inv.files.get(path.posix.join(dir, 'poetry.lock'));
    const py = inv.files.get(path.posix.join(dir, 'pyproject.toml'));
    if (lock?.kind !== 'poetry-lock' || py?.kind !== 'pyproject') continue;
    const project = readProject(inv.root, dir);
    if (!project) continue;
    const m = matchExport(project, dir, d as RequirementsData, {
      groups: py.groups.map((g) => g.name).concat(py.dependencies.some((x) => x.group === 'dev') ? ['dev'] : []),
      extras: Object.keys(py.extras).sort(),
      lockNames: new Set(lock.packages.map((p) => p.normalizedName)),
    });
    if (m) out.push(m);
  }
  return out.sort((a, b) => (a.file < b.file ? -1 : 1));
}

/** DW301: an exported requirements file that its lock has moved away from. */
export function staleExportFindings(inv: Inventory, _config: Config): Finding[] {
  const info = EXPORT_RULES.find((r) => r.id === 'DW301')!;
  const out: Finding[] = [];
  for (const m of exportedRequirements(inv)) {
    if (!m.differences.length) continue;
    const service = inv.services.find((s) => s.files.includes(m.file))?.name;
    const cmd = exportCommand(m);
    out.push({
      ruleId: info.id,
      severity: info.defaultSeverity,
      message: `${m.file} was exported from ${m.project ? `${m.project}/` : ''}poetry.lock and no longer matches it (${m.differences.length} difference${m.differences.length === 1 ? '' : 's'}: ${m.differences.slice(0, 3).join('; ')}${m.differences.length > 3 ? '; …' : ''})`,
      hint: `Regenerate it: \`${cmd}\``,
      location: fileSpan(m.file),
      ...(service ? { service } : {}),
      subject: m.file,
      detail: m.differences.join('\n'),
      properties: { command: cmd, differences: m.differences.length },
    });
  }
  return out;
}

/** The same, read from disk for one project folder (the update engine's worktree has no inventory at hand). */
export function exportedRequirementsOnDisk(root: string, dir: string): ExportMatch[] {
  const abs = path.join(root, dir);
  const files: Inventory['files'] = new Map();
  const read = (name: string): string | undefined => {
    try {
      return readFileSync(path.join(abs, name), 'utf8');
    } catch {
      return undefined;
    }
  };
  const rel = (name: string): string => path.posix.join(dir, name);
  const lockText = read('poetry.lock');
  const pyText = read('pyproject.toml');
  if (lockText === undefined || pyText === undefined) return [];
  const lock = parsePoetryLock(rel('poetry.lock'), lockText).data;
  const py = parsePyproject(rel('pyproject.toml'), pyText).data;
  if (!lock || !py) return [];
  files.set(lock.file, lock);
  files.set(py.file, py);
  for (const name of readdirSync(abs).sort()) {
    if (!/requirements.*\.txt$/i.test(name)) continue;
    const text = read(name);
    const r = text === undefined ? undefined : parseRequirements(rel(name), text, { exists: () => false, readText: () => undefined }).data;
    if (r) files.set(r.file, r);
  }
  return exportedRequirements({ root, files }, dir);
}
