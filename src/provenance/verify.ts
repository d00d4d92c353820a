import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { TrustMaterial } from '@sigstore/verify';
import type { Config } from '../config/schema.ts';
import { type Datasources, NotFoundError } from '../datasources/index.ts';
import { packumentUrl } from '../datasources/npm.ts';
import type { Finding, Severity } from '../model/finding.ts';
import type { Inventory } from '../model/inventory.ts';
import type { SourceSpan } from '../model/source.ts';
import { redact } from '../http/client.ts';
import { compareVersions } from '../versioning/pep440.ts';
import type { AttestationResult } from './attestations.ts';
import type { ProvenanceCache } from './cache.ts';
import type { PackageProvenance } from './model.ts';
import { parseRegistryKeys, type RegistryKey, verifyNpmSignatures } from './npm-signatures.ts';
import { PROVENANCE_RULES } from './rules.ts';
import { countTargets, type Target, targets } from './targets.ts';

// The Sigstore libraries load only when an attestation is verified (`check` from the cache never needs them).
type Attestations = typeof import('./attestations.ts');

/**
 * `depwarden provenance`: every locked package of the inventory against what its registry publishes for that exact
 * version (hashes), the registry's signature, and its provenance attestation, with the `provenance:` policy
 * applied. Packages are checked once per registry+name+version+hashes (the cache keeps verdicts across runs); every
 * registry answer is hostile input, so a malformed answer is "unverified" with its reason, never "verified".
 */
export interface ImageCheck {
  image: string;
  digest: string;
  status: 'served' | 'missing' | 'unknown';
  reason: string;
  places: { file: string; span: SourceSpan; service?: string }[];
}
export interface ProvenanceRun {
  packages: PackageProvenance[];
  images: ImageCheck[];
  findings: Finding[];
  /** Packages asked of a registry this run (the rest came from the cache). */
  asked: number;
  fromCache: number;
  /** Offline runs (`check`): packages the cache had no verdict for. */
  notChecked: number;
}
export interface ProvenanceOptions {
  config: Config;
  /** undefined: offline, from the cache only (what `check` does). */
  datasources?: Datasources;
  cache?: ProvenanceCache;
  env?: NodeJS.ProcessEnv;
}

const INFO = new Map(PROVENANCE_RULES.map((r) => [r.id, r]));
/** Signing keys, attestation bundles and PEP 740 answers are small: anything bigger is refused unread. */
const SMALL_DOC = 4 * 1024 * 1024;

const errText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** npm SRI (`sha512-<b64> sha1-<b64>`) against the registry's dist: every algorithm both sides have must agree. */
function npmIntegrity(lockSri: string[], dist: { integrity?: unknown; shasum?: unknown }): PackageProvenance['integrity'] {
  if (!lockSri.length) return { status: 'unverifiable', reason: 'the lock records no integrity for this package' };
  const published = new Map<string, string>();
  if (typeof dist.integrity === 'string') for (const e of dist.integrity.split(/\s+/)) {
    const m = /^(sha\d+)-([A-Za-z0-9+/=]+)$/.exec(e);
    if (m) published.set(m[1]!, Buffer.from(m[2]!, 'base64').toString('hex'));
  }
  if (typeof dist.shasum === 'string' && /^[0-9a-f]{40}$/i.test(dist.shasum) && !published.has('sha1')) published.set('sha1', dist.shasum.toLowerCase());
  let matched = 0;
  const unmatched: string[] = [];
  for (const e of lockSri) {
    const m = /^(sha\d+)-([A-Za-z0-9+/=]+)$/.exec(e);
    if (!m || !published.has(m[1]!)) continue;
    if (Buffer.from(m[2]!, 'base64').toString('hex') === published.get(m[1]!)) matched++;
    else unmatched.push(e);
  }
  if (unmatched.length) return { status: 'mismatch', reason: `the lock pins ${unmatched.join(' ')}, the registry publishes ${String(dist.integrity ?? dist.shasum)}`, unmatched };
  if (!matched) return { status: 'unverifiable', reason: `the registry publishes no hash of an algorithm the lock pins (${lockSri.map((e) => e.split('-')[0]).join(', ')})` };
  return { status: 'verified', reason: 'the lock integrity is the one the registry publishes' };
}

