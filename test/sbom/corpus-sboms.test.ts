import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { renderCycloneDx, validateCycloneDxJson } from '../../src/sbom/cyclonedx.ts';
import type { Service } from '../../src/model/inventory.ts';
import { repositorySbom, type SbomDoc, serviceSbom } from '../../src/sbom/model.ts';
import { renderSpdx, validateSpdxJson } from '../../src/sbom/spdx.ts';
import { normalizePypiName } from '../../src/util/names.ts';
import { CORPUS, corpusCases } from '../helpers/corpus.ts';
import { validateCycloneDxXml } from './xml-schema.ts';

const TS = new Date('2024-01-01T00:00:00Z');

/** Edges of a poetry.lock counted straight from the TOML: (package, dependency) pairs whose target is locked. */
function poetryEdges(text: string): number {
  const doc = parseToml(text) as { package?: { name: string; dependencies?: Record<string, unknown> }[] };
  const names = new Set((doc.package ?? []).map((p) => normalizePypiName(p.name)));
  let n = 0;
  for (const p of doc.package ?? []) {
    const targets = new Set(Object.keys(p.dependencies ?? {}).map(normalizePypiName).filter((d) => names.has(d) && d !== normalizePypiName(p.name)));
    n += targets.size;
  }
  return n;
}

/** Edges of a package-lock v2/v3 counted from the JSON with Node's lookup (nearest node_modules upwards). */
function npmEdges(text: string): number {
  const doc = JSON.parse(text) as { packages?: Record<string, { dependencies?: Record<string, string>; optionalDependencies?: Record<string, string>; peerDependencies?: Record<string, string> }> };
  const keys = new Set(Object.keys(doc.packages ?? {}));
  let n = 0;
  for (const [k, e] of Object.entries(doc.packages ?? {})) {
    if (k === '') continue;
    const targets = new Set<string>();
    for (const dep of Object.keys({ ...e.dependencies, ...e.optionalDependencies, ...e.peerDependencies })) {
      let dir = k;
      for (;;) {
        const cand = `${dir ? `${dir}/` : ''}node_modules/${dep}`;
        if (keys.has(cand)) {
          if (cand !== k) targets.add(cand);
          break;
        }
        if (!dir) break;
        const cut = dir.lastIndexOf('node_modules/');
        dir = cut <= 0 ? '' : dir.slice(0, cut - 1);
      }
    }
    n += targets.size;
  }
  return n;
}

describe('SBOMs of every corpus case', () => {
  for (const c of corpusCases()) {
    it(`${c.dir}: schema-valid CycloneDX 1.5/1.6/1.7 JSON, 1.5/1.6 XML, SPDX 2.3; components and edges match the locks`, async () => {
      const root = path.join(CORPUS, c.dir);
      const inv = await buildInventory(root, configSchema.parse({}));
      const docs: { name: string; doc: SbomDoc; service?: Service }[] = [...inv.services.map((s) => ({ name: s.name, doc: serviceSbom(s, inv), service: s })), { name: 'repository', doc: repositorySbom(inv, c.dir) }];
      const xml: Record<'1.5' | '1.6', { name: string; xml: string }[]> = { '1.5': [], '1.6': [] };
      let checkedLocks = 0;
      for (const { name, doc, service: s } of docs) {
        for (const v of ['1.5', '1.6', '1.7'] as const) {
          const json = renderCycloneDx(doc, { version: v, timestamp: TS, toolVersion: '0.0.0', format: 'json' });
          assert.equal(await validateCycloneDxJson(json, v), null, `${name} CycloneDX ${v}`);
          // Every component of the model is in the document, with its purl (the JSON is what users read).
          if (v === '1.6') assert.equal((JSON.parse(json) as { components?: unknown[] }).components?.length ?? 0, doc.components.length, `${name} components written`);
        }
        for (const v of ['1.5', '1.6'] as const) xml[v].push({ name, xml: renderCycloneDx(doc, { version: v, timestamp: TS, toolVersion: '0.0.0', format: 'xml' }) });
        assert.equal(validateSpdxJson(renderSpdx(doc, { timestamp: TS, toolVersion: '0.0.0' })), null, `${name} SPDX`);
        if (!s) continue;
        // One library component per locked package, per lock (ground truth: INDEX.tsv counts).
        for (const lock of new Set(s.locked.map((p) => p.span.file))) {
          const truth = Number(/^(\d+)/.exec(c.truth.get(lock) ?? '')?.[1] ?? NaN);
          const comps = doc.components.filter((x) => x.properties['depwarden:lockfile'] === lock);
          if (!Number.isNaN(truth)) {
            assert.equal(comps.length, truth, `${lock} components`);
            checkedLocks++;
          }
          // Edges: the document's graph restricted to this lock equals the lock's own resolvable edges.
          const refs = new Set(comps.map((x) => x.ref));
          const edges = [...doc.dependencies].filter(([from]) => refs.has(from)).reduce((n, [, tos]) => n + tos.filter((t) => refs.has(t)).length, 0);
          const text = readFileSync(path.join(root, lock), 'utf8');
          if (lock.endsWith('poetry.lock')) assert.equal(edges, poetryEdges(text), `${lock} edges`);
          else if (lock.endsWith('package-lock.json') && (JSON.parse(text) as { lockfileVersion?: number }).lockfileVersion !== 1) assert.equal(edges, npmEdges(text), `${lock} edges`);
        }
      }
      // Every lock the case's ground truth counts was compared (no lock silently skipped).
      const truthLocks = [...c.truth.keys()].filter((p) => /(poetry\.lock|package-lock\.json)$/.test(p));
      assert.ok(checkedLocks >= truthLocks.length, `${checkedLocks} locks checked, ${truthLocks.length} in INDEX.tsv`);
      for (const v of ['1.5', '1.6'] as const) assert.deepEqual(await validateCycloneDxXml(xml[v], v), [], `CycloneDX ${v} XML`);
    });
  }
});
