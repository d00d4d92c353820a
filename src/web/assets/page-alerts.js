// Alerts: active and silenced alerts, silences (with expiry) and the delivery log, from the alerts API
// (GET /api/v1/alerts, /alerts/silences, /alerts/deliveries). A server without the alerts feature answers 404.
import { ApiError, canWrite, del, enc, get, post } from './api.js';
import { empty, h, pill, table, when } from './dom.js';

async function orMissing(path) {
  try {
    return await get(path);
  } catch (e) {
    if (e instanceof ApiError && e.status === 404) return undefined;
    throw e;
  }
}

function silenceForm(prefill, done) {
  const out = h('span', { role: 'status' });
  const field = (name, label, value) => h('label', {}, label, h('input', { type: 'text', name, value: value ?? '' }));
  const inDays = new Date(Date.now() + 86400_000).toISOString().slice(0, 16);
  const form = h('form', { class: 'inline card', id: 'silence-form', 'aria-label': 'New silence' },
    field('rule', 'Rule', prefill.rule), field('service', 'Service', prefill.service), field('repo', 'Repository', prefill.repo), field('dedupKey', 'Dedup key', prefill.dedupKey),
    h('label', {}, 'Reason', h('input', { type: 'text', name: 'reason', required: true })),
    h('label', {}, 'Expires (UTC)', h('input', { type: 'datetime-local', name: 'expiresAt', value: inDays, required: true })),
    h('button', { type: 'submit' }, 'Silence'), out);
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    const f = new FormData(form);
    const matchers = {};
    for (const k of ['rule', 'service', 'repo', 'dedupKey']) if (String(f.get(k) ?? '').trim()) matchers[k] = String(f.get(k)).trim();
    try {
      await post('/api/v1/alerts/silences', { matchers, reason: String(f.get('reason')), expiresAt: new Date(`${f.get('expiresAt')}Z`).toISOString() });
      done();
    } catch (err) {
      out.textContent = `refused: ${err.message}`;
    }
  });
  return form;
}

export async function render() {
  const root = h('div', {}, h('h1', {}, 'Alerts'));
  // Whether this server has the alerts routes, from its OpenAPI document (asking the route itself would log a 404).
  const doc = await get('/api/v1/openapi.json');
  const active = doc.paths?.['/api/v1/alerts'] ? await orMissing('/api/v1/alerts?state=active') : undefined;
  if (active === undefined) {
    root.append(empty(h('p', { id: 'alerts-missing' }, 'Alerts are not configured on this server.'), h('p', { class: 'muted' }, 'This server has no alerts routes; when alerting is enabled its alerts, silences and deliveries show here.')));
    return root;
  }
  const [silenced, silences, deliveries] = await Promise.all([get('/api/v1/alerts?state=silenced'), get('/api/v1/alerts/silences'), get('/api/v1/alerts/deliveries')]);
  const reload = () => window.dispatchEvent(new HashChangeEvent('hashchange'));
  const formHolder = h('div', {});
  const cols = (withSilence) => [
    { key: 'severity', label: 'Severity', cell: (a) => pill(a.severity, a.severity === 'critical' ? 'critical' : a.severity === 'warning' ? 'medium' : a.severity) },
    { key: 'title', label: 'Alert', cell: (a) => h('td', {}, h('strong', {}, a.title), a.text ? h('div', { class: 'muted' }, a.text) : null) },
    { key: 'where', label: 'Service', cell: (a) => [a.repo, a.service].filter(Boolean).join(' / ') || '—' },
    { key: 'rule', label: 'Rule', cell: (a) => h('td', { class: 'mono' }, a.rule) },
    { key: 'firstSeen', label: 'Since', cell: (a) => when(a.firstSeen, true) },
    { key: 'lastSent', label: 'Last sent', cell: (a) => when(a.lastSent) },
    ...(withSilence && canWrite() ? [{ key: 'act', label: 'Action', cell: (a) => h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: () => formHolder.replaceChildren(silenceForm(a, reload)) }, 'Silence…')) }] : []),
    ...(!withSilence ? [{ key: 'silencedBy', label: 'Silenced by', cell: (a) => h('td', { class: 'mono' }, a.silencedBy ?? '—') }] : []),
  ];
  root.append(h('h2', {}, `Active (${active.items.length})`), active.items.length ? table({ columns: cols(true), rows: active.items }) : empty('No alert is firing.'), formHolder);
  if (canWrite() && !active.items.length) formHolder.append(h('button', { type: 'button', class: 'secondary', onclick: () => formHolder.replaceChildren(silenceForm({}, reload)) }, 'New silence…'));
  root.append(h('h2', {}, `Silenced (${silenced.items.length})`), silenced.items.length ? table({ columns: cols(false), rows: silenced.items }) : empty('No alert is silenced.'));
  root.append(h('h2', {}, `Silences (${silences.items.length})`), silences.items.length ? table({ columns: [
    { key: 'id', label: 'Id', cell: (x) => h('td', { class: 'mono' }, x.id) },
    { key: 'matchers', label: 'Matches', cell: (x) => h('td', { class: 'mono' }, Object.entries(x.matchers ?? {}).map(([k, v]) => `${k}=${v}`).join(' ') || 'everything') },
    { key: 'reason', label: 'Reason' },
    { key: 'expiresAt', label: 'Expires', cell: (x) => when(x.expiresAt, true) },
    ...(canWrite() ? [{ key: 'act', label: 'Action', cell: (x) => h('td', {}, h('button', { type: 'button', class: 'secondary', onclick: async () => { await del(`/api/v1/alerts/silences/${enc(x.id)}`); reload(); } }, 'End now')) }] : []),
  ], rows: silences.items }) : empty('No silences.'));
  root.append(h('h2', {}, `Delivery log (${deliveries.items.length})`), deliveries.items.length ? table({ columns: [
    { key: 'updatedAt', label: 'When', cell: (d) => when(d.updatedAt, true) },
    { key: 'channel', label: 'Channel' },
    { key: 'status', label: 'Status', cell: (d) => pill(d.status, d.status === 'delivered' ? 'ok' : d.status === 'dead' ? 'bad' : 'warn') },
    { key: 'attempts', label: 'Attempts', num: true },
    { key: 'lastStatus', label: 'Last answer', cell: (d) => String(d.lastStatus ?? '—') },
    { key: 'lastError', label: 'Error', cell: (d) => (d.lastError ? h('td', { class: 'error' }, d.lastError) : '—') },
  ], rows: deliveries.items }) : empty('Nothing delivered yet.'));
  return root;
}
