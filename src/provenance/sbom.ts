import path from 'node:path';
import type { Config } from '../config/schema.ts';
import type { Inventory } from '../model/inventory.ts';
import type { SbomDocument } from '../sbom/documents.ts';
import { depwardenHome } from '../util/home.ts';
import { ProvenanceCache } from './cache.ts';
import type { PackageProvenance } from './model.ts';
import { runProvenance } from './verify.ts';

/**
 * `sbom --provenance`: each component the provenance cache has a verdict for gains it as properties (CycloneDX
 * component properties; SPDX package comment lines, where depwarden writes its properties): the integrity verdict
 * against the registry, the registry signature, the attestation, and who built it. From the cache only (no
 * registry is asked), so the SBOM stays deterministic for the same cache.
 */
export async function sbomWithProvenance(inv: Inventory, config: Config, env: NodeJS.ProcessEnv, docs: SbomDocument[]): Promise<{ docs: SbomDocument[]; missing: number }> {
  const run = await runProvenance(inv, { config, cache: new ProvenanceCache(path.join(depwardenHome(env), 'cache', 'provenance')), env });
  const by = new Map<string, PackageProvenance>();
  for (const p of run.packages) by.set(`${p.ecosystem === 'npm' ? 'npm' : 'pypi'}/${p.ecosystem === 'PyPI' ? p.name.toLowerCase() : p.name}@${p.version}`, p);
  const out = docs.map((d) => ({
    ...d,
    doc: {
      ...d.doc,
      components: d.doc.components.map((c) => {
        const m = /^pkg:(npm|pypi)\/(.+)@([^@?#]+)/.exec(c.purl ?? '');
        if (!m) return c;
        const name = decodeURIComponent(m[2]!);
        const v = by.get(`${m[1]}/${m[1] === 'pypi' ? name.toLowerCase().replace(/[-_.]+/g, '-') : name}@${decodeURIComponent(m[3]!)}`);
        if (!v) return c;
        const props: Record<string, string> = { ...c.properties, 'depwarden:provenance:integrity': v.integrity.status };
        if (v.signature) props['depwarden:provenance:signature'] = v.signature.status;
        if (v.attestation) props['depwarden:provenance:attestation'] = v.attestation.status;
        const b = v.attestation?.status === 'verified' ? v.attestation.builtFrom : undefined;
        if (b?.repository) props['depwarden:provenance:source-repository'] = b.repository;
        if (b?.workflow) props['depwarden:provenance:build-workflow'] = b.workflow;
        if (b?.commit) props['depwarden:provenance:source-commit'] = b.commit;
        return { ...c, properties: props };
      }),
    },
  }));
  return { docs: out, missing: run.notChecked };
}
