import type { Dependency, LockedPackage } from '../model/dependency.ts';
import { isLockData, type ParsedData } from '../model/files.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory, ManifestUnit } from '../model/inventory.ts';
import { requirementsAsLocked } from '../inventory/build.ts';
import { lockedVersion } from '../inventory/locked-version.ts';
import { isExactPin } from '../versioning/constraint.ts';
import { finding, type Rule } from './context.ts';
import { allUnits } from './units.ts';

const SHA = /^[0-9a-f]{40}$/i;
/** Pins listed in the hint; the rest are in the detail and the properties (a 70-dependency manifest stays one line). */
const HINT_PINS = 8;
const MESSAGE_NAMES = 5;

/** Sources that are pinned by what they are, not by a version constraint. */
function pinnedBySource(d: Dependency): boolean {
  if (d.editable) return true; // `-e ../lib`: the repository's own code
  const s = d.source;
  if (!s) return false;
  switch (s.type) {
    case 'directory':
    case 'file':
      return true; // the repository's own code (path, workspace:, link:): versioned with it
    case 'url':
      return true; // one artifact; the lock records its hash (DW005 checks that)
    case 'git':
      return SHA.test(s.reference ?? '') || SHA.test(s.resolvedReference ?? '');
    default:
      return false;
  }
}

/** The exact pin as the manifest itself writes it: what to paste. */
export function pinIn(kind: ParsedData['kind'], dep: Dependency, version: string): string {
  if (kind === 'package-json') return `"${dep.name}": "${version}"`;
  if (kind === 'requirements') return `${dep.name}==${version}`;
  if (kind === 'pipfile') return `${dep.name} = "==${version}"`;
  // pyproject: Poetry tables take `name = "1.2.3"`; PEP 621 / dependency-group lists take PEP 508 strings.
  return dep.constraintSyntax === 'poetry' ? `${dep.name} = "${version}"` : `"${dep.name}==${version}"`;
}

/** One direct declaration without an exact version, and what its lock holds for it. */
export interface UnpinnedDeclaration {
  dep: Dependency;
  /** The version the unit's lock holds, when it holds one. */
  locked?: string;
  /** The lock records an artifact hash (or npm integrity) for that version. */
  hashed: boolean;
}

function declarations(d: ParsedData): Dependency[] {
  if (d.kind === 'pyproject' || d.kind === 'package-json' || d.kind === 'pipfile') return d.dependencies;
  return d.kind === 'requirements' ? d.requirements : [];
}

/** The lock's entries for a package at one version (npm: the top-level install first). */
function lockEntries(lock: ParsedData, dep: Dependency, version: string): LockedPackage[] {
  const pkgs = isLockData(lock) ? lock.packages : lock.kind === 'requirements' ? requirementsAsLocked(lock) : [];
  return pkgs.filter((p) => p.version === version && (p.normalizedName === dep.normalizedName || p.path === `node_modules/${dep.name}`));
}

/** A lock entry that is the repository's own code or a checkout: the lock, not a version, says which. */
function lockedFromSource(p: LockedPackage): boolean {
  const t = p.source?.type;
  return Boolean(p.link || p.workspace) || t === 'directory' || t === 'file' || (t === 'git' && SHA.test(p.source?.type === 'git' ? (p.source.resolvedReference ?? p.source.reference ?? '') : ''));
}

/** Direct declarations of a manifest not pinned to one exact version (peer ranges and pinned-by-source excluded). */
export function unpinnedDeclarations(inv: Inventory, unit: ManifestUnit, manifest: ParsedData): UnpinnedDeclaration[] {
  const lock = unit.lock ? inv.files.get(unit.lock) : undefined;
  const out: UnpinnedDeclaration[] = [];
  const all = declarations(manifest);
  // Poetry 2 reads `[project] dependencies = ["osv"]` with its source from `[tool.poetry.dependencies] osv = { path = ".." }`.
  const bySource = new Set(all.filter(pinnedBySource).map((d) => d.normalizedName));
  for (const dep of all) {
    if (dep.group === 'peer') continue; // peer ranges state compatibility, they install nothing
    if (pinnedBySource(dep) || bySource.has(dep.normalizedName)) continue;
    if (dep.constraintSyntax !== 'none' && isExactPin(dep.constraintSyntax, dep.constraint)) continue;
    const locked = lockedVersion(inv, unit, dep);
    if (locked !== undefined && lock && lockEntries(lock, dep, locked).some(lockedFromSource)) continue;
    const hashed = locked !== undefined && lock !== undefined && lockEntries(lock, dep, locked).some((p) => p.hashes.length > 0 || Boolean(p.integrity));
    out.push({ dep, ...(locked !== undefined ? { locked } : {}), hashed });
  }
  return out;
}

