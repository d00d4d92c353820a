// Fleet overview: one row per service from GET /api/v1/fleet; filters, search and sort live in the URL.
import { get } from './api.js';
import { link, setQuery } from './nav.js';
import { clear, empty, h, num, pct, pill, severityCell, sortRows, sparkline, table, when } from './dom.js';

const SEV = ['critical', 'high', 'medium', 'low'];
const FAILED = new Set(['failure', 'timed_out', 'error', 'cancelled', 'action_required']);

function buildPill(b) {
  if (!b) return pill('none', 'none');
  return pill(b.status.replace('_', ' '), FAILED.has(b.status) ? 'bad' : b.status === 'success' ? 'ok' : 'warn');
}

function healthPill(x) {
  if (!x) return pill('not probed', 'none');
  return h('span', { title: x.reason }, pill(x.status, x.status === 'up' ? 'ok' : x.status === 'down' ? 'bad' : 'warn'));
}

function deployCell(d) {
  if (!d) return h('span', { class: 'muted' }, '—');
  return h('span', {}, pill(d.outcome.replace('_', ' '), d.outcome === 'succeeded' ? 'ok' : d.outcome === 'running' ? 'warn' : 'bad'), ' ', when(d.started));
}

const COLUMNS = [
  { key: 'service', label: 'Service', value: (r) => `${r.repo}/${r.service}`, cell: (r) => h('td', {}, h('a', { href: link('service', [r.repo, r.service || '']) }, r.service || r.repo), r.service ? h('div', { class: 'muted' }, r.repo) : null) },
  { key: 'owners', label: 'Owners', narrow: true, value: (r) => r.owners.join(', ') || null, cell: (r) => (r.owners.length ? r.owners.join(', ') : h('span', { class: 'muted' }, '—')) },
  ...SEV.map((s) => ({ key: s, label: s[0].toUpperCase() + s.slice(1), num: true, value: (r) => r.vulns[s], cell: (r) => severityCell(r.vulns[s], s) })),
  { key: 'trend', label: 'Trend', sortable: false, narrow: true, cell: (r) => h('td', { class: 'hide-narrow' }, sparkline(r.trend, `vulnerabilities over the last ${r.trend.length} scans: ${r.trend.join(', ') || 'none yet'}`)) },
  { key: 'compliance', label: 'Pinned', num: true, value: (r) => r.compliance, cell: (r) => (r.compliance === null ? '—' : `${num(r.compliance, 1)} %`) },
  { key: 'outdated', label: 'Outdated', num: true, value: (r) => r.outdated },
  { key: 'libyears', label: 'Libyears', num: true, narrow: true, value: (r) => r.libyears, cell: (r) => num(r.libyears, 1) },
  { key: 'build', label: 'Build', value: (r) => r.build?.status ?? null, cell: (r) => buildPill(r.build) },
  { key: 'coverage', label: 'Coverage', num: true, narrow: true, value: (r) => r.coverage, cell: (r) => pct(r.coverage) },
  { key: 'health', label: 'Health', value: (r) => r.health?.status ?? null, cell: (r) => healthPill(r.health) },
  { key: 'deploy', label: 'Last deploy', narrow: true, value: (r) => r.lastDeploy?.started ?? null, cell: (r) => deployCell(r.lastDeploy) },
  { key: 'scan', label: 'Scanned', narrow: true, value: (r) => r.lastScan, cell: (r) => when(r.lastScan) },
];

const RANK = { any: -1, low: 0, medium: 1, high: 2, critical: 3 };

export function matches(r, q) {
  const text = (q.get('q') ?? '').trim().toLowerCase();
  if (text && !`${r.repo} ${r.service} ${r.owners.join(' ')}`.toLowerCase().includes(text)) return false;
  if (q.get('repo') && r.repo !== q.get('repo')) return false;
  if (q.get('owner') && !r.owners.includes(q.get('owner'))) return false;
  const min = RANK[q.get('severity') ?? 'any'] ?? -1;
  if (min >= 0 && !SEV.slice(0, 4 - min).some((s) => r.vulns[s] > 0)) return false;
  if (q.get('needs') === 'me' && !r.needsMe) return false;
  if (q.get('needs') === 'attention' && !r.attention.length) return false;
  return true;
}

function summaryBar(sm) {
  const stat = (k, v, cls, id) => h('div', { class: 'stat', id }, h('span', { class: ['v', cls] }, v), h('span', { class: 'k' }, k));
  return h('section', { class: 'summary', 'aria-label': 'Fleet summary' },
    stat('services', num(sm.services), null, 'sum-services'),
    stat('repositories', num(sm.repos), null, 'sum-repos'),
    ...SEV.map((s) => stat(`${s} vulnerabilities`, num(sm.vulns[s]), sm.vulns[s] ? `sev-${s}` : null, `sum-${s}`)),
    stat('pinned (mean)', sm.compliance === null ? '—' : `${num(sm.compliance, 1)} %`, null, 'sum-compliance'),
    stat('outdated', num(sm.outdated), null, 'sum-outdated'),
    stat('libyears', num(sm.libyears, 1), null, 'sum-libyears'),
    stat('failing builds', num(sm.failingBuilds), sm.failingBuilds ? 'sev-critical' : null, 'sum-failing'),
    stat('down', num(sm.down), sm.down ? 'sev-critical' : null, 'sum-down'),
    stat('need me', num(sm.needsMe), null, 'sum-needsme'),
  );
}

