import { isLockData } from '../model/files.ts';
import type { Inventory } from '../model/inventory.ts';
import type { SourceSpan } from '../model/source.ts';
import type { AuditResult } from '../vulns/audit.ts';
import { compiledLockCandidate, type Candidate } from './candidates.ts';
import type { SecurityFix } from './plan.ts';
import { SEVERITIES } from '../model/finding.ts';

/** The audit's smallest fixing upgrades, with the advisory ids and the worst severity they fix. */
export function securityFixesOf(audit: AuditResult): SecurityFix[] {
  const out: SecurityFix[] = [];
  for (const u of audit.upgrades) {
    if (!u.to) continue;
    const ms = audit.matches.filter((m) => m.service === u.service && m.pkg.ecosystem === u.ecosystem && m.pkg.normalizedName === u.name && m.pkg.version === u.from);
    const ids = [...new Set(ms.map((m) => m.id))].sort();
    const worst = ms.map((m) => m.scored.severity).sort((a, b) => SEVERITIES.indexOf(b) - SEVERITIES.indexOf(a))[0] ?? 'medium';
    out.push({ service: u.service, ecosystem: u.ecosystem, name: u.name, from: u.from, to: u.to, ids, severity: worst });
  }
  return out;
}

/**
 * A security fix of a package no manifest declares: the locks of the service that hold it at the vulnerable
 * version, each as a lock-only update candidate (`npm update <pkg> --package-lock-only`, `poetry update --lock
 * <pkg>`, `pnpm update <pkg> --lockfile-only`, `yarn upgrade <pkg>` / `yarn up -R <pkg>`) that keeps every
 * declared range; in a uv.lock, a `[tool.uv] constraint-dependencies` entry for CI's `uv lock`; in a compiled requirements lock (pip-compile), the new pin with the
 * registry's hashes. Other locks are left out: the caller reports those as not planned.
 */
const TRANSITIVE_LOCKS = new Set(['poetry-lock', 'package-lock', 'pnpm-lock', 'yarn-lock', 'uv-lock']);

export function transitiveCandidates(inv: Inventory, fix: SecurityFix): { candidate: Candidate; span: SourceSpan }[] {
  const out: { candidate: Candidate; span: SourceSpan }[] = [];
  for (const s of inv.services) {
    if (s.name !== fix.service) continue;
    for (const unit of s.units) {
      if (unit.ecosystem !== fix.ecosystem || !unit.lock) continue;
      const lock = inv.files.get(unit.lock);
      if (lock?.kind === 'requirements' && unit.lock !== unit.manifest) {
        // A compiled requirements lock: the fix is the new pin with the registry's hashes, written in place.
        const dep = lock.requirements.find((r) => r.normalizedName === fix.name && r.constraint.trim().replace(/^===?\s*/, '') === fix.from);
        if (dep) out.push({ span: dep.span, candidate: compiledLockCandidate(inv, s.name, unit, dep) });
        continue;
      }
      // npm, pnpm, Yarn and Poetry locks move with their real tool; a uv.lock by a constraint uv applies in CI's
      // relock. Pipfile.lock is left out: Pipenv has no constraint-only table, and its relock re-resolves everything.
      if (!isLockData(lock) || !TRANSITIVE_LOCKS.has(lock.kind)) continue;
      const hit = lock.packages.find((p) => p.normalizedName === fix.name && p.version === fix.from && !p.link);
      if (!hit) continue;
      out.push({
        span: hit.span,
        candidate: { key: `${unit.lock}#${fix.name}@${fix.from}`, service: s.name, file: unit.lock, target: 'dependency', ecosystem: unit.ecosystem, name: fix.name, displayName: hit.name, declared: '', current: fix.from, dev: hit.dev, unit, transitive: true },
      });
    }
  }
  return out.sort((a, b) => (a.candidate.key < b.candidate.key ? -1 : 1));
}
