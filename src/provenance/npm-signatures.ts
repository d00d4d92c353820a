import { createPublicKey, verify } from 'node:crypto';

/**
 * npm registry signatures: ECDSA P-256 / SHA-256 over `${name}@${version}:${integrity}`, by a key the registry
 * publishes at `/-/npm/v1/keys` (what `npm audit signatures` checks). A key counts only for packages published
 * before it expired. Every input is registry JSON, so every field is checked for shape before use.
 */
export interface RegistryKey {
  keyid: string;
  /** base64 SPKI DER. */
  key: string;
  keytype?: string;
  scheme?: string;
  /** ISO time after which the key signs nothing new; null: never expires. */
  expires: string | null;
}
export interface SignatureResult {
  status: 'verified' | 'unverified' | 'unsigned';
  reason: string;
  keyid?: string;
}

const MAX_SIG_B64 = 512;

/** The keys endpoint's answer, shape-checked; malformed entries are dropped (and cannot verify anything). */
export function parseRegistryKeys(doc: unknown): RegistryKey[] {
  if (!doc || typeof doc !== 'object' || !Array.isArray((doc as { keys?: unknown }).keys)) return [];
  const out: RegistryKey[] = [];
  for (const k of (doc as { keys: unknown[] }).keys) {
    if (!k || typeof k !== 'object') continue;
    const { keyid, key, expires, keytype, scheme } = k as Record<string, unknown>;
    if (typeof keyid !== 'string' || typeof key !== 'string' || key.length > 4096) continue;
    if (expires !== null && expires !== undefined && typeof expires !== 'string') continue;
    out.push({ keyid, key, expires: typeof expires === 'string' ? expires : null, ...(typeof keytype === 'string' ? { keytype } : {}), ...(typeof scheme === 'string' ? { scheme } : {}) });
  }
  return out;
}

export function verifyNpmSignatures(p: { name: string; version: string; integrity: string; signatures: unknown; publishedAt?: string }, keys: RegistryKey[]): SignatureResult {
  if (!Array.isArray(p.signatures) || p.signatures.length === 0) return { status: 'unsigned', reason: 'the registry serves no signature for this version' };
  const message = Buffer.from(`${p.name}@${p.version}:${p.integrity}`, 'utf8');
  const reasons: string[] = [];
  for (const s of p.signatures) {
    if (!s || typeof s !== 'object') {
      reasons.push('a signature entry is not an object');
      continue;
    }
    const { keyid, sig } = s as Record<string, unknown>;
    if (typeof keyid !== 'string' || typeof sig !== 'string' || sig.length > MAX_SIG_B64) {
      reasons.push('a signature entry has no keyid or sig');
      continue;
    }
    const key = keys.find((k) => k.keyid === keyid);
    if (!key) {
      reasons.push(`signed by ${keyid}, a key the registry does not publish`);
      continue;
    }
    if (key.expires) {
      const published = p.publishedAt ? Date.parse(p.publishedAt) : NaN;
      if (!Number.isFinite(published)) {
        reasons.push(`key ${keyid} expired ${key.expires} and the publish time is unknown`);
        continue;
      }
      if (published >= Date.parse(key.expires)) {
        reasons.push(`signed by ${keyid}, which expired ${key.expires}, before this version was published (${p.publishedAt})`);
        continue;
      }
    }
    let ok = false;
    try {
      const pub = createPublicKey({ key: Buffer.from(key.key, 'base64'), format: 'der', type: 'spki' });
      ok = verify('sha256', message, pub, Buffer.from(sig, 'base64'));
    } catch (e) {
      reasons.push(`key ${keyid} or its signature cannot be read (${e instanceof Error ? e.message : String(e)})`);
      continue;
    }
    if (ok) return { status: 'verified', reason: `signed by ${keyid}`, keyid };
    reasons.push(`the signature by ${keyid} does not match ${p.name}@${p.version}:${p.integrity.slice(0, 20)}…`);
  }
  return { status: 'unverified', reason: reasons.join('; ') };
}
