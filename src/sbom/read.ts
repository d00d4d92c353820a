import { PackageURL } from 'packageurl-js';
import { create } from 'xmlbuilder2';
import { parseJson } from '../formats/json-positions.ts';
import { parseFinding } from '../formats/parse-finding.ts';
import { LineIndex } from '../formats/text-position.ts';
import type { Ecosystem, LockedPackage } from '../model/dependency.ts';
import type { Finding } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import { normalizePypiName } from '../util/names.ts';

/** An SBOM made by any tool, as the packages the audit can match (by purl). */
export interface ReadSbom {
  format: 'cyclonedx-json' | 'cyclonedx-xml' | 'spdx-json';
  /** The document's subject (CycloneDX metadata.component, SPDX name), when it has one. */
  name?: string;
  packages: LockedPackage[];
  /** Components whose purl type depwarden has no advisories for (maven, golang, ...), counted per type. */
  otherTypes: Record<string, number>;
  /** Components with no (readable) purl: nothing to match them by. */
  withoutPurl: number;
  findings: Finding[];
}

const ECOSYSTEM: Record<string, Ecosystem> = { pypi: 'PyPI', npm: 'npm' };

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const list = (v: unknown): unknown[] => (Array.isArray(v) ? v : v === undefined ? [] : [v]);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : isObj(v) && typeof v['#'] === 'string' ? (v['#'] as string) : undefined);

/**
 * Reads CycloneDX (JSON or XML, any 1.x) or SPDX 2.x JSON, by content. Components are matched by their purl
 * only: a name without a purl could be any ecosystem's. A file that is neither is an error; a broken one a DW000.
 */
export function readSbom(file: string, text: string): ReadSbom {
  const trimmed = text.replace(/^\uFEFF/, '').trimStart();
  if (trimmed.startsWith('<')) return readCycloneDxXml(file, text);
  const parsed = parseJson(file, text);
  const empty = (format: ReadSbom['format']): ReadSbom => ({ format, packages: [], otherTypes: {}, withoutPurl: 0, findings: parsed.findings });
  if (!isObj(parsed.value)) return empty('cyclonedx-json');
  const doc = parsed.value;
  const acc = new Collector(file, text);
  if (typeof doc.spdxVersion === 'string') {
    for (const p of list(doc.packages)) {
      if (!isObj(p)) continue;
      const purl = list(p.externalRefs).map((r) => (isObj(r) && r.referenceType === 'purl' ? str(r.referenceLocator) : undefined)).find((x) => x !== undefined);
      acc.add(purl, false, (list(p.checksums) as Obj[]).flatMap((c) => (isObj(c) && typeof c.algorithm === 'string' && typeof c.checksumValue === 'string' ? [`${c.algorithm.toLowerCase().replace('-', '')}:${c.checksumValue.toLowerCase()}`] : [])));
    }
    return acc.result('spdx-json', str(doc.name));
  }
  if (doc.bomFormat !== 'CycloneDX') throw new Error(`${file} is neither a CycloneDX nor an SPDX document (no bomFormat / spdxVersion)`);
  const walk = (components: unknown): void => {
    for (const c of list(components)) {
      if (!isObj(c)) continue;
      acc.add(str(c.purl), c.scope === 'excluded', (list(c.hashes) as Obj[]).flatMap((h) => (isObj(h) && typeof h.alg === 'string' && typeof h.content === 'string' ? [`${h.alg.toLowerCase().replace('-', '')}:${h.content.toLowerCase()}`] : [])));
      walk(c.components);
    }
  };
  walk(doc.components);
  const meta = isObj(doc.metadata) && isObj(doc.metadata.component) ? doc.metadata.component : undefined;
  return acc.result('cyclonedx-json', meta ? str(meta.name) : undefined);
}

