import type { Inventory } from '../model/inventory.ts';
import type { VulnMatch } from '../vulns/audit.ts';
import { type CdxVersion, renderCycloneDx } from './cyclonedx.ts';
import { repositorySbom, type SbomDoc, serviceSbom } from './model.ts';
import { createRequire } from 'node:module';
import { type InventoryGap, inventoryGaps } from '../inventory/gaps.ts';
import type { Service } from '../model/inventory.ts';

/** The service a file belongs to: one that lists it, else the deepest root holding it (image-only compose services hold no folder). */
function ownerOf(services: Service[], file: string): Service | undefined {
  const listed = services.find((s) => s.files.includes(file));
  if (listed) return listed;
  let best: Service | undefined;
  for (const s of services) {
    if (s.origin === 'compose' && s.units.length === 0 && s.dockerfiles.length === 0) continue;
    if ((s.root === '.' || file.startsWith(`${s.root}/`)) && (!best || s.root.length > best.root.length)) best = s;
  }
  return best;
}

const withGaps = (doc: SbomDoc, mine: InventoryGap[]): SbomDoc => (mine.length ? { ...doc, gaps: mine } : doc);

export const SBOM_FORMATS = ['cyclonedx-json', 'cyclonedx-xml', 'spdx-json'] as const;
export type SbomFormat = (typeof SBOM_FORMATS)[number];
export const SBOM_EXT: Record<SbomFormat, string> = { 'cyclonedx-json': 'cdx.json', 'cyclonedx-xml': 'cdx.xml', 'spdx-json': 'spdx.json' };

/** A file-name-safe form of a service name ("api/v2" → "api_v2"). */
export const fileSlug = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[_.]+|_+$/g, '') || 'root';

function sourcesOf(services: Inventory['services']): string[] {
  return [...new Set(services.flatMap((s) => [...s.files, ...s.locked.map((p) => p.span.file)]))].sort();
}

export interface SbomDocument {
  /** File name without extension: the service's slug, or "repository". */
  file: string;
  doc: SbomDoc;
  /** The files it is built from: locks, manifests, Dockerfiles, compose files, workflows (their last commit dates it). */
  sources: string[];
}

/**
 * The documents `depwarden sbom` writes: one per service, then the whole repository (unless one service was
 * asked for). Two services whose names give the same file name get a numeric suffix, in service order.
 */
export function sbomDocuments(inv: Inventory, repositoryName: string, only?: string, opts: { repositoryOnly?: boolean } = {}): SbomDocument[] {
  const gaps = inventoryGaps(inv);
  // The repository document alone (what `sbom` prints without -o): the per-service documents would be built
  // and dropped, and repositorySbom builds each service's again.
  if (opts.repositoryOnly && only === undefined) return [repositoryDocument(inv, repositoryName, gaps)];
  const services = only === undefined ? inv.services : inv.services.filter((s) => s.name === only);
  const used = new Set<string>(['repository']);
  const out: SbomDocument[] = [];
  for (const s of services) {
    let file = fileSlug(s.name);
    for (let i = 2; used.has(file); i++) file = `${fileSlug(s.name)}-${i}`;
    used.add(file);
    out.push({ file, doc: withGaps(serviceSbom(s, inv), gaps.filter((g) => ownerOf(inv.services, g.file) === s)), sources: sourcesOf([s]) });
  }
  if (only === undefined) out.push(repositoryDocument(inv, repositoryName, gaps));
  return out;
}

function repositoryDocument(inv: Inventory, repositoryName: string, gaps: InventoryGap[]): SbomDocument {
  return { file: 'repository', doc: withGaps(repositorySbom(inv, repositoryName), gaps), sources: [...new Set([...sourcesOf(inv.services), ...inv.actions.map((a) => a.span.file)])].sort() };
}

export interface RenderOptions {
  spec: CdxVersion;
  timestamp: Date;
  toolVersion: string;
  /** The audit's matches (src/vulns/audit.ts); CycloneDX only (SPDX 2.3 has no vulnerability section). */
  vulnerabilities?: VulnMatch[];
}

// SPDX and the audit embedding load only when asked for: the default run writes CycloneDX JSON alone.
const require = createRequire(import.meta.url);

export function renderSbom(doc: SbomDoc, format: SbomFormat, opts: RenderOptions): string {
  if (format === 'spdx-json') return (require('./spdx.ts') as typeof import('./spdx.ts')).renderSpdx(doc, { timestamp: opts.timestamp, toolVersion: opts.toolVersion });
  const { vulnerabilitiesFor } = opts.vulnerabilities ? (require('./vulnerabilities.ts') as typeof import('./vulnerabilities.ts')) : { vulnerabilitiesFor: undefined };
  return renderCycloneDx(doc, {
    version: opts.spec,
    timestamp: opts.timestamp,
    toolVersion: opts.toolVersion,
    format: format === 'cyclonedx-xml' ? 'xml' : 'json',
    ...(opts.vulnerabilities && vulnerabilitiesFor ? { vulnerabilities: vulnerabilitiesFor(doc, opts.vulnerabilities) } : {}),
  });
}
