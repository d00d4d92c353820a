import { isLockData, type ParsedData } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { uncoveredFiles } from '../discover/coverage.ts';
import { findingToJson, sortKeys } from './json.ts';
import { printable } from './printable.ts';
import { redactFinding, redactSecrets } from '../util/redact.ts';

export const SCAN_SCHEMA_VERSION = 1;

/** Counts that say what a file contributed (the corpus tests compare these with independent ground truth). */
function fileFacts(d: ParsedData): Record<string, unknown> {
  switch (d.kind) {
    case 'pyproject':
      return { dependencies: d.dependencies.length, projectName: d.projectName, requiresPython: d.requiresPython };
    case 'package-json':
      return { dependencies: d.dependencies.length, name: d.name };
    case 'requirements':
      return { requirements: d.requirements.length, includes: d.includes.length, hashes: d.requirements.reduce((n, r) => n + (r.hashes?.length ?? 0), 0) };
    case 'poetry-lock':
      return { lockVersion: d.lockVersion, lockedPackages: d.packages.length };
    case 'package-lock':
      return { lockVersion: String(d.lockfileVersion), lockedPackages: d.packages.length };
    case 'uv-lock':
      return { lockVersion: `${d.version}${d.revision !== undefined ? `.r${d.revision}` : ''}`, lockedPackages: d.packages.length, projects: d.projects.map((p) => p.name) };
    case 'pnpm-lock':
      return { lockVersion: d.lockfileVersion, lockedPackages: d.packages.length, importers: d.importers.length };
    case 'yarn-lock':
      return { lockVersion: d.flavor === 'v1' ? 'v1' : `berry ${d.metadataVersion ?? '?'}`, lockedPackages: d.packages.length };
    case 'pipfile':
      return { dependencies: d.dependencies.length, sources: d.sources.length };
    case 'pipfile-lock':
      return { lockVersion: String(d.pipfileSpec ?? ''), lockedPackages: d.packages.length };
    case 'dockerfile':
      return { stages: d.stages.length, images: d.stages.filter((s) => !s.from.stageRef && !s.from.scratch).map((s) => s.from.resolved), installs: d.installs.length };
    case 'compose':
      return { services: d.services.map((s) => s.name) };
    case 'gha-workflow':
      return { uses: d.uses.length, shaPinned: d.uses.filter((u) => u.refKind === 'sha').length };
  }
}

// One entry per dependency and locked package of every service (30,000 on a 200-service fleet): keys written in
// sorted order directly (what sortKeys would give), undefined ones left out.
function dependencyJson(d: Inventory['services'][number]['dependencies'][number]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (d.constraint !== undefined) o.constraint = d.constraint;
  if (d.dev !== undefined) o.dev = d.dev;
  o.ecosystem = d.ecosystem;
  o.file = d.span.file;
  if (d.group !== undefined) o.group = d.group;
  o.line = d.span.line;
  o.name = d.name;
  if (d.optional !== undefined) o.optional = d.optional;
  if (d.source?.type !== undefined) o.source = d.source.type;
  return o;
}

function lockedJson(p: Inventory['services'][number]['locked'][number]): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  if (p.dev !== undefined) o.dev = p.dev;
  o.ecosystem = p.ecosystem;
  o.file = p.span.file;
  o.hashes = p.hashes.length;
  o.name = p.name;
  if (p.source?.type !== undefined) o.source = p.source.type;
  if (p.version !== undefined) o.version = p.version;
  return o;
}

