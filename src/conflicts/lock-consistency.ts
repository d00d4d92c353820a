import type { LockedEdge, LockedPackage } from '../model/dependency.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { lockGraph } from '../sbom/graph.ts';
import { satisfies } from '../versioning/constraint.ts';
import { evaluateMarker, linuxEnvironments, type MarkerEnv, parseMarker } from '../versioning/markers.ts';

/**
 * Every edge a lock records is met by what the lock installs (offline, from the lock alone).
 * - poetry.lock: the edge's constraint must be met by a locked version of the target, for the edge alternatives
 *   whose PEP 508 markers hold in a target environment. An edge whose target is not locked at all is skipped
 *   (Poetry leaves out what no supported environment needs; extras are not evaluated).
 * - package-lock: the target Node would load (nearest node_modules upwards) must satisfy the range; a required
 *   dependency that resolves to nothing is DW102. Optional dependencies and optional peers may be absent.
 */
export function lockConsistency(inv: Inventory): Finding[] {
  const out: Finding[] = [];
  const seen = new Set<string>();
  for (const s of inv.services) {
    for (const lock of new Set(s.locked.map((p) => p.span.file))) {
      if (seen.has(lock)) continue;
      seen.add(lock);
      const pkgs = s.locked.filter((p) => p.span.file === lock);
      const data = inv.files.get(lock);
      if (data?.kind === 'uv-lock' || data?.kind === 'pnpm-lock' || data?.kind === 'yarn-lock') {
        out.push(...resolvedEdges(pkgs, s.name, RELOCK_HINT[data.kind]));
        continue;
      }
      if (!lock.endsWith('poetry.lock') && !/package-lock\.json$|npm-shrinkwrap\.json$/.test(lock)) continue;
      const envs = linuxEnvironments(targetPythons(data?.kind === 'poetry-lock' ? data.pythonVersions : undefined));
      out.push(...(lock.endsWith('poetry.lock') ? poetryEdges(pkgs, s.name, envs, data?.kind === 'poetry-lock' ? data.lockVersion : '') : npmEdges(pkgs, s.name)));
    }
  }
  return out;
}

const SUPPORTED_PYTHONS = ['3.9', '3.10', '3.11', '3.12', '3.13', '3.14'];

/** The lowest and highest supported CPython the lock's python-versions allows (all of them when unreadable). */
export function targetPythons(constraint: string | undefined): string[] {
  const ok = SUPPORTED_PYTHONS.filter((v) => !constraint || satisfies('poetry', constraint, `${v}.0`) !== false);
  if (ok.length === 0) return [SUPPORTED_PYTHONS[SUPPORTED_PYTHONS.length - 1]!];
  return [...new Set([ok[0]!, ok[ok.length - 1]!])];
}

/** Does an edge apply in at least one target environment? Unreadable markers count as applying. */
export function applies(markers: string | undefined, envs: MarkerEnv[]): boolean {
  if (!markers) return true;
  try {
    const node = parseMarker(markers);
    return envs.some((e) => evaluateMarker(node, e));
  } catch {
    return true;
  }
}

function poetryEdges(pkgs: LockedPackage[], service: string, envs: MarkerEnv[], lockVersion: string): Finding[] {
  const byName = new Map<string, LockedPackage[]>();
  for (const p of pkgs) {
    const have = byName.get(p.normalizedName);
    if (have) have.push(p);
    else byName.set(p.normalizedName, [p]);
  }
  const out: Finding[] = [];
  // Several versions of one package are fine when their markers never apply together. Only lock-version 2.1
  // records package markers; older locks select versions through their dependents' edges, so nothing to judge.
  for (const [, versions] of Number(lockVersion) >= 2.1 ? byName : new Map<string, LockedPackage[]>()) {
    if (versions.length < 2) continue;
    for (const env of envs) {
      const live = versions.filter((p) => applies(p.markers, [env]));
      if (live.length < 2) continue;
      out.push({
        ruleId: 'DW103',
        severity: 'medium',
        message: `${live[0]!.name} is locked at ${live.map((p) => p.version).join(' and ')}, and both apply on Python ${env.python_version} ${env.platform_machine}`,
        hint: 'Relock; check that the alternatives in the dependency declarations have disjoint markers.',
        location: live[1]!.span,
        service,
        subject: live[0]!.name,
      });
      break;
    }
  }
  for (const p of pkgs) {
    const deps = p.dependencies;
    for (let i = 0; i < deps.length; i++) {
      // Poetry writes one entry per marker-separated alternative; the edge holds when any alternative holds. The
      // alternatives of a target are judged together, at its first entry (a scan, not a map: a package has a
      // handful of edges, and this runs for each of a fleet's 30,000 locked packages).
      const target = deps[i]!.normalizedName;
      if (firstIndexOf(deps, target) < i) continue;
      const locked = byName.get(target);
      if (!locked) continue;
      // Only the alternatives whose markers hold in a target environment (Linux x86_64/aarch64, the lowest and
      // highest Python the lock allows) have to be met.
      const relevant: LockedEdge[] = [];
      for (let j = i; j < deps.length; j++) if (deps[j]!.normalizedName === target && applies(deps[j]!.markers, envs)) relevant.push(deps[j]!);
      if (relevant.length === 0) continue;
      const met = relevant.some((e) => locked.some((t) => satisfies('poetry', e.constraint, t.version) !== false));
      if (met) continue;
      const e = relevant[0]!;
      out.push({
        ruleId: 'DW101',
        severity: 'high',
        message: `${p.name} ${p.version} requires ${e.name} ${relevant.map((x) => x.constraint).join(' or ')}, but the lock has ${locked.map((t) => t.version).join(', ')}`,
        hint: 'Relock; if the relock fails, the constraint set has no solution.',
        detail: `because ${p.name} ${p.version} depends on ${e.name} ${e.constraint}${e.markers ? ` (when ${e.markers})` : ''} and ${p.span.file} locks ${e.name} ${locked.map((t) => t.version).join(', ')}, installing ${p.span.file} gives ${p.name} a ${e.name} it does not accept.`,
        location: p.span,
        service,
        subject: `${p.name}@${p.version}`,
      });
    }
  }
  return out;
}