class Registries {
  private readonly ds: Datasources;
  private readonly packuments = new Map<string, Promise<unknown>>();
  private readonly keys = new Map<string, Promise<RegistryKey[]>>();
  constructor(ds: Datasources) {
    this.ds = ds;
  }
  packument(registry: string, name: string): Promise<unknown> {
    const k = `${registry} ${name}`;
    let p = this.packuments.get(k);
    if (!p) this.packuments.set(k, (p = this.ds.json(packumentUrl(registry, name))));
    return p;
  }
  json(url: string): Promise<unknown> {
    return this.ds.json(url, { maxBytes: SMALL_DOC });
  }
  registryKeys(registry: string): Promise<RegistryKey[]> {
    let p = this.keys.get(registry);
    if (!p) this.keys.set(registry, (p = this.ds.json(`${registry.replace(/\/?$/, '/')}-/npm/v1/keys`, { maxBytes: SMALL_DOC }).then(parseRegistryKeys)));
    return p;
  }
}

async function checkNpm(t: Target, reg: Registries, trust: Trust, cfg: Config['provenance']): Promise<PackageProvenance> {
  const base: PackageProvenance = { ecosystem: 'npm', name: t.name, version: t.version, registry: t.registry, hashes: t.hashes, integrity: { status: 'unknown', reason: '' } };
  let doc: unknown;
  try {
    doc = await reg.packument(t.registry, t.name);
  } catch (e) {
    return { ...base, integrity: { status: 'unknown', reason: `the registry could not be asked: ${errText(e)}` } };
  }
  const versions = doc && typeof doc === 'object' ? (doc as { versions?: unknown }).versions : undefined;
  const v = versions && typeof versions === 'object' ? (versions as Record<string, unknown>)[t.version] : undefined;
  if (doc === undefined) return { ...base, integrity: { status: 'unknown', reason: `${t.registry} does not know ${t.name}` } };
  if (!v || typeof v !== 'object') return { ...base, integrity: { status: 'unknown', reason: `${t.registry} does not list ${t.name}@${t.version}` } };
  const dist = ((v as { dist?: unknown }).dist ?? {}) as { integrity?: unknown; shasum?: unknown; signatures?: unknown; attestations?: unknown };
  const out: PackageProvenance = { ...base, integrity: npmIntegrity(t.hashes, dist) };
  const time = (doc as { time?: Record<string, unknown> }).time?.[t.version];
  const registryIntegrity = typeof dist.integrity === 'string' ? dist.integrity : undefined;
  let keys: RegistryKey[] = [];
  if (cfg.signatures || cfg.attestations) {
    try {
      keys = await reg.registryKeys(t.registry);
    } catch (e) {
      if (cfg.signatures) out.signature = { status: 'unverified', reason: `the registry's signing keys could not be read: ${errText(e)}` };
    }
  }
  if (cfg.signatures && !out.signature) {
    out.signature = registryIntegrity
      ? verifyNpmSignatures({ name: t.name, version: t.version, integrity: registryIntegrity, signatures: dist.signatures, ...(typeof time === 'string' ? { publishedAt: time } : {}) }, keys)
      : { status: 'unsigned', reason: 'the registry publishes no integrity to check a signature over' };
  }
  if (cfg.attestations) out.attestation = await npmAttestation(t, dist.attestations, registryIntegrity, reg, keys, trust);
  return out;
}

