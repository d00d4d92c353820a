import { assets } from './assets.ts';

/**
 * The two HTML documents the server writes itself: the app shell (its modules render every page from the API)
 * and the sign-in form, which works without JavaScript. Everything dynamic in them is escaped.
 */

/** Scripts and styles from our own origin only, no inline script, no frames, forms post only to us. */
export const PAGE_CSP = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);
}

const head = (title: string, a: string): string =>
  `<!doctype html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<meta name="viewport" content="width=device-width, initial-scale=1">\n<meta name="color-scheme" content="light dark">\n<link rel="icon" href="data:,">\n<title>${escapeHtml(title)}</title>\n<link rel="stylesheet" href="${a}/style.css">\n`;

export function shellHtml(): string {
  const a = `/assets/${assets().version}`;
  return `${head('depwarden', a)}<link rel="stylesheet" href="${a}/uplot.css">\n<link rel="modulepreload" href="${a}/app.js">\n<script type="module" src="${a}/app.js"></script>\n</head>\n<body>\n<a class="skip" href="#main">Skip to content</a>\n<header class="top" id="top"></header>\n<main id="main" tabindex="-1"><p class="loading">Loading…</p></main>\n<noscript><p>The dashboard needs JavaScript; every number it shows is also at <a href="/api/v1/openapi.json">the API</a>.</p></noscript>\n</body>\n</html>\n`;
}

export function signInHtml(message?: string): string {
  const a = `/assets/${assets().version}`;
  return `${head('Sign in · depwarden', a)}</head>\n<body class="signin">\n<main id="main">\n<form class="card signin-form" method="post" action="/sign-in">\n<h1>depwarden</h1>\n<p>Sign in with an API token. Create one on the server's machine:</p>\n<pre><code>depwarden token create --login you --scope read</code></pre>\n${message ? `<p class="error" role="alert">${escapeHtml(message)}</p>\n` : ''}<label for="token">API token</label>\n<input id="token" name="token" type="password" autocomplete="off" spellcheck="false" required autofocus>\n<button type="submit">Sign in</button>\n<p class="muted">The token is exchanged for a session cookie (HttpOnly, SameSite=Strict); it is not kept by the browser.</p>\n</form>\n</main>\n</body>\n</html>\n`;
}
