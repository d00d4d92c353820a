// The audit trail: the hash-chained event log (GET /api/v1/audit-log), its verification shown first.
import { all } from './api.js';
import { setQuery } from './nav.js';
import { clear, empty, h, num, table, when } from './dom.js';

export async function render({ query }) {
  const log = await all('/api/v1/audit-log', 20000);
  const v = log.verification;
  const root = h('div', {}, h('h1', {}, 'Audit trail'));
  root.append(h('div', { class: ['banner', v.ok ? 'ok' : 'bad'], role: v.ok ? 'status' : 'alert', id: 'chain-status' },
    v.ok ? `✓ Chain verified: ${num(v.entries)} entries, every hash links to the one before.` : `✗ Chain broken: ${v.problems.length} problem${v.problems.length === 1 ? '' : 's'} in ${num(v.entries)} entries — the log was changed outside depwarden.`,
    v.ok ? null : h('ul', {}, v.problems.map((p) => h('li', {}, `#${p.seq} ${p.kind}: ${p.message}`))),
  ));
  if (!log.items.length) {
    root.append(empty('No events yet: every write through the API (and every governance step) is recorded here.'));
    return root;
  }
  const q = new URLSearchParams(query);
  const kinds = [...new Set(log.items.map((e) => e.kind))].sort();
  const holder = h('div', {});
  const update = (k, val) => {
    if (val) q.set(k, val);
    else q.delete(k);
    setQuery(q);
    draw();
  };
  root.append(h('form', { class: 'filters', role: 'search', onsubmit: (e) => e.preventDefault() },
    h('label', {}, 'Search (press /)', h('input', { type: 'search', name: 'q', value: q.get('q') ?? '', placeholder: 'actor, payload text', oninput: (e) => update('q', e.target.value) })),
    h('label', {}, 'Kind', h('select', { name: 'kind', onchange: (e) => update('kind', e.target.value) }, [['', 'all'], ...kinds.map((k) => [k, k])].map(([val, t]) => h('option', { value: val, selected: (q.get('kind') ?? '') === val }, t)))),
    h('label', {}, 'Actor', h('input', { type: 'text', name: 'actor', value: q.get('actor') ?? '', oninput: (e) => update('actor', e.target.value) })),
  ), holder);
  const bad = new Set(v.problems.map((p) => p.seq));
  const draw = () => {
    const text = (q.get('q') ?? '').toLowerCase();
    const rows = log.items.filter((e) => (!q.get('kind') || e.kind === q.get('kind')) && (!q.get('actor') || e.actor.toLowerCase().includes(q.get('actor').toLowerCase())) && (!text || `${e.actor} ${e.kind} ${JSON.stringify(e.payload)}`.toLowerCase().includes(text))).reverse();
    const shown = rows.slice(0, 500);
    clear(holder).append(
      h('p', { class: 'count', id: 'audit-count', 'aria-live': 'polite' }, `Showing ${num(shown.length)} of ${num(rows.length)} matching events (${num(log.items.length)} in all), newest first`),
      rows.length ? table({ columns: [
        { key: 'seq', label: '#', num: true },
        { key: 'time', label: 'Time', cell: (e) => when(e.time, true) },
        { key: 'actor', label: 'Actor' },
        { key: 'kind', label: 'Event', cell: (e) => h('td', { class: 'mono nowrap' }, e.kind) },
        { key: 'payload', label: 'Details', cell: (e) => h('td', { class: 'mono' }, e.unreadable ? `unreadable: ${e.unreadable}` : JSON.stringify(e.payload)) },
        { key: 'hash', label: 'Hash', narrow: true, cell: (e) => h('td', { class: 'mono hide-narrow', title: e.hash }, e.hash.slice(0, 12)) },
      ], rows: shown, rowClass: (e) => (bad.has(e.seq) ? 'overdue' : undefined) }) : empty('No event matches.'),
    );
  };
  draw();
  return root;
}