async function npmAttestation(t: Target, ref: unknown, integrity: string | undefined, reg: Registries, keys: RegistryKey[], trust: Trust): Promise<AttestationResult> {
  const url = ref && typeof ref === 'object' ? (ref as { url?: unknown }).url : undefined;
  if (url === undefined) return { status: 'absent', reason: 'the registry lists no attestations for this version' };
  if (typeof url !== 'string' || !URL.canParse(url)) return { status: 'unverified', reason: 'the attestations URL is not a URL' };
  if (!integrity) return { status: 'unverified', reason: 'the registry publishes no integrity to match the attestation with' };
  let doc: unknown;
  try {
    doc = await reg.json(url);
  } catch (e) {
    return { status: 'unverified', reason: `the attestations could not be read: ${errText(e)}` };
  }
  try {
    return (await trust.load()).verifyNpmAttestations(doc, { name: t.name, version: t.version, integrity }, await trust.material(keys));
  } catch (e) {
    return { status: 'unverified', reason: `the attestations could not be verified: ${errText(e)}` };
  }
}
/** The trusted root, read once, and its trust material per set of registry keys (for npm's publish attestation). */
class Trust {
  private readonly file: string | undefined;
  private root: ReturnType<Attestations['loadTrustedRoot']> | undefined;
  private readonly byKeys = new Map<string, TrustMaterial>();
  lib: Attestations | undefined;
  constructor(file: string | undefined) {
    this.file = file;
  }
  async load(): Promise<Attestations> {
    this.lib ??= await import('./attestations.ts');
    return this.lib;
  }
  async material(keys: RegistryKey[]): Promise<TrustMaterial> {
    const lib = await this.load();
    const k = keys.map((x) => `${x.keyid}:${x.expires ?? ''}`).sort().join(',');
    let tm = this.byKeys.get(k);
    if (!tm) {
      this.root ??= lib.loadTrustedRoot(this.file);
      this.byKeys.set(k, (tm = lib.trustMaterial(this.root, keys)));
    }
    return tm;
  }
}

async function checkPypi(t: Target, ds: Datasources, trust: Trust, cfg: Config['provenance']): Promise<PackageProvenance> {
  const base: PackageProvenance = { ecosystem: 'PyPI', name: t.name, version: t.version, registry: t.registry, hashes: t.hashes, integrity: { status: 'unknown', reason: '' } };
  if (!t.hashes.length) return { ...base, integrity: { status: 'unverifiable', reason: 'the lock records no file hash for this package' } };
  let releases;
  try {
    releases = await ds.pypi(t.name, { indexes: [{ name: t.index!.name, url: t.index!.url, priority: 'primary', api: t.index!.api }] });
  } catch (e) {
    if (e instanceof NotFoundError) return { ...base, integrity: { status: 'unknown', reason: `${t.registry} does not know ${t.name}` } };
    return { ...base, integrity: { status: 'unknown', reason: `the index could not be asked: ${errText(e)}` } };
  }
  const rel = releases.releases.find((r) => r.version === t.version) ?? releases.releases.find((r) => compareVersions(r.version, t.version) === 0);
  if (!rel) return { ...base, integrity: { status: 'unknown', reason: `${t.registry} does not list ${t.name} ${t.version}` } };
  const published = new Set((rel.files ?? []).flatMap((f) => f.hashes));
  const algs = new Set([...published].map((h) => h.split(':')[0]));
  const comparable = t.hashes.filter((h) => algs.has(h.split(':')[0]));
  if (!comparable.length) return { ...base, integrity: { status: 'unverifiable', reason: `the index publishes no hash of an algorithm the lock pins for ${t.version}` } };
  const unmatched = comparable.filter((h) => !published.has(h));
  if (unmatched.length) return { ...base, integrity: { status: 'mismatch', reason: `${unmatched.length} of the ${t.hashes.length} hashes the lock pins belong to no file ${t.registry} publishes for ${t.version}: ${unmatched.join(', ')}`, unmatched } };
  const out: PackageProvenance = { ...base, integrity: { status: 'verified', reason: `every hash the lock pins is a file ${t.registry} publishes for ${t.version}` } };
  if (cfg.attestations && t.index?.api === 'json') out.attestation = await pypiAttestation(t, rel.files ?? [], ds, trust);
  return out;
}

/**
 * PEP 740 provenance of one file the lock pins (the sdist when pinned, else the first wheel by name): the Integrity
 * API sits beside the JSON API on PyPI (`<origin>/integrity/...`). One file per version keeps a fleet check to one
 * question per package; the other files of the version are covered by the integrity check only.
 */
