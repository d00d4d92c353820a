/** Removes credentials from free text (tool output, API error messages): URL user-info, auth tokens in .npmrc style, token query parameters, Authorization headers. */
export function redactSecrets(text: string): string {
  return text
    .replace(/\b([a-z][a-z0-9+.-]*:\/\/)[^\s/@:'"]+(?::[^\s/@'"]*)?@/gi, '$1***@')
    .replace(/(_authToken|_auth|_password|password|token)(\s*[=:]\s*)[^\s'"]+/gi, '$1$2***')
    .replace(/([?&](?:token|access_token|auth|key|sig|signature|X-Amz-Signature)=)[^&\s'"]+/gi, '$1***')
    .replace(/(authorization:\s*)(\S+)(\s+\S+)?/gi, '$1***');
}

