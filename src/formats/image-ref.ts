import type { ImageRef } from '../model/files.ts';
import type { SourceSpan } from '../model/source.ts';

/**
 * Splits a resolved image reference into registry / repository / tag / digest, following the distribution
 * reference grammar: the first path component is a registry only when it has a `.` or `:` or is `localhost`.
 * Docker Hub short names keep no registry and get the `library/` namespace in `repository`.
 */
export function splitImageRef(ref: string): { registry?: string; repository: string; tag?: string; digest?: string; badDigest?: boolean } {
  let rest = ref;
  let digest: string | undefined;
  let badDigest = false;
  const at = rest.indexOf('@');
  if (at >= 0) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!/^sha256:[0-9a-f]{64}$|^sha512:[0-9a-f]{128}$/.test(digest)) badDigest = true;
  }
  let tag: string | undefined;
  const lastSlash = rest.lastIndexOf('/');
  const colon = rest.lastIndexOf(':');
  if (colon > lastSlash) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
  }
  const parts = rest.split('/');
  let registry: string | undefined;
  if (parts.length > 1 && (/[.:]/.test(parts[0]!) || parts[0] === 'localhost')) registry = parts.shift();
  let repository = parts.join('/');
  if ((!registry || registry === 'docker.io' || registry === 'index.docker.io') && parts.length === 1) repository = `library/${repository}`;
  return { ...(registry ? { registry } : {}), repository, ...(tag ? { tag } : {}), ...(digest && !badDigest ? { digest } : {}), ...(badDigest ? { badDigest } : {}) };
}

/**
 * Substitutes `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:+alt}` (Dockerfile ARG syntax).
 * Names without a value are returned in `unresolved` and substituted by the empty string.
 */
export function substituteVars(text: string, lookup: (name: string) => string | undefined): { value: string; unresolved: string[] } {
  const unresolved: string[] = [];
  const value = text.replace(/\$(?:\{([A-Za-z_][A-Za-z0-9_]*)(?:(:?[-+])([^}]*))?\}|([A-Za-z_][A-Za-z0-9_]*))/g, (_m, braced: string | undefined, op: string | undefined, word: string | undefined, bare: string | undefined) => {
    const name = (braced ?? bare)!;
    const v = lookup(name);
    if (op === ':-') return v ? v : (word ?? '');
    if (op === '-') return v !== undefined ? v : (word ?? '');
    if (op === ':+') return v ? (word ?? '') : '';
    if (op === '+') return v !== undefined ? (word ?? '') : '';
    if (v === undefined) unresolved.push(name);
    return v ?? '';
  });
  return { value, unresolved: [...new Set(unresolved)] };
}

export function makeImageRef(raw: string, resolved: string, unresolved: string[], span: SourceSpan, extra: Partial<ImageRef> = {}): ImageRef {
  const parts = splitImageRef(resolved);
  return {
    raw,
    resolved,
    ...(parts.registry ? { registry: parts.registry } : {}),
    repository: parts.repository,
    ...(parts.tag ? { tag: parts.tag } : {}),
    ...(parts.digest ? { digest: parts.digest } : {}),
    unresolved,
    span,
    ...extra,
  };
}

/**
 * Splits `raw` into the repository part and the `:tag@digest` part, with separators inside `${...}` belonging to
 * the variable (as in `${TAG:-1.0}`), the way Docker reads a FROM line.
 */
export function splitRawRef(raw: string): { repoEnd: number; tag?: string; digest?: string } {
  let depth = 0;
  let lastSlash = -1;
  let colon = -1;
  let at = -1;
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i]!;
    if (c === '{' && raw[i - 1] === '$') depth++;
    else if (c === '}' && depth > 0) depth--;
    else if (depth === 0 && c === '/') lastSlash = i;
    else if (depth === 0 && c === ':' && i > lastSlash && at < 0) colon = i;
    else if (depth === 0 && c === '@' && at < 0) at = i;
  }
  const hasColon = colon > lastSlash;
  const repoEnd = hasColon ? colon : at >= 0 ? at : raw.length;
  const tag = hasColon ? raw.slice(colon + 1, at >= 0 ? at : raw.length) : undefined;
  const digest = at >= 0 ? raw.slice(at + 1) : undefined;
  return { repoEnd, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}