async function pypiAttestation(t: Target, files: { filename: string; hashes: string[] }[], ds: Datasources, trust: Trust): Promise<AttestationResult> {
  const pinned = files.filter((f) => f.hashes.some((h) => t.hashes.includes(h))).sort((a, b) => Number(b.filename.endsWith('.tar.gz')) - Number(a.filename.endsWith('.tar.gz')) || (a.filename < b.filename ? -1 : 1));
  const file = pinned[0];
  const sha = file?.hashes.find((h) => h.startsWith('sha256:') && t.hashes.includes(h));
  if (!file || !sha) return { status: 'absent', reason: 'no pinned file to ask provenance for' };
  const origin = new URL(t.index!.url).origin;
  const url = `${origin}/integrity/${encodeURIComponent(t.name)}/${encodeURIComponent(t.version)}/${encodeURIComponent(file.filename)}/provenance`;
  let doc: unknown;
  try {
    doc = await ds.json(url, { maxBytes: SMALL_DOC });
  } catch (e) {
    return { status: 'unverified', reason: `the provenance of ${file.filename} could not be read: ${errText(e)}` };
  }
  try {
    return (await trust.load()).verifyPypiProvenance(doc, { filename: file.filename, sha256: sha.slice('sha256:'.length) }, await trust.material([]));
  } catch (e) {
    return { status: 'unverified', reason: `the provenance of ${file.filename} could not be verified: ${errText(e)}` };
  }
}

