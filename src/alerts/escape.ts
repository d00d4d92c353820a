/**
 * Text from outside (package names, advisory titles, commit messages) escaped for each message format, so a
 * package called `<script>` or `[click](http://evil)` is shown as written and never becomes markup or a link.
 */

/** Slack mrkdwn: the three characters Slack documents as control characters. */
export const slackText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const htmlText = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/**
 * GitHub-flavoured Markdown (and Teams' subset): every punctuation character with a Markdown meaning is
 * backslash-escaped, and `<` `>` `&` become entities (GitHub renders inline HTML; Teams ignores it).
 */
export const markdownText = (s: string): string =>
  s
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/([\\`*_{}[\]()#+\-.!|~])/g, '\\$1')
    .replace(/\r?\n/g, '  \n');

/** A link target we put in a message: only http(s), else none (a `javascript:` URL from a hostile record is dropped). */
export const safeUrl = (u: string): string | undefined => {
  try {
    const p = new URL(u);
    return p.protocol === 'https:' || p.protocol === 'http:' ? p.toString() : undefined;
  } catch {
    return undefined;
  }
};
