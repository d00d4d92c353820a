/**
 * Text from outside (package names, advisory titles, commit messages) escaped for each message format, so a
 * package called `<script>` or `[click](http://evil)` is shown as written and never becomes markup or a link.
 */

/** Slack mrkdwn: the three characters Slack documents as control characters. */
export const slackText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const htmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * GitHub-flavoured Markdown (and Teams' subset): the characters that open emphasis, code, links, tables or
 * strikethrough are backslash-escaped everywhere, block markers (`#`, `-`, `+`, `1.`) at the start of a line too,
 * and `<` `>` `&` become entities (GitHub renders inline HTML; Teams ignores it). Dots and dashes inside a line
 * mean nothing and stay readable.
 */
export const markdownText = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]|~!])/g, '\\$1')
    .split(/\r?\n/)
    .map((l) => l.replace(/^(\s*)([#+-]|\d+\.)/, (_m, sp: string, mark: string) => `${sp}${mark.endsWith('.') ? `${mark.slice(0, -1)}\\.` : `\\${mark}`}`))
    .join('  \n');

/** A link target we put in a message: only http(s), else none (a `javascript:` URL from a hostile record is dropped). */
export const safeUrl = (u: string): string | undefined => {
  try {
    const p = new URL(u);
    return p.protocol === 'https:' || p.protocol === 'http:' ? p.toString() : undefined;
  } catch {
    return undefined;
  }
};