export async function render({ query }) {
  const data = await get('/api/v1/fleet');
  const root = h('div', {}, h('h1', {}, 'Fleet overview'));
  if (data.summary.repos === 0) {
    root.append(empty(h('p', {}, 'No repositories yet: ', h('code', {}, 'depwarden repo add .'), ' (on the server\'s machine, or ', h('code', {}, 'POST /api/v1/repos'), ' with an admin token).'), h('p', {}, 'Each one is scanned within a minute of being added.')));
    return root;
  }
  root.append(summaryBar(data.summary));
  if (data.items.length === 0) {
    root.append(empty(h('p', {}, `${data.summary.repos} repositor${data.summary.repos === 1 ? 'y is' : 'ies are'} registered and waiting for their first scan.`), h('p', {}, 'See ', h('a', { href: '#/jobs' }, 'Jobs'), ' for the runs in progress and any failures.')));
    return root;
  }
  const q = new URLSearchParams(query);
  const repos = [...new Set(data.items.map((r) => r.repo))].sort();
  const owners = [...new Set(data.items.flatMap((r) => r.owners))].sort();
  const holder = h('div', {});
  const update = (key, value) => {
    if (value) q.set(key, value);
    else q.delete(key);
    setQuery(q);
    draw();
    // The sorted table is drawn anew: keep the keyboard on the header that was activated.
    if (key === 'sort') holder.querySelector('th[aria-sort] button')?.focus();
  };
  const select = (key, label, options) => h('label', {}, label, h('select', { name: key, onchange: (e) => update(key, e.target.value) }, options.map(([v, t]) => h('option', { value: v, selected: (q.get(key) ?? '') === v }, t))));
  root.append(h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Search (press /)', h('input', { type: 'search', name: 'q', value: q.get('q') ?? '', placeholder: 'service, repository, owner', oninput: (e) => update('q', e.target.value) })),
    select('repo', 'Repository', [['', 'all'], ...repos.map((r) => [r, r])]),
    select('owner', 'Owner', [['', 'all'], ...owners.map((o) => [o, o])]),
    select('severity', 'Vulnerabilities', [['', 'any'], ['critical', 'critical'], ['high', 'high or worse'], ['medium', 'medium or worse'], ['low', 'any severity']]),
    select('needs', 'Show', [['', 'every service'], ['attention', 'needs attention'], ['me', 'needs me']]),
  ), holder);
  const draw = () => {
    const rows = sortRows(data.items.filter((r) => matches(r, q)), COLUMNS, q.get('sort') ?? '-critical');
    clear(holder).append(
      h('p', { class: 'count', id: 'fleet-count', 'aria-live': 'polite' }, `Showing ${rows.length} of ${data.items.length} services`),
      rows.length ? table({ columns: COLUMNS, rows, sort: q.get('sort') ?? '-critical', onSort: (s2) => update('sort', s2), rowClass: (r) => (r.needsMe ? 'needs-me' : undefined) }) : empty('No service matches these filters. ', h('a', { href: '#/fleet' }, 'Clear them')),
    );
  };
  draw();
  // Fleet-wide trends under the table, loaded after it so the overview is usable first (the charts bring uPlot).
  const trends = h('section', { class: 'grid2', 'aria-label': 'Fleet trends', id: 'fleet-trends' });
  root.append(h('h2', {}, 'Fleet over time'), trends);
  Promise.all([get('/api/v1/fleet/history'), import('./chart.js')]).then(([hist, { timeChart }]) => {
    const pts = hist.items;
    trends.append(
      timeChart({ title: 'Vulnerabilities by severity, fleet-wide', id: 'chart-fleet-vulns', times: pts.map((p) => p.at), series: SEV.map((sv) => ({ label: sv, color: sv, values: pts.map((p) => p[sv]) })), emptyText: 'No audit history yet.' }),
      timeChart({ title: 'Libyears, fleet-wide', id: 'chart-fleet-libyears', times: pts.filter((p) => p.libyears !== null).map((p) => p.at), series: [{ label: 'libyears', values: pts.filter((p) => p.libyears !== null).map((p) => p.libyears) }], emptyText: 'No outdated history yet (the outdated job runs on the daily schedule).' }),
    );
  }, (e) => trends.append(h('p', { class: 'error', role: 'alert' }, `trends: ${e.message}`)));
  return root;
}