export function renderScanJson(inv: Inventory, findings: Finding[], toolVersion: string): string {
  const doc = {
    schemaVersion: SCAN_SCHEMA_VERSION,
    tool: { name: 'depwarden', version: toolVersion },
    summary: {
      services: inv.services.length,
      files: inv.kinds.size,
      dependencies: inv.services.reduce((n, s) => n + s.dependencies.length, 0),
      lockedPackages: [...inv.files.values()].reduce((n, d) => n + (isLockData(d) ? d.packages.length : 0), 0),
      images: inv.services.reduce((n, s) => n + s.images.length, 0),
      actions: inv.actions.length,
      findings: findings.length,
    },
    services: inv.services.map((s) =>
      sortKeys({
        name: s.name,
        root: s.root,
        origin: s.origin,
        files: s.files,
        units: s.units.map((u) => sortKeys({ ecosystem: u.ecosystem, manifest: u.manifest, lock: u.lock })),
        dockerfiles: s.dockerfiles,
        compose: s.compose.map((c) => ({ file: c.file, service: c.service.name })),
        images: s.images.map((i) => sortKeys({ ref: i.resolved, tag: i.tag, digest: i.digest, file: i.span.file, line: i.span.line })),
        dependencies: s.dependencies.map(dependencyJson),
        locked: s.locked.map(lockedJson),
      }),
    ),
    files: [...inv.kinds.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([path, kind]) => {
        const d = inv.files.get(path);
        return sortKeys({ path, kind, parsed: d !== undefined, ...(d ? fileFacts(d) : {}) });
      }),
    actions: inv.actions.map((a) => sortKeys({ uses: a.raw, kind: a.kind, refKind: a.refKind, versionComment: a.versionComment, file: a.span.file, line: a.span.line })),
    // Dependency files depwarden does not read (DW012): listed, so a reader never takes the inventory as whole.
    notCovered: uncoveredFiles(inv.allFiles, inv.kinds).map((u) => sortKeys({ path: u.file, ecosystem: u.ecosystem, role: u.role, tool: u.tool })),
    findings: findings.map((f) => findingToJson(redactFinding(f))),
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

export function renderScanTable(inv: Inventory, findings: Finding[]): string {
  const lines: string[] = [];
  const uncovered = uncoveredFiles(inv.allFiles, inv.kinds);
  for (const s of inv.services) {
    lines.push(`${s.name}  (${s.root}, ${s.origin})`);
    for (const u of s.units) {
      const lock = u.lock ? inv.files.get(u.lock) : undefined;
      const n = isLockData(lock) ? lock.packages.length : undefined;
      const dir = u.manifest.includes('/') ? u.manifest.slice(0, u.manifest.lastIndexOf('/') + 1) : '';
      const unread = uncovered.filter((c) => c.role === 'lock' && c.file.startsWith(dir) && !c.file.slice(dir.length).includes('/')).map((c) => c.file);
      const broken = ['poetry.lock', 'uv.lock', 'Pipfile.lock', 'package-lock.json', 'npm-shrinkwrap.json', 'pnpm-lock.yaml', 'yarn.lock'].map((n) => `${dir}${n}`).filter((f) => inv.kinds.has(f) && !inv.files.has(f));
      const none = broken.length ? `  (lock ${broken.join(', ')} cannot be parsed: see its DW000)` : unread.length ? `  (not locked as far as depwarden knows: ${unread.join(', ')} not read)` : '  (no lock)';
      lines.push(`  ${u.ecosystem.padEnd(5)} ${u.manifest}${u.lock ? ` -> ${u.lock}${n !== undefined ? ` (${n} locked)` : ''}` : none}`);
    }
    // One line per image, naming every file:line that uses it (multi-stage builds and Dockerfile variants repeat one image).
    const byImage = new Map<string, string[]>();
    for (const i of s.images) {
      const key = `${i.resolved}${i.digest ? '' : '  (no digest)'}`;
      byImage.set(key, [...(byImage.get(key) ?? []), `${i.span.file}:${i.span.line}`]);
    }
    for (const [image, where] of byImage) lines.push(`  image ${image}  ${[...new Set(where)].join(', ')}`);
    lines.push(`  ${s.dependencies.length} direct dependencies, ${s.locked.length} locked packages`, '');
  }
  if (uncovered.length) lines.push(`not covered (depwarden does not read these): ${uncovered.map((u) => u.file).join(', ')}`, '');
  lines.push(`${inv.services.length} services, ${inv.kinds.size} files, ${inv.actions.length} action uses; ${findings.length} parse/discovery findings${findings.length ? ' (run `depwarden check` for details)' : ''}.`);
  // Names and paths come from files: control characters are shown escaped (printable.ts), credentials redacted.
  return `${printable(redactSecrets(lines.join('\n')))}\n`;
}
