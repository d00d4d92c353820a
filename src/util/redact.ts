import type { Finding } from '../model/finding.ts';

/** Query parameters that carry credentials (presigned URLs, private registries, SAS tokens). */
const SECRET_PARAMS = [
  'token', 'access_token', 'auth', 'auth_token', 'key', 'api_key', 'apikey', 'sig', 'signature', 'secret', 'client_secret',
  'password', 'passwd', 'private_token', 'X-Amz-Signature', 'X-Amz-Credential', 'X-Amz-Security-Token', 'X-Goog-Signature',
  'X-Goog-Credential',
];
const PARAM = new RegExp(`([?&;](?:${SECRET_PARAMS.join('|')})=)[^&#\\s'"]+`, 'gi');
/** The same parameters inside a percent-encoded URL (a purl qualifier): `%3Ftoken%3D…` / `%26token%3D…`. */
const PARAM_ENCODED = new RegExp(`((?:%3F|%26)(?:${SECRET_PARAMS.join('|')})%3D)(?:(?!%26|%23)[^&#\\s'"])+`, 'gi');
/** Tokens recognisable by their shape wherever they appear (GitHub, GitLab, npm, Slack, AWS key ids). */
const TOKEN_SHAPES = /\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{30,}|glpat-[A-Za-z0-9_-]{20,}|npm_[A-Za-z0-9]{36}|xox[abprs]-[A-Za-z0-9-]{10,}|AKIA[0-9A-Z]{16})\b/g;

/**
 * Removes credentials from text we write (reports, SBOMs, tool output, API errors): URL user-info (plain and
 * percent-encoded), `.npmrc`-style `_authToken=` / `NPM_TOKEN=` assignments, credential query parameters
 * (plain and percent-encoded), Authorization headers, and tokens recognisable by their prefix. A word that merely
 * ends in "token" (a package `pytoken==1.0`) is left alone: the key must stand on its own and `==` is no assignment.
 */
export function redactSecrets(text: string): string {
  if (!MAY_HOLD_SECRET.test(text)) return text;
  // A fleet's findings repeat the same texts (one advisory, its link and hint in every service): each is
  // redacted once. Bounded: a long-running server starts over rather than keep every text it ever wrote.
  let out = redacted.get(text);
  if (out === undefined) {
    if (redacted.size >= 50_000) redacted.clear();
    redacted.set(text, (out = redactAlways(text)));
  }
  return out;
}
const redacted = new Map<string, string>();

/**
 * What every replacement below needs to find anything: `=` or `%` (assignments, query parameters, encoded URLs),
 * `://` (user-info), a credential key word (auth, pass, token, secret, api...: assignments and Authorization
 * headers) or a token prefix. Most texts (names, versions, plain purls) have none, and then the seven regex
 * passes are skipped: they were a tenth of an audit of a large fleet. Exactly a superset of what they match
 * (test/sbom/redaction.test.ts checks both paths give the same text).
 */
const MAY_HOLD_SECRET = /[=%]|:\/\/|auth|pass|token|secret|api|gh[pousr]_|github_pat_|glpat-|npm_|xox[abprs]-|akia/i;

/** Every replacement, with no fast path (exported for the test that checks the fast path changes nothing). */
export function redactAlways(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:'"]+(?::[^\s/@'"]*)?@/gi, '$1***@')
    .replace(/(%3A%2F%2F)(?:(?!%2F)[^\s&/@'"?#])+?%40/gi, '$1***%40')
    .replace(/(^|[^A-Za-z0-9.-])((?:[A-Za-z0-9]+_)*(?:_?authToken|_auth|_password|password|passwd|token|secret|api_?key))(\s*(?:=(?!=)|:(?!\/\/))\s*)(?!\*\*\*)[^\s'"&]+/gi, '$1$2$3***')
    .replace(PARAM, '$1***')
    .replace(PARAM_ENCODED, '$1***')
    .replace(/(authorization:\s*)(\S+)(\s+\S+)?/gi, '$1***')
    .replace(TOKEN_SHAPES, '***');
}

/** A finding with every text field redacted: messages and details quote lines (a Dockerfile RUN) and URLs. */
export function redactFinding(f: Finding): Finding {
  const props = f.properties
    ? Object.fromEntries(Object.entries(f.properties).map(([k, v]) => [k, typeof v === 'string' ? redactSecrets(v) : Array.isArray(v) ? v.map(redactSecrets) : v]))
    : undefined;
  return {
    ...f,
    message: redactSecrets(f.message),
    ...(f.hint !== undefined ? { hint: redactSecrets(f.hint) } : {}),
    ...(f.detail !== undefined ? { detail: redactSecrets(f.detail) } : {}),
    ...(f.subject !== undefined ? { subject: redactSecrets(f.subject) } : {}),
    ...(props ? { properties: props } : {}),
  };
}