function firstIndexOf(edges: LockedEdge[], normalizedName: string): number {
  for (let i = 0; i < edges.length; i++) if (edges[i]!.normalizedName === normalizedName) return i;
  return -1;
}

const RELOCK_HINT = { 'uv-lock': 'Run `uv lock` and commit uv.lock.', 'pnpm-lock': 'Run `pnpm install --lockfile-only` and commit pnpm-lock.yaml.', 'yarn-lock': 'Run `yarn install` and commit yarn.lock.' };

/**
 * uv, pnpm and Yarn write the package each edge resolves to (a version, a snapshot key, a descriptor): the check
 * is that it is in the lock. An edge that resolves to nothing (not optional, not a peer, not a workspace link) is
 * a lock that cannot install — a hand edit or a merge that dropped entries.
 */
function resolvedEdges(pkgs: LockedPackage[], service: string, hint: string): Finding[] {
  const out: Finding[] = [];
  for (const p of pkgs) {
    if (p.link) continue;
    for (const e of p.dependencies) {
      if (e.target !== undefined || e.optional || e.kind === 'optional' || e.kind === 'peer' || e.kind === 'peerOptional') continue;
      if (/^(link:|workspace:|portal:|file:)/.test(e.constraint)) continue;
      out.push({
        ruleId: 'DW102',
        severity: 'high',
        message: `${p.name} ${p.version} requires ${e.name}${e.constraint ? ` ${e.constraint}` : ''}, which the lock does not resolve`,
        hint,
        location: p.span,
        service,
        subject: `${p.name}@${p.version}`,
      });
    }
  }
  return out;
}

function npmEdges(pkgs: LockedPackage[], service: string): Finding[] {
  const { edges } = lockGraph(pkgs);
  const out: Finding[] = [];
  for (const p of pkgs) {
    if (p.link) continue;
    const targets = edges.get(p) ?? [];
    for (const e of p.dependencies) {
      // Aliases (`"string-width-cjs": "npm:string-width@^4"`) install under the alias: match by folder.
      const t = targets.find((x) => (x.path ?? "").endsWith(`node_modules/${e.name}`) || x.name === e.name);
      if (!t) {
        if (e.kind === 'optional' || e.kind === 'peerOptional' || e.kind === 'peer' || e.optional) continue;
        out.push({
          ruleId: 'DW102',
          severity: 'high',
          message: `${p.path ?? p.name} requires ${e.name} ${e.constraint}, which the lock does not install anywhere on its resolution path`,
          hint: 'Run `npm install --package-lock-only` and commit the lock.',
          location: p.span,
          service,
          subject: `${p.name}@${p.version}`,
        });
        continue;
      }
      if (t.link || t.workspace || !t.version || /^(file:|link:|git|github:|https?:|workspace:)/.test(e.constraint)) continue;
      if (satisfies('npm', e.constraint, t.version) !== false) continue;
      out.push({
        ruleId: 'DW101',
        severity: e.kind === 'peer' || e.kind === 'peerOptional' ? 'medium' : 'high',
        message: `${p.path ?? p.name} requires ${e.name} ${e.constraint}${e.kind?.startsWith('peer') ? ' (peer)' : ''}, but loads ${t.path ?? t.name} ${t.version}`,
        hint: 'Relock; if npm keeps this layout, align the ranges (or accept a peer mismatch explicitly).',
        location: p.span,
        service,
        subject: `${p.name}@${p.version}`,
      });
    }
  }
  return out;
}
