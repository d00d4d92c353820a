import { readFileSync } from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { realPathInside } from '../util/inside.ts';

/**
 * Which service a build is of, from the repository's checkout. Decided (docs/builds.md):
 * - a workflow (workflow_run, check_suite of Actions) belongs to a service when every glob of its `paths:` filters
 *   (`on.push` / `on.pull_request`) starts inside that service's folder;
 * - a check run or status belongs to a service when its name is the service's name, or ends with `(name)` (a
 *   matrix job such as `test (api)`);
 * - otherwise the build is the repository's ('').
 */
export interface ServiceInfo {
  name: string;
  /** Repository-relative folder ('.' for the root). */
  root: string;
}

/** The folder part of a glob before its first wildcard: `services/api/**` → `services/api`. */
function staticPrefix(glob: string): string {
  const parts = glob.replace(/^!/, '').replace(/^\.\//, '').split('/');
  const fixed: string[] = [];
  for (const p of parts) {
    if (/[*?[\]{}]/.test(p)) break;
    fixed.push(p);
  }
  // A path without wildcards names a file or a folder; either way its folder decides.
  return fixed.join('/');
}

function within(prefix: string, root: string): boolean {
  return root !== '.' && (prefix === root || prefix.startsWith(`${root}/`));
}

/** The `paths:` globs of a workflow file's push and pull_request triggers ([] when it has none). */
export function workflowPaths(text: string): string[] {
  let doc: unknown;
  try {
    doc = parseYaml(text, { maxAliasCount: 100 });
  } catch {
    return [];
  }
  const on = (doc as Record<string, unknown> | null)?.on;
  if (!on || typeof on !== 'object' || Array.isArray(on)) return [];
  const globs: string[] = [];
  for (const trigger of ['push', 'pull_request', 'pull_request_target']) {
    const t = (on as Record<string, unknown>)[trigger] as Record<string, unknown> | null | undefined;
    const paths = t && typeof t === 'object' ? t.paths : undefined;
    if (Array.isArray(paths)) globs.push(...paths.filter((p): p is string => typeof p === 'string' && !p.startsWith('!')));
  }
  return globs;
}

export function serviceOfWorkflow(services: ServiceInfo[], globs: string[]): string {
  if (globs.length === 0) return '';
  const prefixes = globs.map(staticPrefix);
  // The innermost service folder that holds every glob.
  const holders = services.filter((s) => prefixes.every((p) => within(p, s.root))).sort((a, b) => b.root.length - a.root.length);
  return holders[0]?.name ?? '';
}

export function serviceOfCheck(services: ServiceInfo[], name: string): string {
  const n = name.trim().toLowerCase();
  const inParens = /\(([^()]+)\)\s*$/.exec(n)?.[1]?.trim();
  const hit = services.find((s) => s.name.toLowerCase() === n || s.name.toLowerCase() === inParens);
  return hit?.name ?? '';
}

/** A workflow file's `paths:` globs read from the checkout (inside it only); [] when it cannot be read. */
export function readWorkflowPaths(root: string, file: string): string[] {
  if (!/^\.github\/workflows\/[^/]+\.ya?ml$/.test(file)) return [];
  const where = realPathInside(root, file);
  if ('problem' in where) return [];
  try {
    return workflowPaths(readFileSync(where.real, 'utf8'));
  } catch {
    return [];
  }
}

const cache = new Map<string, { at: number; services: Promise<ServiceInfo[]> }>();

/**
 * The services of a registered checkout (its depwarden.yaml's `services:` or the discovered ones), cached for a
 * minute per checkout: a burst of webhooks does not rebuild the inventory each time. A checkout that cannot be
 * read has no services (builds then stay the repository's).
 */
export function servicesOfCheckout(root: string, ttlMs = 60_000): Promise<ServiceInfo[]> {
  const hit = cache.get(root);
  if (hit && Date.now() - hit.at < ttlMs) return hit.services;
  const services = (async () => {
    try {
      const { loadConfig } = await import('../config/load.ts');
      const { buildInventory } = await import('../inventory/build.ts');
      const inv = await buildInventory(root, (await loadConfig(root)).config);
      return inv.services.map((s) => ({ name: s.name, root: s.root }));
    } catch {
      return [];
    }
  })();
  cache.set(root, { at: Date.now(), services });
  return services;
}
