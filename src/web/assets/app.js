// The dashboard's entry: who is signed in, the header, and hash routing (#/path?query) to the page modules, so
// every page and filter is a link that can be shared.
import { canWrite, currentSession, loadSession, signOut } from './api.js';
import { clear, h } from './dom.js';
import { parseHash } from './nav.js';

const PAGES = [
  { path: 'fleet', label: 'Overview', load: () => import('./page-fleet.js') },
  { path: 'vulns', label: 'Vulnerabilities', load: () => import('./page-vulns.js') },
  { path: 'changes', label: 'Changes', load: () => import('./page-changes.js') },
  { path: 'audit', label: 'Audit trail', load: () => import('./page-audit.js') },
  { path: 'alerts', label: 'Alerts', load: () => import('./page-alerts.js') },
  { path: 'jobs', label: 'Jobs', load: () => import('./page-jobs.js') },
];
const HIDDEN = { service: () => import('./page-service.js'), vuln: () => import('./page-vuln.js') };

function header(active) {
  const s = currentSession();
  const top = clear(document.getElementById('top'));
  top.append(
    h('a', { class: 'brand', href: '#/fleet' }, 'depwarden'),
    h('nav', { 'aria-label': 'Pages' }, h('ul', {}, PAGES.map((p) => h('li', {}, h('a', { href: `#/${p.path}`, 'aria-current': p.path === active ? 'page' : undefined }, p.label))))),
    h('div', { class: 'who' },
      h('span', {}, 'Signed in as ', h('strong', {}, s.login)),
      h('span', { class: 'badge', title: canWrite() ? 'this token may start jobs and silence alerts' : 'this token reads only: write actions are hidden and refused by the server' }, canWrite() ? s.scope : 'read-only'),
      h('button', { type: 'button', class: 'secondary', id: 'sign-out', onclick: () => signOut() }, 'Sign out'),
    ),
  );
}

let seq = 0;
async function render() {
  const mine = ++seq;
  const { page, args, query } = parseHash();
  const known = PAGES.find((p) => p.path === page);
  const load = known?.load ?? HIDDEN[page];
  const active = known ? page : page === 'service' ? 'fleet' : page === 'vuln' ? 'vulns' : '';
  header(active);
  const main = document.getElementById('main');
  main.setAttribute('aria-busy', 'true');
  delete document.body.dataset.ready;
  try {
    if (!load) {
      clear(main).append(h('h1', {}, 'Not found'), h('p', {}, 'No page ', h('code', {}, page), '. ', h('a', { href: '#/fleet' }, 'Back to the overview')));
      return;
    }
    const mod = await load();
    const view = await mod.render({ args, query });
    if (mine !== seq) return;
    clear(main).append(view);
    document.title = `${main.querySelector('h1')?.textContent ?? 'depwarden'} · depwarden`;
    if (document.activeElement === document.body || document.activeElement?.closest('#top')) main.focus({ preventScroll: true });
  } catch (e) {
    if (mine !== seq) return;
    clear(main).append(h('h1', {}, 'Something failed'), h('p', { class: 'error', role: 'alert' }, e?.message ?? String(e)));
  } finally {
    if (mine === seq) {
      main.setAttribute('aria-busy', 'false');
      document.body.dataset.ready = page;
    }
  }
}

// "/" focuses the page's search box, as on most dashboards.
document.addEventListener('keydown', (e) => {
  if (e.key !== '/' || e.ctrlKey || e.metaKey || e.altKey) return;
  const t = e.target;
  if (t instanceof HTMLInputElement || t instanceof HTMLTextAreaElement || t instanceof HTMLSelectElement) return;
  const box = document.querySelector('main input[type="search"]');
  if (box) {
    e.preventDefault();
    box.focus();
  }
});

await loadSession();
window.addEventListener('hashchange', render);
render();
