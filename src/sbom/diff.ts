import { PackageURL } from 'packageurl-js';
import { mdCell } from '../report/markdown.ts';
import type { Ecosystem } from '../model/dependency.ts';
import { classifyUpdate, type UpdateType } from '../versioning/constraint.ts';

/** A component as both SBOM formats can state it. */
export interface DiffEntry {
  /** purl type/namespace/name (no version, no qualifiers), or the name when there is no purl. */
  key: string;
  name: string;
  version: string;
  ecosystem?: Ecosystem;
  hashes: string[];
  license?: string;
  /** Git dependencies: the commit the lock resolved (purl vcs_url "...@<commit>"). */
  commit?: string;
}

export interface SbomDiff {
  added: DiffEntry[];
  removed: DiffEntry[];
  /** updateType: major/minor/patch/prerelease by the ecosystem's rules; digest (image) or commit (action, git). */
  changed: { key: string; name: string; from: string; to: string; direction: 'upgrade' | 'downgrade' | 'change'; updateType: string }[];
  licenseChanges: { key: string; name: string; version: string; from?: string; to?: string }[];
  /**
   * Same version, different artifact hashes: somebody re-published or tampered with a release. Always severity
   * high: a registry version should never change its bytes (Docker tags may, but an image's version here is
   * its digest, so a moved tag is an update, not this).
   */
  hashChanges: { key: string; name: string; version: string; from: string[]; to: string[]; severity: 'high' }[];
}

function ecosystemOf(type: string): Ecosystem | undefined {
  return type === 'pypi' ? 'PyPI' : type === 'npm' ? 'npm' : type === 'docker' ? 'docker' : type === 'github' ? 'github-actions' : undefined;
}