function readCycloneDxXml(file: string, text: string): ReadSbom {
  // No DTDs: an SBOM never needs one, and entity expansion is the classic hostile-XML attack.
  const dtd = /<!(DOCTYPE|ENTITY)/i.exec(text);
  if (dtd) {
    const p = new LineIndex(file, text).position(dtd.index);
    return { format: 'cyclonedx-xml', packages: [], otherTypes: {}, withoutPurl: 0, findings: [parseFinding(file, p.line, p.column, 'a DOCTYPE or ENTITY declaration is refused in an SBOM')] };
  }
  let doc: Obj;
  try {
    doc = create(text).end({ format: 'object' }) as Obj;
  } catch (e) {
    return { format: 'cyclonedx-xml', packages: [], otherTypes: {}, withoutPurl: 0, findings: [parseFinding(file, 1, 1, e instanceof Error ? e.message.split('\n')[0]! : String(e))] };
  }
  const bom = isObj(doc.bom) ? doc.bom : undefined;
  if (!bom) throw new Error(`${file} is not a CycloneDX XML document (no <bom> root)`);
  const acc = new Collector(file, text);
  const walk = (components: unknown): void => {
    for (const holder of list(components)) {
      if (!isObj(holder)) continue;
      for (const c of list(holder.component)) {
        if (!isObj(c)) continue;
        const hashes = isObj(c.hashes) ? list(c.hashes.hash).flatMap((h) => (isObj(h) && typeof h['@alg'] === 'string' && str(h) ? [`${(h['@alg'] as string).toLowerCase().replace('-', '')}:${str(h)!.toLowerCase()}`] : [])) : [];
        acc.add(str(c.purl), str(c.scope) === 'excluded', hashes);
        walk(c.components);
      }
    }
  };
  walk(bom.components);
  const meta = isObj(bom.metadata) && isObj(bom.metadata.component) ? bom.metadata.component : undefined;
  return acc.result('cyclonedx-xml', meta ? str(meta.name) : undefined);
}

class Collector {
  readonly #file: string;
  readonly #text: string;
  readonly #idx: LineIndex;
  #cursor = 0;
  readonly packages: LockedPackage[] = [];
  readonly otherTypes: Record<string, number> = {};
  withoutPurl = 0;
  readonly findings: Finding[] = [];

  constructor(file: string, text: string) {
    this.#file = file;
    this.#text = text;
    this.#idx = new LineIndex(file, text);
  }

  /** Where the purl is written as the component's purl (not as a bom-ref), searched forward: documents list components in order. */
  #at(purl: string): number {
    for (const f of [JSON.stringify(purl).slice(1, -1), purl.replace(/&/g, '&amp;')]) {
      for (let i = this.#text.indexOf(f, this.#cursor); i >= 0; i = this.#text.indexOf(f, i + 1)) {
        if (/("(purl|referenceLocator)"\s*:\s*"|<purl>\s*)$/.test(this.#text.slice(Math.max(0, i - 40), i))) {
          this.#cursor = i + f.length;
          return i;
        }
      }
    }
    return Math.max(0, this.#text.indexOf(purl));
  }

  add(purl: string | undefined, dev: boolean, hashes: string[]): void {
    if (!purl) {
      this.withoutPurl++;
      return;
    }
    let p: PackageURL;
    try {
      p = PackageURL.fromString(purl);
    } catch {
      const at = this.#idx.position(Math.max(0, this.#text.indexOf(purl)));
      this.findings.push(parseFinding(this.#file, at.line, at.column, `not a package URL: ${JSON.stringify(purl.slice(0, 200))}`, 'Fix the purl; depwarden matches SBOM components by purl only.'));
      return;
    }
    const ecosystem = ECOSYSTEM[p.type];
    if (!ecosystem || !p.version) {
      const k = ecosystem ? `${p.type} (no version)` : p.type;
      this.otherTypes[k] = (this.otherTypes[k] ?? 0) + 1;
      return;
    }
    const name = ecosystem === 'npm' && p.namespace ? `${p.namespace}/${p.name}` : p.name;
    const offset = this.#at(purl);
    this.packages.push({
      ecosystem,
      name,
      normalizedName: ecosystem === 'PyPI' ? normalizePypiName(name) : name,
      version: p.version,
      hashes: [...new Set(hashes)].sort(),
      groups: [dev ? 'excluded' : 'required'],
      dev,
      optional: false,
      dependencies: [],
      span: this.#idx.span(offset, offset),
    });
  }

  result(format: ReadSbom['format'], name: string | undefined): ReadSbom {
    return { format, ...(name ? { name } : {}), packages: this.packages, otherTypes: this.otherTypes, withoutPurl: this.withoutPurl, findings: this.findings };
  }
}

/** The SBOM as a one-service inventory, so the audit, its triage and its renderers are the ones a repository gets. */
export function sbomInventory(root: string, file: string, sbom: ReadSbom): Inventory {
  const name = sbom.name ?? file;
  return {
    root,
    services: [{ name, root: '.', origin: 'discovered', files: [file], units: [], dockerfiles: [], compose: [], dependencies: [], locked: sbom.packages, images: [] }],
    files: new Map(),
    allFiles: new Set([file]),
    kinds: new Map(),
    actions: [],
    findings: sbom.findings,
  };
}
