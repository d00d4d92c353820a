// Vulnerabilities across the fleet: every advisory affecting a service now (GET /api/v1/advisories).
import { get } from './api.js';
import { link, setQuery } from './nav.js';
import { clear, empty, h, num, pill, sortRows, table } from './dom.js';

const RANK = { critical: 4, high: 3, medium: 2, low: 1, info: 0, unknown: -1 };

const COLUMNS = [
  { key: 'id', label: 'Advisory', value: (a) => a.id, cell: (a) => h('td', {}, h('a', { href: link('vuln', [a.id]) }, a.id), a.aliases.length ? h('div', { class: 'muted mono' }, a.aliases.join(', ')) : null) },
  { key: 'severity', label: 'Severity', value: (a) => RANK[a.severity] ?? -1, cell: (a) => pill(a.severity, a.severity) },
  { key: 'summary', label: 'Summary', value: (a) => a.summary ?? '', cell: (a) => a.summary ?? h('span', { class: 'muted' }, '—') },
  { key: 'packages', label: 'Packages', value: (a) => [...new Set(a.affected.map((x) => x.package))].join(', '), cell: (a) => h('td', { class: 'mono' }, [...new Set(a.affected.map((x) => `${x.package}@${x.version}`))].join(', ')) },
  { key: 'services', label: 'Services', num: true, value: (a) => a.affected.length },
  { key: 'untriaged', label: 'Untriaged', num: true, value: (a) => a.affected.filter((x) => !x.triage).length },
];

export async function render({ query }) {
  const data = await get('/api/v1/advisories');
  const root = h('div', {}, h('h1', {}, 'Vulnerabilities'));
  if (!data.items.length) {
    root.append(empty(h('p', {}, 'No advisory affects the fleet now.'), h('p', { class: 'muted' }, 'Advisories come from the database the daily db-sync job keeps (', h('code', {}, 'depwarden db sync'), ').')));
    return root;
  }
  const q = new URLSearchParams(query);
  const holder = h('div', {});
  const update = (k, v) => {
    if (v) q.set(k, v);
    else q.delete(k);
    setQuery(q);
    draw();
    if (k === 'sort') holder.querySelector('th[aria-sort] button')?.focus();
  };
  root.append(h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Search (press /)', h('input', { type: 'search', name: 'q', value: q.get('q') ?? '', placeholder: 'advisory, package, service', oninput: (e) => update('q', e.target.value) })),
    h('label', {}, 'Severity', h('select', { name: 'severity', onchange: (e) => update('severity', e.target.value) }, [['', 'any'], ['critical', 'critical'], ['high', 'high'], ['medium', 'medium'], ['low', 'low']].map(([v, t]) => h('option', { value: v, selected: (q.get('severity') ?? '') === v }, t)))),
  ), holder);
  const draw = () => {
    const text = (q.get('q') ?? '').toLowerCase();
    const rows = sortRows(data.items.filter((a) => (!q.get('severity') || a.severity === q.get('severity')) && (!text || `${a.id} ${a.aliases.join(' ')} ${a.summary ?? ''} ${a.affected.map((x) => `${x.package} ${x.repo} ${x.service}`).join(' ')}`.toLowerCase().includes(text))), COLUMNS, q.get('sort') ?? '-severity');
    clear(holder).append(h('p', { class: 'count', id: 'vulns-count', 'aria-live': 'polite' }, `Showing ${num(rows.length)} of ${num(data.items.length)} advisories`), rows.length ? table({ columns: COLUMNS, rows, sort: q.get('sort') ?? '-severity', onSort: (s) => update('sort', s) }) : empty('No advisory matches.'));
  };
  draw();
  return root;
}