function fromPurl(purl: string | undefined, name: string, version: string): Pick<DiffEntry, 'key' | 'ecosystem' | 'version' | 'commit'> {
  if (!purl) return { key: name, version };
  try {
    const p = PackageURL.fromString(purl);
    const commit = /@([0-9a-f]{7,64})$/i.exec(p.qualifiers?.vcs_url ?? '')?.[1];
    const eco = ecosystemOf(p.type);
    return { key: `${p.type}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`, version: version || p.version || '', ...(eco ? { ecosystem: eco } : {}), ...(commit ? { commit: commit.toLowerCase() } : {}) };
  } catch {
    return { key: name, version };
  }
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null && !Array.isArray(x);
const arr = (x: unknown): Record<string, unknown>[] => (Array.isArray(x) ? x.filter(isObj) : []);
const str = (x: unknown): string | undefined => (typeof x === 'string' ? x : undefined);

/** "SHA-256" / "SHA256" / "sha256" → "sha256:<lower-case hex>"; undefined for anything malformed. */
function hashOf(alg: unknown, content: unknown): string | undefined {
  if (typeof alg !== 'string' || typeof content !== 'string' || !/^[0-9a-f]+$/i.test(content)) return undefined;
  return `${alg.toLowerCase().replace(/-/g, '')}:${content.toLowerCase()}`;
}

/** CycloneDX walks nested components iteratively: hostile nesting cannot overflow the stack. */
function cycloneDxEntries(doc: Record<string, unknown>): DiffEntry[] {
  const out: DiffEntry[] = [];
  const stack = [...arr(doc.components)].reverse();
  while (stack.length) {
    const c = stack.pop()!;
    for (const x of arr(c.components).reverse()) stack.push(x);
    const name = str(c.name) ?? '';
    const hashes = new Set(arr(c.hashes).map((h) => hashOf(h.alg, h.content)).filter((h): h is string => h !== undefined));
    // depwarden's own SBOMs list every artifact hash there (CycloneDX holds one per algorithm).
    const all = arr(c.properties).find((p) => p.name === 'depwarden:hashes');
    for (const h of str(all?.value)?.split(' ') ?? []) if (/^[a-z0-9]+:[0-9a-f]+$/i.test(h)) hashes.add(h.toLowerCase());
    const lic = arr(c.licenses)
      .map((l) => str(l.expression) ?? (isObj(l.license) ? (str(l.license.id) ?? str(l.license.name)) : undefined))
      .filter((x): x is string => Boolean(x))
      .join(' AND ');
    out.push({ name, hashes: [...hashes].sort(), ...(lic ? { license: lic } : {}), ...fromPurl(str(c.purl), name, str(c.version) ?? '') });
  }
  return out;
}

function spdxEntries(doc: Record<string, unknown>): DiffEntry[] {
  // The document's subject (what it DESCRIBES) is not a dependency.
  const described = new Set(Array.isArray(doc.documentDescribes) ? doc.documentDescribes.filter((x): x is string => typeof x === 'string') : []);
  for (const r of arr(doc.relationships)) if (r.spdxElementId === 'SPDXRef-DOCUMENT' && r.relationshipType === 'DESCRIBES' && typeof r.relatedSpdxElement === 'string') described.add(r.relatedSpdxElement);
  const out: DiffEntry[] = [];
  for (const p of arr(doc.packages)) {
    if (described.has(String(p.SPDXID))) continue;
    const name = str(p.name) ?? '';
    const purl = arr(p.externalRefs).find((r) => r.referenceType === 'purl');
    const hashes = [...new Set(arr(p.checksums).map((h) => hashOf(h.algorithm, h.checksumValue)).filter((h): h is string => h !== undefined))].sort();
    const declared = str(p.licenseDeclared);
    const lic = declared && declared !== 'NOASSERTION' && declared !== 'NONE' ? declared : undefined;
    out.push({ name, hashes, ...(lic ? { license: lic } : {}), ...fromPurl(str(purl?.referenceLocator), name, str(p.versionInfo) ?? '') });
  }
  return out;
}

/** Reads CycloneDX JSON or SPDX 2.3 JSON into diff entries. Throws with a plain message for anything else. */
export function sbomEntries(json: string, label: string): DiffEntry[] {
  let doc: unknown;
  if (/^\s*</.test(json)) throw new Error(`${label} is XML: sbom diff reads CycloneDX JSON and SPDX JSON (write them with -f cyclonedx-json / spdx-json)`);
  try {
    doc = JSON.parse(json);
  } catch (e) {
    throw new Error(`${label} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  if (isObj(doc) && doc.bomFormat === 'CycloneDX') return cycloneDxEntries(doc);
  if (isObj(doc) && typeof doc.spdxVersion === 'string') return spdxEntries(doc);
  throw new Error(`${label} is neither CycloneDX JSON (bomFormat) nor SPDX JSON (spdxVersion)`);
}

/** Docker digests and git commits have no order: a change between two of them is named, not ranked. */
function classify(e: DiffEntry | undefined, from: string, to: string): UpdateType | 'digest' | 'commit' {
  if (/^sha256:[0-9a-f]{64}$/.test(from) && /^sha256:[0-9a-f]{64}$/.test(to)) return 'digest';
  if (/^[0-9a-f]{40}$/i.test(from) && /^[0-9a-f]{40}$/i.test(to)) return 'commit';
  return e?.ecosystem ? classifyUpdate(e.ecosystem, from, to) : 'unknown';
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What changed between two SBOMs, given as their text (CycloneDX or SPDX JSON: what `depwarden sbom` writes)
 * or as entries read with sbomEntries. Components are matched by purl without version; a package present at
 * one version on each side is an upgrade/downgrade (classified by its ecosystem's rules), several versions on
 * a side are compared as sets. Throws (plain message) when a text is not an SBOM.
 */
export function diffSboms(beforeSbom: DiffEntry[] | string, afterSbom: DiffEntry[] | string): SbomDiff {
  const before = typeof beforeSbom === 'string' ? sbomEntries(beforeSbom, 'the old SBOM') : beforeSbom;
  const after = typeof afterSbom === 'string' ? sbomEntries(afterSbom, 'the new SBOM') : afterSbom;
  const group = (list: DiffEntry[]): Map<string, Map<string, DiffEntry>> => {
    const m = new Map<string, Map<string, DiffEntry>>();
    for (const e of list) {
      const byVersion = m.get(e.key) ?? new Map<string, DiffEntry>();
      const prev = byVersion.get(e.version);
      // The same name@version twice (npm nesting): merge hashes, keep one entry.
      byVersion.set(e.version, prev ? { ...prev, hashes: [...new Set([...prev.hashes, ...e.hashes])].sort() } : e);
      m.set(e.key, byVersion);
    }
    return m;
  };
  const a = group(before);
  const b = group(after);
  const d: SbomDiff = { added: [], removed: [], changed: [], licenseChanges: [], hashChanges: [] };
  for (const key of [...new Set([...a.keys(), ...b.keys()])].sort()) {
    const va = a.get(key) ?? new Map<string, DiffEntry>();
    const vb = b.get(key) ?? new Map<string, DiffEntry>();
    for (const [v, ea] of va) {
      const eb = vb.get(v);
      if (!eb) continue;
      if (ea.hashes.length && eb.hashes.length && !ea.hashes.some((h) => eb.hashes.includes(h))) d.hashChanges.push({ key, name: eb.name, version: v, from: ea.hashes, to: eb.hashes, severity: 'high' });
      // A git dependency moved to another commit under the same version number.
      if (ea.commit && eb.commit && ea.commit !== eb.commit) d.changed.push({ key, name: eb.name, from: `${v} (${ea.commit.slice(0, 12)})`, to: `${v} (${eb.commit.slice(0, 12)})`, direction: 'change', updateType: 'commit' });
      if ((ea.license ?? '') !== (eb.license ?? '')) d.licenseChanges.push({ key, name: eb.name, version: v, ...(ea.license ? { from: ea.license } : {}), ...(eb.license ? { to: eb.license } : {}) });
    }
    const onlyA = [...va.keys()].filter((v) => !vb.has(v)).sort();
    const onlyB = [...vb.keys()].filter((v) => !va.has(v)).sort();
    if (onlyA.length === 1 && onlyB.length === 1) {
      const from = onlyA[0]!;
      const to = onlyB[0]!;
      const t = classify(vb.get(to), from, to);
      const ranked = t !== 'unknown' && t !== 'digest' && t !== 'commit' && t !== 'none';
      d.changed.push({ key, name: vb.get(to)!.name, from, to, direction: t === 'downgrade' ? 'downgrade' : ranked ? 'upgrade' : 'change', updateType: t === 'downgrade' ? classify(vb.get(to), to, from) : t });
      const la = va.get(from)!.license ?? '';
      const lb = vb.get(to)!.license ?? '';
      if (la !== lb) d.licenseChanges.push({ key, name: vb.get(to)!.name, version: to, ...(la ? { from: la } : {}), ...(lb ? { to: lb } : {}) });
      continue;
    }
    for (const v of onlyA) d.removed.push(va.get(v)!);
    for (const v of onlyB) d.added.push(vb.get(v)!);
  }
  const byKey = (x: { key: string; version?: string }, y: { key: string; version?: string }): number => cmpStr(x.key, y.key) || cmpStr(x.version ?? '', y.version ?? '');
  d.added.sort(byKey);
  d.removed.sort(byKey);
  return d;
}

export function renderSbomDiff(d: SbomDiff, format: 'table' | 'json' | 'markdown'): string {
  if (format === 'json') return `${JSON.stringify({ schemaVersion: 1, ...d }, null, 2)}\n`;
  const lines: string[] = [];
  const counts = `${d.added.length} added, ${d.removed.length} removed, ${d.changed.length} changed, ${d.licenseChanges.length} licence changes, ${d.hashChanges.length} hash changes at the same version`;
  if (format === 'markdown') {
    lines.push('### SBOM diff', '', counts, '');
    if (d.hashChanges.length) {
      lines.push('**Supply-chain red flag (severity high): artifacts changed without a version change**', '', '| severity | package | version | before | after |', '| --- | --- | --- | --- | --- |');
      for (const h of d.hashChanges) lines.push(`| ${h.severity} | ${mdCell(h.name)} | ${mdCell(h.version)} | ${mdCell(h.from.join(' '))} | ${mdCell(h.to.join(' '))} |`);
      lines.push('');
    }
    if (d.changed.length) {
      lines.push('| package | from | to | update |', '| --- | --- | --- | --- |');
      for (const c of d.changed) lines.push(`| ${mdCell(c.name)} | ${mdCell(c.from)} | ${mdCell(c.to)} | ${c.direction === 'downgrade' ? `downgrade (${c.updateType})` : c.updateType} |`);
      lines.push('');
    }
    if (d.added.length || d.removed.length) {
      lines.push('| change | package | version |', '| --- | --- | --- |');
      for (const e of d.added) lines.push(`| added | ${mdCell(e.name)} | ${mdCell(e.version)} |`);
      for (const e of d.removed) lines.push(`| removed | ${mdCell(e.name)} | ${mdCell(e.version)} |`);
      lines.push('');
    }
    if (d.licenseChanges.length) {
      lines.push('| package | version | licence before | licence after |', '| --- | --- | --- | --- |');
      for (const l of d.licenseChanges) lines.push(`| ${mdCell(l.name)} | ${mdCell(l.version)} | ${mdCell(l.from ?? '(none)')} | ${mdCell(l.to ?? '(none)')} |`);
      lines.push('');
    }
    return `${lines.join('\n')}\n`;
  }
  for (const h of d.hashChanges) lines.push(`HASH CHANGED  ${h.name} ${h.version} (severity ${h.severity}, same version, different artifacts): ${h.from.join(' ')} -> ${h.to.join(' ')}`);
  for (const c of d.changed) lines.push(`${c.direction.padEnd(13)} ${c.name} ${c.from} -> ${c.to} (${c.updateType})`);
  for (const e of d.added) lines.push(`added         ${e.name} ${e.version}`);
  for (const e of d.removed) lines.push(`removed       ${e.name} ${e.version}`);
  for (const l of d.licenseChanges) lines.push(`licence       ${l.name} ${l.version}: ${l.from ?? '(none)'} -> ${l.to ?? '(none)'}`);
  lines.push(counts);
  return `${lines.join('\n')}\n`;
}
