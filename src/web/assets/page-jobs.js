// Jobs: the cron schedules and the runs (GET /api/v1/schedules, /api/v1/jobs), failures with their reason.
import { get, maybe } from './api.js';
import { empty, h, num, pill, table, when } from './dom.js';
import { setQuery } from './nav.js';

export async function render({ query }) {
  const q = new URLSearchParams(query);
  const params = new URLSearchParams();
  for (const k of ['repo', 'kind', 'outcome']) if (q.get(k)) params.set(k, q.get(k));
  params.set('limit', '200');
  const [schedules, runs, repos] = await Promise.all([maybe('/api/v1/schedules'), get(`/api/v1/jobs?${params}`), get('/api/v1/repos?limit=500')]);
  const root = h('div', {}, h('h1', {}, 'Jobs'));
  root.append(h('h2', {}, 'Schedules'), !schedules ? empty('The job queue is not running in this process.') : schedules.items.length === 0 ? empty('No schedules.') : table({ columns: [
    { key: 'queue', label: 'Queue', cell: (x) => h('td', { class: 'mono' }, x.queue) },
    { key: 'key', label: 'For', cell: (x) => x.key || '—' },
    { key: 'cron', label: 'Cron', cell: (x) => h('td', { class: 'mono' }, x.cron) },
    { key: 'timezone', label: 'Time zone' },
  ], rows: schedules.items }));
  const failed = runs.items.filter((r) => r.outcome === 'failed' || r.outcome === 'interrupted');
  root.append(h('h2', {}, 'Runs'));
  const go = (k, v) => {
    if (v) q.set(k, v);
    else q.delete(k);
    setQuery(q);
    window.dispatchEvent(new HashChangeEvent('hashchange'));
  };
  const sel = (k, label, opts) => h('label', {}, label, h('select', { name: k, onchange: (e) => go(k, e.target.value) }, [['', 'all'], ...opts.map((o) => [o, o])].map(([v, t]) => h('option', { value: v, selected: (q.get(k) ?? '') === v }, t))));
  root.append(h('form', { class: 'filters', onsubmit: (e) => e.preventDefault() },
    sel('repo', 'Repository', repos.items.map((r) => r.name)),
    sel('kind', 'Kind', ['poll', 'check', 'conflicts', 'audit', 'sbom', 'outdated', 'update', 'db-sync']),
    sel('outcome', 'Outcome', ['running', 'succeeded', 'failed', 'interrupted']),
  ));
  root.append(h('p', { class: 'count', id: 'jobs-count' }, `${num(runs.items.length)} run(s) shown, newest first; ${num(failed.length)} failed or interrupted`));
  root.append(runs.items.length === 0 ? empty(repos.items.length ? 'No runs match.' : h('span', {}, 'No repositories yet: ', h('code', {}, 'depwarden repo add .'))) : table({ columns: [
    { key: 'started', label: 'Started', cell: (r) => when(r.started, true) },
    { key: 'kind', label: 'Kind', cell: (r) => h('td', { class: 'mono' }, r.kind) },
    { key: 'repo', label: 'Repository', cell: (r) => r.repo ?? '—' },
    { key: 'commit', label: 'Commit', narrow: true, cell: (r) => h('td', { class: 'mono hide-narrow' }, r.commit ? r.commit.slice(0, 12) : '—') },
    { key: 'outcome', label: 'Outcome', cell: (r) => pill(r.outcome, r.outcome === 'succeeded' ? 'ok' : r.outcome === 'running' ? 'warn' : 'bad') },
    { key: 'duration', label: 'Took', num: true, cell: (r) => { if (!r.ended) return '—'; const ms = Date.parse(r.ended) - Date.parse(r.started); return ms < 1000 ? `${ms} ms` : `${num(ms / 1000, 1)} s`; } },
    { key: 'attempt', label: 'Try', num: true },
    { key: 'error', label: 'Reason', cell: (r) => (r.error ? h('td', { class: 'error' }, r.error) : h('td', { class: 'muted' }, '—')) },
  ], rows: runs.items }));
  return root;
}