function matches(pattern: string, name: string): boolean {
  return pattern.endsWith('*') ? name.startsWith(pattern.slice(0, -1)) : pattern === name;
}
const normRepo = (r: string): string =>
  r
    .trim()
    .toLowerCase()
    .replace(/^git\+/, '')
    .replace(/^(https?:\/\/)?(www\.)?github\.com\//, '')
    .replace(/\.git$/, '')
    .replace(/\/+$/, '');

function findingsFor(r: PackageProvenance, places: Target['places'], cfg: Config['provenance']): Finding[] {
  const out: Finding[] = [];
  const label = `${r.name}@${r.version}`;
  const emit = (ruleId: string, message: string, props: Record<string, string | number | boolean | string[]> = {}, severity?: Severity): void => {
    const info = INFO.get(ruleId)!;
    for (const p of places) {
      out.push({
        ruleId,
        severity: severity ?? info.defaultSeverity,
        message,
        ...(info.hint ? { hint: info.hint } : {}),
        location: { file: p.span.file, line: p.span.line, column: p.span.column },
        ...(p.service ? { service: p.service } : {}),
        subject: `${r.ecosystem === 'npm' ? 'npm' : 'pypi'}:${label}`,
        properties: { registry: r.registry, ...props },
      });
    }
  };
  if (r.integrity.status === 'mismatch') emit('DW302', `${label}: ${r.integrity.reason}`, { unmatched: r.integrity.unmatched ?? [] });
  else if (r.integrity.status === 'unverifiable') emit('DW303', `${label}: ${r.integrity.reason}`);
  else if (r.integrity.status === 'unknown') emit('DW307', `${label}: ${r.integrity.reason}`);
  if (r.signature?.status === 'unverified') emit('DW304', `${label}: registry signature does not verify: ${r.signature.reason}`);
  if (r.attestation?.status === 'unverified') emit('DW304', `${label}: provenance attestation does not verify: ${r.attestation.reason}`);
  const pinned = Object.entries(cfg.repositories).find(([p]) => matches(p, r.name))?.[1];
  const required = pinned !== undefined || cfg.require.some((p) => matches(p, r.name));
  if (required && r.attestation?.status !== 'verified') emit('DW305', `${label} has no verified provenance (${r.attestation?.reason ?? 'attestations not checked'}), and depwarden.yaml requires it`);
  const repo = r.attestation?.builtFrom?.repository;
  if (pinned !== undefined && r.attestation?.status === 'verified' && (!repo || normRepo(repo) !== normRepo(pinned))) {
    emit('DW306', `${label} was built from ${repo ?? 'an unnamed repository'}, not ${pinned} as depwarden.yaml pins (workflow ${r.attestation.builtFrom?.workflow ?? 'unknown'})`, { expected: pinned, actual: repo ?? '' });
  }
  return out;
}

export async function runProvenance(inv: Inventory, opts: ProvenanceOptions): Promise<ProvenanceRun> {
  const cfg = opts.config.provenance;
  const env = opts.env ?? process.env;
  // Offline with no cached verdict (a `check` before any `provenance` run): nothing to report but the count.
  if (!opts.datasources && !opts.cache?.size) return { packages: [], images: [], findings: [], asked: 0, fromCache: 0, notChecked: countTargets(inv, opts.config, env) };
  const list = targets(inv, opts.config, env);
  const reg = opts.datasources ? new Registries(opts.datasources) : undefined;
  const trust = new Trust(cfg.trustedRoot ? path.resolve(inv.root, cfg.trustedRoot) : undefined);
  let asked = 0;
  let fromCache = 0;
  let notChecked = 0;
  const results = await Promise.all(
    list.map(async (t): Promise<[Target, PackageProvenance | undefined]> => {
      const hit = opts.cache?.get(t.key);
      if (hit) {
        fromCache++;
        return [t, hit];
      }
      if (!reg || !opts.datasources) {
        notChecked++;
        return [t, undefined];
      }
      asked++;
      const r = t.ecosystem === 'npm' ? await checkNpm(t, reg, trust, cfg) : await checkPypi(t, opts.datasources, trust, cfg);
      opts.cache?.set(t.key, r);
      return [t, r];
    }),
  );
  opts.cache?.save();
  const findings: Finding[] = [];
  const packages: PackageProvenance[] = [];
  for (const [t, r] of results) {
    if (!r) continue;
    packages.push(r);
    for (const f of findingsFor(r, t.places, cfg)) findings.push(f);
  }
  const images = cfg.images && opts.datasources ? await checkImages(inv, opts.datasources) : [];
  for (const i of images) {
    if (i.status !== 'missing') continue;
    const info = INFO.get('DW308')!;
    for (const p of i.places) findings.push({ ruleId: 'DW308', severity: info.defaultSeverity, message: `${i.image}@${i.digest}: ${i.reason}`, ...(info.hint ? { hint: info.hint } : {}), location: { file: p.span.file, line: p.span.line, column: p.span.column }, ...(p.service ? { service: p.service } : {}), subject: `${i.image}@${i.digest}` });
  }
  return { packages, images, findings, asked, fromCache, notChecked };
}

async function checkImages(inv: Inventory, ds: Datasources): Promise<ImageCheck[]> {
  const byKey = new Map<string, ImageCheck>();
  for (const s of inv.services) {
    for (const img of s.images) {
      if (!img.digest || img.stageRef || img.unresolved.length) continue;
      const image = `${img.registry ?? 'docker.io'}/${img.repository}`;
      const key = `${image}@${img.digest}`;
      const place = { file: img.span.file, span: img.span, service: s.name };
      const have = byKey.get(key);
      if (have) {
        if (!have.places.some((p) => p.file === place.file && p.span.line === place.span.line)) have.places.push(place);
      } else byKey.set(key, { image, digest: img.digest, status: 'unknown', reason: '', places: [place] });
    }
  }
  const list = [...byKey.values()].sort((a, b) => (a.image + a.digest < b.image + b.digest ? -1 : 1));
  await Promise.all(
    list.map(async (c) => {
      try {
        await ds.ociDigest(c.image, c.digest);
        c.status = 'served';
        c.reason = 'the registry serves this digest';
      } catch (e) {
        if (e instanceof NotFoundError) {
          c.status = 'missing';
          c.reason = 'the registry no longer serves this digest (HEAD 404)';
        } else c.reason = `the registry could not be asked: ${errText(e)}`;
      }
    }),
  );
  return list;
}
