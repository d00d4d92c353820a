// One service: its numbers, dependencies (current / allowed / latest / licence), vulnerabilities with triage and
// fix, findings at file:line, SBOM downloads, changes, deploys, and charts of its history. All from the API.
import { all, canWrite, enc, get, maybe, post } from './api.js';
import { link } from './nav.js';
import { timeChart } from './chart.js';
import { empty, h, longTable, num, pill, table, when } from './dom.js';

const SEV = ['critical', 'high', 'medium', 'low'];

function triageText(t) {
  if (!t) return pill('untriaged', 'warn');
  if (t.suppressed) return pill('suppressed', 'none');
  const state = t.state ?? t.status ?? 'triaged';
  return h('span', { title: t.justification ?? t.detail ?? '' }, pill(String(state).replace(/_/g, ' '), state === 'affected' || state === 'exploitable' ? 'bad' : 'ok'));
}

function section(id, title, ...body) {
  return h('section', { id, 'aria-labelledby': `${id}-h` }, h('h2', { id: `${id}-h`, tabindex: -1 }, title), ...body);
}

export async function render({ args }) {
  const [repo, service = ''] = args;
  const qs = service ? `?service=${enc(service)}` : '';
  const base = `/api/v1/repos/${enc(repo)}`;
  const [info, services] = await Promise.all([get(base), get(`${base}/services`)]);
  const me = services.items.find((x) => x.name === service);
  // Only the snapshots the service has are asked for (a missing one is a 404 by design, and noise in the console).
  const has = (kind) => (service ? Boolean(me?.[kind]) : true);
  const snap = (kind, path) => (has(kind) ? maybe(path) : Promise.resolve(null));
  const [deps, outdated, vulns, findings, auditHist, outdatedHist, builds, coverage, health, deploys, changes] = await Promise.all([
    snap('sbom', `${base}/dependencies${qs}${qs ? '&' : '?'}limit=500`),
    snap('outdated', `${base}/outdated${qs}${qs ? '&' : '?'}limit=500`),
    snap('audit', `${base}/vulnerabilities${qs}${qs ? '&' : '?'}limit=500`),
    snap('check', `${base}/findings${qs}${qs ? '&' : '?'}limit=500`),
    all(`${base}/history?kind=audit&service=${enc(service)}`, 1000),
    all(`${base}/history?kind=outdated&service=${enc(service)}`, 1000),
    maybe(`${base}/builds${qs}${qs ? '&' : '?'}limit=50`),
    maybe(`${base}/coverage${qs}${qs ? '&' : '?'}limit=200`),
    service ? maybe(`${base}/health/${enc(service)}?limit=200`) : null,
    maybe(`/api/v1/deploys${service ? `?service=${enc(service)}` : ''}`),
    maybe('/api/v1/changes?limit=500'),
  ]);
  const root = h('div', {},
    h('p', { class: 'crumbs' }, h('a', { href: '#/fleet' }, 'Overview'), ' / ', repo),
    h('h1', {}, service || repo),
  );
  root.append(h('dl', { class: 'kv card' },
    h('dt', {}, 'Repository'), h('dd', {}, repo, info.remote ? h('span', { class: 'muted' }, ` (${info.remote})`) : null),
    h('dt', {}, 'Branch'), h('dd', {}, info.branch ?? 'default'),
    h('dt', {}, 'Last commit'), h('dd', { class: 'mono' }, info.lastCommit ? info.lastCommit.slice(0, 12) : '—'),
    h('dt', {}, 'Pinned'), h('dd', {}, me?.check?.compliance ? `${num(me.check.compliance.percent, 1)} % (${me.check.compliance.pinned} of ${me.check.compliance.total})` : '—'),
    h('dt', {}, 'Last scan'), h('dd', {}, when(me?.check?.taken ?? me?.audit?.taken, true)),
  ));
  const nav = [['deps', 'Dependencies'], ['vulns', 'Vulnerabilities'], ['findings', 'Findings'], ['sbom', 'SBOM'], ['history', 'Charts'], ['changes', 'Changes'], ['deploys', 'Deploys'], ['builds', 'Builds']];
  root.append(h('nav', { 'aria-label': 'Sections' }, h('ul', { class: 'section-nav' }, nav.map(([id, t]) => h('li', {}, h('a', { href: `#sec-${id}`, onclick: (e) => { e.preventDefault(); document.getElementById(`sec-${id}`)?.scrollIntoView(); document.getElementById(`sec-${id}-h`)?.focus?.(); } }, t))))));

  if (canWrite()) {
    const out = h('span', { role: 'status', class: 'muted' });
    root.append(h('div', { class: 'actions' },
      h('button', { type: 'button', id: 'run-jobs', onclick: async (e) => {
        e.target.disabled = true;
        try {
          const r = await post(`${base}/jobs`, { kinds: ['check', 'conflicts', 'audit', 'sbom'] });
          out.textContent = `${r.enqueued} job(s) queued: see Jobs`;
        } catch (err) {
          out.textContent = `refused: ${err.message}`;
        } finally {
          e.target.disabled = false;
        }
      } }, 'Scan now'), out));
  }

  // Dependencies: the SBOM's components joined with the outdated report (allowed and latest versions).
  const od = new Map((outdated?.items ?? []).map((o) => [`${o.ecosystem}:${o.name}`.toLowerCase(), o]));
  const odByName = new Map((outdated?.items ?? []).map((o) => [o.name.toLowerCase(), o]));
  const depRows = (deps?.items ?? []).map((d) => {
    const eco = /^pkg:([^/]+)/.exec(d.purl ?? '')?.[1];
    const o = od.get(`${eco === 'pypi' ? 'PyPI' : eco}:${d.name}`.toLowerCase()) ?? odByName.get(d.name.toLowerCase());
    return { ...d, allowed: o?.allowed ?? null, latest: o?.latest ?? null, updateType: o?.updateType ?? null };
  });
  root.append(section('sec-deps', `Dependencies (${num(depRows.length)})`,
    !deps ? empty('No SBOM snapshot yet: the sbom job runs on the next commit or the daily schedule.') : depRows.length === 0 ? empty('No components.') :
      longTable({ label: 'dependencies', id: 'deps-filter', text: (d) => `${d.name} ${d.version ?? ''} ${d.license ?? ''}`, columns: [
        { key: 'name', label: 'Package', cell: (d) => h('td', {}, d.name, h('div', { class: 'muted mono' }, d.purl ?? '')) },
        { key: 'version', label: 'Current', cell: (d) => h('td', { class: 'mono' }, d.version ?? '—') },
        { key: 'allowed', label: 'Allowed', cell: (d) => h('td', { class: 'mono' }, d.allowed ?? '—') },
        { key: 'latest', label: 'Latest', cell: (d) => h('td', { class: 'mono' }, d.latest ?? '—', d.updateType ? h('span', { class: 'muted' }, ` (${d.updateType})`) : null) },
        { key: 'license', label: 'Licence', cell: (d) => d.license ?? h('span', { class: 'muted' }, 'unknown') },
      ], rows: depRows }),
    !outdated ? h('p', { class: 'muted' }, 'Allowed and latest versions come from the outdated job (on the schedule; it needs the registries).') : null,
  ));

  const vulnRows = (vulns?.items ?? []).sort((a, b) => SEV.indexOf(a.severity) - SEV.indexOf(b.severity));
  root.append(section('sec-vulns', `Vulnerabilities (${num(vulnRows.length)})`,
    !vulns ? empty('No audit snapshot yet.') : vulnRows.length === 0 ? empty('No known vulnerability in the locked versions.') :
      longTable({ label: 'vulnerabilities', id: 'vulns-filter', text: (v) => `${v.id} ${v.package} ${v.summary ?? ''}`, columns: [
        { key: 'id', label: 'Advisory', cell: (v) => h('td', {}, h('a', { href: link('vuln', [v.id]) }, v.id), v.summary ? h('div', { class: 'muted' }, v.summary) : null) },
        { key: 'severity', label: 'Severity', cell: (v) => pill(v.severity, v.severity) },
        { key: 'package', label: 'Package', cell: (v) => h('td', { class: 'mono' }, `${v.package}@${v.version}`) },
        { key: 'fixedIn', label: 'Fix', cell: (v) => h('td', { class: 'mono' }, v.fixedIn ?? 'no fix yet') },
        { key: 'triage', label: 'Triage', cell: (v) => triageText(v.triage) },
      ], rows: vulnRows }),
  ));

  root.append(section('sec-findings', `Findings (${num(findings?.items.length ?? 0)})`,
    !findings ? empty('No check snapshot yet.') : findings.items.length === 0 ? empty('No findings: this service follows the protocol.') :
      longTable({ label: 'findings', id: 'findings-filter', text: (f) => `${f.file} ${f.ruleId} ${f.message}`, columns: [
        { key: 'where', label: 'File:line', cell: (f) => h('td', { class: 'mono' }, `${f.file}:${f.line}`) },
        { key: 'ruleId', label: 'Rule', cell: (f) => h('td', { class: 'mono' }, f.ruleId) },
        { key: 'severity', label: 'Severity', cell: (f) => pill(f.severity, f.severity === 'error' ? 'high' : f.severity) },
        { key: 'message', label: 'Message', cell: (f) => h('td', {}, f.message, f.hint ? h('div', { class: 'muted' }, f.hint) : null) },
      ], rows: findings.items }),
  ));

  root.append(section('sec-sbom', 'SBOM',
    deps?.snapshot ? h('p', {},
      h('a', { href: `/api/v1/snapshots/${deps.snapshot.id}/sbom?format=cyclonedx-json`, download: `${repo}-${service || 'all'}.cdx.json`, id: 'sbom-cdx' }, 'CycloneDX 1.6 (JSON)'), ' · ',
      h('a', { href: `/api/v1/snapshots/${deps.snapshot.id}/sbom?format=spdx-json`, download: `${repo}-${service || 'all'}.spdx.json`, id: 'sbom-spdx' }, 'SPDX 2.3 (JSON)'),
      h('span', { class: 'muted' }, ' of commit ', deps.snapshot.commit.slice(0, 12), ', ', when(deps.snapshot.taken)),
    ) : empty('No SBOM snapshot yet.'),
  ));

  const vt = auditHist.items;
  const ot = outdatedHist.items;
  const cov = [...(coverage?.items ?? [])].reverse().filter((c) => c.lineRate !== null);
  const hs = [...(health?.items ?? [])].reverse();
  const latency = (x) => x.checks.find((c) => c.latencyMs !== undefined)?.latencyMs ?? null;
  const rate = (x) => x.checks.find((c) => c.value !== undefined)?.value ?? null;
  root.append(section('sec-history', 'Charts', h('div', { class: 'grid2' },
    timeChart({ title: 'Vulnerabilities by severity', id: 'chart-vulns', times: vt.map((s) => s.taken), series: SEV.map((sv) => ({ label: sv, color: sv, values: vt.map((s) => s.summary.bySeverity?.[sv] ?? 0) })), emptyText: 'No audit history yet.' }),
    timeChart({ title: 'Libyears', id: 'chart-libyears', times: ot.map((s) => s.taken), series: [{ label: 'libyears', values: ot.map((s) => s.summary.libyears ?? null) }], emptyText: 'No outdated history yet (the outdated job runs on the daily schedule).' }),
    timeChart({ title: 'Line coverage %', id: 'chart-coverage', times: cov.map((c) => c.recorded), series: [{ label: 'lines %', values: cov.map((c) => Math.round(c.lineRate * 10000) / 100) }], emptyText: 'No coverage reported yet: depwarden report coverage in CI.' }),
    timeChart({ title: 'Health: latency (ms) and error rate', id: 'chart-health', times: hs.map((x) => x.at), series: [{ label: 'latency ms', values: hs.map(latency) }, { label: 'error rate / value', color: 'second', values: hs.map(rate) }], emptyText: service ? 'Not probed: configure health probes for this service.' : 'Health is per service.' }),
  )));

  const mine = (changes?.items ?? []).filter((c) => !service || c.title.toLowerCase().includes(service.toLowerCase()) || c.title.toLowerCase().includes(repo.toLowerCase()));
  root.append(section('sec-changes', `Changes (${num(mine.length)})`,
    mine.length === 0 ? empty('No update change names this service.') : table({ columns: [
      { key: 'id', label: 'Change', cell: (c) => h('td', {}, h('span', { class: 'mono' }, c.id), h('div', {}, c.title)) },
      { key: 'class', label: 'Class' },
      { key: 'state', label: 'State', cell: (c) => pill(c.state.replace('_', ' '), c.state === 'rejected' || c.state === 'rolled_back' ? 'bad' : c.state === 'merged' || c.state === 'verified' ? 'ok' : 'warn') },
      { key: 'approvals', label: 'Approvals', cell: (c) => (c.approvals.length ? c.approvals.map((a) => `${a.approver} (${a.roles.join(', ')})`).join('; ') : h('span', { class: 'muted' }, 'none')) },
      { key: 'created', label: 'Proposed', cell: (c) => when(c.created) },
    ], rows: mine }),
  ));

  const dl = [...(deploys?.items ?? [])].reverse();
  root.append(section('sec-deploys', `Deploys and rollbacks (${num(dl.length)})`,
    dl.length === 0 ? empty('No deploys recorded: ', h('code', {}, 'depwarden deploy'), ' records each rollout.') : table({ columns: [
      { key: 'started', label: 'Started', cell: (d) => when(d.started, true) },
      { key: 'outcome', label: 'Outcome', cell: (d) => pill(d.outcome.replace('_', ' '), d.outcome === 'succeeded' ? 'ok' : d.outcome === 'running' ? 'warn' : 'bad') },
      { key: 'strategy', label: 'Strategy', cell: (d) => `${d.strategy} (${d.driver})` },
      { key: 'to', label: 'Image', cell: (d) => h('td', { class: 'mono' }, (d.to ?? '').slice(0, 80)) },
      { key: 'durationMs', label: 'Duration', num: true, cell: (d) => (d.durationMs === null ? '—' : `${num(d.durationMs / 1000, 1)} s`) },
      { key: 'detail', label: 'Detail' },
    ], rows: dl }),
  ));

  const bl = builds?.items ?? [];
  root.append(section('sec-builds', `Builds (${num(bl.length)})`,
    bl.length === 0 ? empty('No builds reported: connect the GitHub webhook or run ', h('code', {}, 'depwarden report build'), ' in CI.') : table({ columns: [
      { key: 'updated', label: 'When', cell: (b) => when(b.updated) },
      { key: 'workflow', label: 'Workflow' },
      { key: 'status', label: 'Status', cell: (b) => pill(b.status.replace('_', ' '), b.status === 'success' ? 'ok' : ['failure', 'timed_out', 'error'].includes(b.status) ? 'bad' : 'warn') },
      { key: 'branch', label: 'Branch' },
      { key: 'commit', label: 'Commit', cell: (b) => h('td', { class: 'mono' }, b.commit.slice(0, 12)) },
      { key: 'tests', label: 'Tests', cell: (b) => (b.tests ? `${b.tests.run - b.tests.failed}/${b.tests.run} passed` : '—') },
    ], rows: bl }),
  ));
  return root;
}

