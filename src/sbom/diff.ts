import { PackageURL } from 'packageurl-js';
import { mdCell } from '../report/markdown.ts';
import type { Ecosystem } from '../model/dependency.ts';
import { classifyUpdate } from '../versioning/constraint.ts';

/** A component as both SBOM formats can state it. */
export interface DiffEntry {
  /** purl type/namespace/name (no version, no qualifiers), or the name when there is no purl. */
  key: string;
  name: string;
  version: string;
  ecosystem?: Ecosystem;
  hashes: string[];
  license?: string;
}

export interface SbomDiff {
  added: DiffEntry[];
  removed: DiffEntry[];
  changed: { key: string; name: string; from: string; to: string; direction: 'upgrade' | 'downgrade' | 'change'; updateType: string }[];
  licenseChanges: { key: string; name: string; version: string; from?: string; to?: string }[];
  /** Same version, different artifact hashes: somebody re-published or tampered with a release. */
  hashChanges: { key: string; name: string; version: string; from: string[]; to: string[] }[];
}

function ecosystemOf(type: string): Ecosystem | undefined {
  return type === 'pypi' ? 'PyPI' : type === 'npm' ? 'npm' : type === 'docker' ? 'docker' : type === 'github' ? 'github-actions' : undefined;
}

function fromPurl(purl: string | undefined, name: string, version: string): Pick<DiffEntry, 'key' | 'ecosystem' | 'version'> {
  if (!purl) return { key: name, version };
  try {
    const p = PackageURL.fromString(purl);
    return { key: `${p.type}/${p.namespace ? `${p.namespace}/` : ''}${p.name}`, version: version || p.version || '', ...(ecosystemOf(p.type) ? { ecosystem: ecosystemOf(p.type)! } : {}) };
  } catch {
    return { key: name, version };
  }
}

/** Reads CycloneDX JSON or SPDX 2.3 JSON into diff entries. Throws with a plain message for anything else. */
export function sbomEntries(json: string, label: string): DiffEntry[] {
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(json) as Record<string, unknown>;
  } catch (e) {
    throw new Error(`${label} is not JSON: ${e instanceof Error ? e.message : String(e)}`);
  }
  const out: DiffEntry[] = [];
  if (doc.bomFormat === 'CycloneDX') {
    const walk = (list: unknown): void => {
      for (const c of Array.isArray(list) ? (list as Record<string, unknown>[]) : []) {
        const name = String(c.name ?? '');
        const hashes = (Array.isArray(c.hashes) ? (c.hashes as { alg: string; content: string }[]) : []).map((h) => `${h.alg.toLowerCase().replace('-', '')}:${h.content}`).sort();
        const lic = (Array.isArray(c.licenses) ? (c.licenses as { expression?: string; license?: { id?: string; name?: string } }[]) : []).map((l) => l.expression ?? l.license?.id ?? l.license?.name).filter(Boolean).join(' AND ');
        out.push({ name, hashes, ...(lic ? { license: lic } : {}), ...fromPurl(c.purl as string | undefined, name, String(c.version ?? '')) });
        walk(c.components);
      }
    };
    walk(doc.components);
    return out;
  }
  if (typeof doc.spdxVersion === 'string') {
    const described = new Set(Array.isArray(doc.documentDescribes) ? (doc.documentDescribes as string[]) : []);
    for (const p of Array.isArray(doc.packages) ? (doc.packages as Record<string, unknown>[]) : []) {
      if (described.has(String(p.SPDXID))) continue; // the document's subject, not a dependency
      const name = String(p.name ?? '');
      const purl = (Array.isArray(p.externalRefs) ? (p.externalRefs as { referenceType: string; referenceLocator: string }[]) : []).find((r) => r.referenceType === 'purl')?.referenceLocator;
      const hashes = (Array.isArray(p.checksums) ? (p.checksums as { algorithm: string; checksumValue: string }[]) : []).map((h) => `${h.algorithm.toLowerCase()}:${h.checksumValue}`).sort();
      const lic = typeof p.licenseDeclared === 'string' && p.licenseDeclared !== 'NOASSERTION' && p.licenseDeclared !== 'NONE' ? p.licenseDeclared : undefined;
      out.push({ name, hashes, ...(lic ? { license: lic } : {}), ...fromPurl(purl, name, String(p.versionInfo ?? '')) });
    }
    return out;
  }
  throw new Error(`${label} is neither CycloneDX JSON (bomFormat) nor SPDX JSON (spdxVersion)`);
}

function cmpStr(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * What changed between two SBOMs. Components are matched by purl without version; a package present at one
 * version on each side is an upgrade/downgrade (classified by its ecosystem's rules), several versions on a
 * side are compared as sets.
 */
export function diffSboms(before: DiffEntry[], after: DiffEntry[]): SbomDiff {
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
      if (ea.hashes.length && eb.hashes.length && !ea.hashes.some((h) => eb.hashes.includes(h))) d.hashChanges.push({ key, name: eb.name, version: v, from: ea.hashes, to: eb.hashes });
      if ((ea.license ?? '') !== (eb.license ?? '')) d.licenseChanges.push({ key, name: eb.name, version: v, ...(ea.license ? { from: ea.license } : {}), ...(eb.license ? { to: eb.license } : {}) });
    }
    const onlyA = [...va.keys()].filter((v) => !vb.has(v)).sort();
    const onlyB = [...vb.keys()].filter((v) => !va.has(v)).sort();
    if (onlyA.length === 1 && onlyB.length === 1) {
      const from = onlyA[0]!;
      const to = onlyB[0]!;
      const eco = vb.get(to)!.ecosystem;
      const t = eco ? classifyUpdate(eco, from, to) : 'unknown';
      d.changed.push({ key, name: vb.get(to)!.name, from, to, direction: t === 'downgrade' ? 'downgrade' : t === 'unknown' ? 'change' : 'upgrade', updateType: t === 'downgrade' ? classifyUpdate(eco!, to, from) : t });
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
      lines.push('**Supply-chain red flag: artifacts changed without a version change**', '', '| package | version | before | after |', '| --- | --- | --- | --- |');
      for (const h of d.hashChanges) lines.push(`| ${mdCell(h.name)} | ${mdCell(h.version)} | ${mdCell(h.from.join(' '))} | ${mdCell(h.to.join(' '))} |`);
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
  for (const h of d.hashChanges) lines.push(`HASH CHANGED  ${h.name} ${h.version}: ${h.from.join(' ')} -> ${h.to.join(' ')}`);
  for (const c of d.changed) lines.push(`${c.direction.padEnd(13)} ${c.name} ${c.from} -> ${c.to} (${c.updateType})`);
  for (const e of d.added) lines.push(`added         ${e.name} ${e.version}`);
  for (const e of d.removed) lines.push(`removed       ${e.name} ${e.version}`);
  for (const l of d.licenseChanges) lines.push(`licence       ${l.name} ${l.version}: ${l.from ?? '(none)'} -> ${l.to ?? '(none)'}`);
  lines.push(counts);
  return `${lines.join('\n')}\n`;
}
