import path from 'node:path';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { satisfies } from '../versioning/constraint.ts';

/**
 * Shared internal libraries: a service that depends on another service's folder by path (`shared-lib = {path =
 * "../shared-lib", develop = true}`) installs that library with its own requirements, so every consumer's lock
 * must hold versions the library accepts.
 */
export function sharedLibraries(inv: Inventory): Finding[] {
  const out: Finding[] = [];
  const byRoot = new Map(inv.services.map((s) => [s.root, s]));
  for (const consumer of inv.services) {
    for (const dep of consumer.dependencies) {
      if (dep.source?.type !== 'directory' || dep.dev) continue;
      const fromDir = path.posix.dirname(dep.span.file);
      const target = path.posix.normalize(path.posix.join(fromDir === '.' ? '' : fromDir, dep.source.path)).replace(/\/$/, '') || '.';
      const lib = byRoot.get(target);
      if (!lib || lib === consumer) continue;
      for (const need of lib.dependencies) {
        if (need.dev || need.optional || !need.constraint || need.source || need.constraintSyntax === 'none') continue;
        const locked = consumer.locked.filter((p) => p.ecosystem === need.ecosystem && p.normalizedName === need.normalizedName);
        if (locked.length === 0) continue;
        if (locked.some((p) => satisfies(need.constraintSyntax, need.constraint, p.version) !== false)) continue;
        out.push({
          ruleId: 'DW112',
          severity: 'high',
          message: `${consumer.name} uses the shared library ${lib.name}, which needs ${need.name} ${need.constraint}, but ${consumer.name} locks ${locked.map((p) => p.version).join(', ')}`,
          hint: `Relock ${consumer.name} after aligning ${need.name}, or widen ${lib.name}'s constraint if it really works with ${locked[0]!.version}.`,
          detail: `because ${consumer.name} depends on ${lib.name} (path ${dep.source.path}) and ${lib.name} declares ${need.name} ${need.constraint} in ${need.span.file}, ${consumer.name}'s lock must hold such a version; it holds ${locked.map((p) => p.version).join(', ')}.`,
          location: dep.span,
          service: consumer.name,
          subject: lib.name,
        });
      }
    }
  }
  return out;
}
