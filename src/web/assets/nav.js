// Hash routing: #/page/arg?query. Pages and filters are links that can be shared.

export function parseHash() {
  const raw = location.hash.replace(/^#\/?/, '');
  const [p, q = ''] = raw.split('?');
  const parts = p.split('/').filter(Boolean).map((x) => decodeURIComponent(x));
  return { page: parts[0] ?? 'fleet', args: parts.slice(1), query: new URLSearchParams(q) };
}

/** Replaces the current query without a new history entry or a re-render (filters typed into a page). */
export function setQuery(query) {
  const { page, args } = parseHash();
  const qs = query.toString();
  history.replaceState(null, '', `#/${[page, ...args].map(encodeURIComponent).join('/')}${qs ? `?${qs}` : ''}`);
}

export const link = (page, args = [], query) => `#/${[page, ...args].map(encodeURIComponent).join('/')}${query && String(query) ? `?${query}` : ''}`;
