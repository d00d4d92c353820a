// One advisory: the services and versions it affects now, the fix version and each service's triage.
import { enc, maybe } from './api.js';
import { link } from './nav.js';
import { empty, h, pill, table } from './dom.js';

export async function render({ args }) {
  const id = args[0] ?? '';
  const a = await maybe(`/api/v1/advisories/${enc(id)}`);
  const root = h('div', {}, h('p', { class: 'crumbs' }, h('a', { href: '#/vulns' }, 'Vulnerabilities'), ' / ', id), h('h1', {}, id));
  if (!a) {
    root.append(empty(`${id} affects no service of the fleet now (fixed everywhere, or not in the advisory database).`));
    return root;
  }
  root.append(h('div', { class: 'card' },
    h('p', {}, pill(a.severity, a.severity), ' ', a.summary ?? h('span', { class: 'muted' }, 'no summary')),
    a.aliases.length ? h('p', { class: 'muted' }, 'Also known as ', a.aliases.join(', ')) : null,
    h('p', {}, `Affects ${a.affected.length} service${a.affected.length === 1 ? '' : 's'}; `, `${a.affected.filter((x) => !x.triage).length} untriaged.`),
  ));
  root.append(h('h2', {}, 'Affected services'), table({ columns: [
    { key: 'service', label: 'Service', cell: (x) => h('td', {}, h('a', { href: link('service', [x.repo, x.service]) }, x.service), h('div', { class: 'muted' }, x.repo)) },
    { key: 'package', label: 'Package', cell: (x) => h('td', { class: 'mono' }, `${x.package}@${x.version}`, h('div', { class: 'muted' }, x.ecosystem)) },
    { key: 'severity', label: 'Severity', cell: (x) => pill(x.severity, x.severity) },
    { key: 'fixedIn', label: 'Fix', cell: (x) => h('td', { class: 'mono' }, x.fixedIn ?? 'no fix yet') },
    { key: 'triage', label: 'Triage', cell: (x) => (x.triage ? pill(x.triage.suppressed ? 'suppressed' : String(x.triage.state ?? 'triaged').replace(/_/g, ' '), 'ok') : pill('untriaged', 'warn')) },
  ], rows: a.affected }));
  return root;
}