/**
 * DW001: every direct dependency declared with one exact version. One finding per manifest, listing them all:
 * medium when a lock holds a hashed exact version of every one of them (the install is reproducible, the
 * manifest just does not say so), high when any of them is pinned by nothing (no lock, not in it, or no hash).
 */
export const pinningRule: Rule = (ctx) => {
  const out: Finding[] = [];
  const constraintsOnly = constraintFiles(ctx.inv);
  for (const u of allUnits(ctx.inv)) {
    if (constraintsOnly.has(u.manifest)) continue;
    const list = unpinnedDeclarations(ctx.inv, u, u.manifestData);
    if (list.length === 0) continue;
    const kind = u.manifestData.kind;
    const names = [...new Set(list.map((x) => x.dep.name))];
    const shown = list.slice(0, MESSAGE_NAMES).map((x) => `${x.dep.name} ${x.dep.constraint === '' ? '(no version)' : `"${x.dep.constraint}"`}`);
    const message =
      list.length === 1
        ? `${list[0]!.dep.name} is declared with ${list[0]!.dep.constraint === '' ? 'no version' : `"${list[0]!.dep.constraint}"`}, not one exact version`
        : `${list.length} direct dependencies are not pinned exactly: ${shown.join(', ')}${list.length > MESSAGE_NAMES ? `, … (${list.length - MESSAGE_NAMES} more)` : ''}`;
    const locked = list.filter((x) => x.locked !== undefined);
    const notLocked = list.filter((x) => x.locked === undefined);
    const allHashed = notLocked.length === 0 && list.every((x) => x.hashed);
    const pins = locked.map((x) => pinIn(kind, x.dep, x.locked!));
    const f = finding(ctx, 'DW001', list[0]!.dep.constraintSpan ?? list[0]!.dep.span, message, {
      subject: u.manifest,
      hint: locked.length ? pinHint(u.lock!, pins, notLocked.map((x) => x.dep.name)) : noLockHint(kind, list[0]!.dep, u.lock),
      detail: list.map((x) => `${x.dep.name} ${x.dep.constraint === '' ? '(no version)' : x.dep.constraint} (line ${x.dep.span.line}, ${x.dep.group}): ${x.locked !== undefined ? `${u.lock} holds ${x.locked}${x.hashed ? '' : ' without a hash'}; pin ${pinIn(kind, x.dep, x.locked)}` : 'no locked version'}`).join('\n'),
      properties: {
        count: list.length,
        dependencies: names,
        locked: locked.map((x) => `${x.dep.name}@${x.locked}`),
        notLocked: [...new Set(notLocked.map((x) => x.dep.name))],
        lockPinsAll: allHashed,
        ...(u.lock ? { lock: u.lock } : {}),
      },
    });
    out.push({ ...f, severity: allHashed ? 'medium' : f.severity });
  }
  return out;
};

function pinHint(lock: string, pins: string[], notLocked: string[]): string {
  const listed = pins.slice(0, HINT_PINS).join(', ') + (pins.length > HINT_PINS ? `, … (${pins.length - HINT_PINS} more in the detail)` : '');
  const what = pins.length === 1 ? `Pin it to the version ${lock} holds: ${listed}` : `Pin them to the versions ${lock} holds: ${listed}`;
  const fix = pins.length > 1 || notLocked.length ? ' (`depwarden check --fix` writes them)' : '';
  const rest = notLocked.length ? `; ${notLocked.join(', ')} ${notLocked.length === 1 ? 'is' : 'are'} not in the lock: relock, then pin` : '';
  return `${what}${fix}${rest}.`;
}

function noLockHint(kind: ParsedData['kind'], dep: Dependency, lock: string | undefined): string {
  const example = pinIn(kind, dep, '1.2.3').replace('1.2.3', '<version>');
  return lock
    ? `${lock} holds none of them: relock, then pin each to the version it holds (e.g. ${example}); \`depwarden check --fix\` writes them.`
    : `No lock pins them: pin each to one exact version (e.g. ${example}) and commit a lock (DW002).`;
}

/** Requirements files other files only constrain (`-c`): like peer ranges they bound versions and install nothing. */
export function constraintFiles(inv: Inventory): Set<string> {
  const constrained = new Set<string>();
  const required = new Set<string>();
  for (const d of inv.files.values()) {
    if (d.kind !== 'requirements') continue;
    for (const i of d.includes) (i.kind === 'constraint' ? constrained : required).add(i.resolvedPath);
  }
  return new Set([...constrained].filter((f) => !required.has(f)));
}
