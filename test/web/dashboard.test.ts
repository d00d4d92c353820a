import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Page } from 'playwright-core';
import { openStore, type Store } from '../../src/store/store.ts';
import { needPostgres, needTool } from '../helpers/system-tool.ts';
import { baseEnv, cli, dropSchemas, FAST, get, git, PG_URL, schemaName, send, serve, stop, tempDir, waitFor, writeServeConfig, type Served } from '../serve/serve-helpers.ts';
import { CHROMIUM, launch, ready, watch, type Browser } from './browser.ts';
import { advisories, billingRepo, HOSTILE_PACKAGE, HOSTILE_TITLE, seedOutdated, seedRuntime, shopRepo } from './fleet-fixture.ts';

// The dashboard in a real browser (Debian's Chromium through playwright-core) against a real `depwarden serve` on
// loopback and the real PostgreSQL, seeded from the shared corpus: every page, the numbers against the API,
// filters and sorting, sign-in and sign-out, CSRF, a read token, escaping of hostile names, accessibility (axe),
// and a screenshot of each page (DEPWARDEN_SCREENSHOTS=docs/images writes the committed set).

const chromium = needTool(CHROMIUM, 'apt-get install chromium fonts-dejavu-core');
const pg = await needPostgres();
const SHOTS = process.env.DEPWARDEN_SCREENSHOTS ? path.resolve(process.env.DEPWARDEN_SCREENSHOTS) : tempDir('dw-shots-');
const AXE = readFileSync(path.resolve(import.meta.dirname, '..', '..', 'node_modules', 'axe-core', 'axe.min.js'), 'utf8');

// An in-page fetch tried once more on a network error: a keep-alive connection the server closes just as the
// browser reuses it fails the request (seen once under load); a refusal is an HTTP status, never this.
const FETCH_AGAIN = 'const fetchAgain = (u, o) => fetch(u, o).catch(() => new Promise((r) => setTimeout(r, 200)).then(() => fetch(u, o)))';

async function axe(page: Page): Promise<string[]> {
  const r = (await page.evaluate(`${AXE}\n;axe.run(document, { resultTypes: ['violations'] })`)) as { violations: { id: string; impact: string; help: string; nodes: { target: string[] }[] }[] };
  return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).slice(0, 3).join('; ')})`);
}

describe('the dashboard in Chromium', { skip: chromium || pg }, () => {
  const schema = schemaName('web');
  const data = tempDir();
  const env = baseEnv({ DATABASE_URL: PG_URL, DEPWARDEN_DB_SCHEMA: schema });
  let s: Served;
  let store: Store;
  let browser: Browser;
  const tokens: Record<'read' | 'write' | 'bobRead', string> = { read: '', write: '', bobRead: '' };
  let shop: string;

  const api = async (p: string) => {
    const r = await get(`${s.url}${p}`, tokens.write);
    assert.equal(r.status, 200, `${p}: ${r.text}`);
    return r.json;
  };

  async function signedIn(token: string, opts: { width?: number; colorScheme?: 'light' | 'dark' } = {}): Promise<{ page: Page; seen: ReturnType<typeof watch> }> {
    const page = await browser.context.newPage();
    if (opts.width) await page.setViewportSize({ width: opts.width, height: 900 });
    if (opts.colorScheme) await page.emulateMedia({ colorScheme: opts.colorScheme });
    const seen = watch(page);
    await page.goto(`${s.url}/sign-in`);
    await page.fill('#token', token);
    await Promise.all([page.waitForURL(`${s.url}/`), page.click('button[type=submit]')]);
    await ready(page, 'fleet');
    return { page, seen };
  }

  async function visit(page: Page, hash: string, name: string): Promise<void> {
    await page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
    await ready(page, name);
  }

  before(async () => {
    advisories(env.DEPWARDEN_HOME!);
    writeServeConfig(data, `${FAST}limits:\n  perToken: 0\n  perAddress: 0\n`);
    shop = shopRepo();
    s = await serve(['--listen', '127.0.0.1:0', '--data', data], env);
    store = await openStore({ databaseUrl: PG_URL, schema, dir: path.join(data, 'unused') });
    const admin = cli(['token', 'create', '--login', 'root', '--scope', 'admin', '--data', data], env).stdout.trim();
    for (const [name, repo] of [['shop', shop], ['billing', billingRepo()]] as const) assert.equal((await send('POST', `${s.url}/api/v1/repos`, admin, { spec: repo, name })).status, 201);
    tokens.write = cli(['token', 'create', '--login', 'alice', '--scope', 'write', '--data', data], env).stdout.trim();
    tokens.read = cli(['token', 'create', '--login', 'alice', '--scope', 'read', '--data', data], env).stdout.trim();
    tokens.bobRead = cli(['token', 'create', '--login', 'bob', '--scope', 'read', '--data', data], env).stdout.trim();
    await waitFor('audit snapshots of both repositories', async () => {
      const f = await get(`${s.url}/api/v1/fleet`, tokens.write);
      return f.json?.items?.filter((r: { vulns: { total: number } }) => r.vulns.total > 0).length >= 2 && f.json.items.length >= 4;
    }, 120_000);
    // A second commit: a second snapshot, so trends and charts have two points.
    writeFileSync(path.join(shop, 'README.md'), '# shop\n');
    git(shop, 'add', '-A');
    git(shop, 'commit', '-qm', 'second');
    await waitFor('the second audit of shop', async () => {
      const f = await get(`${s.url}/api/v1/fleet`, tokens.write);
      return f.json?.items?.find((r: { repo: string; service: string; trend: number[] }) => r.repo === 'shop' && r.service === 'api')?.trend.length >= 2;
    }, 120_000);
    const head = git(shop, 'rev-parse', 'HEAD');
    assert.equal((await send('POST', `${s.url}/api/v1/builds`, tokens.write, { repo: 'shop', commit: head, branch: 'main', service: 'api', status: 'failure', workflow: 'ci', tests: { run: 120, failed: 3, skipped: 0, failing: ['api › pays', 'api › refunds', 'api › reports'] } })).status < 300, true);
    assert.equal((await send('POST', `${s.url}/api/v1/builds`, tokens.write, { repo: 'shop', commit: head, branch: 'main', service: 'frontend', status: 'success', workflow: 'ci' })).status < 300, true);
    for (const [i, covered] of [700, 760, 810].entries()) assert.equal((await send('POST', `${s.url}/api/v1/coverage`, tokens.write, { repo: 'shop', commit: `${head.slice(0, 39)}${i}`, branch: 'main', service: 'api', format: 'lcov', linesCovered: covered, linesTotal: 1000, branchesCovered: null, branchesTotal: null })).status < 300, true);
    await seedRuntime(store);
    await seedOutdated(store, [git(shop, 'rev-parse', 'HEAD~1'), head]);
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await store?.close();
    if (s) await stop(s);
    await dropSchemas(schema).catch(() => {});
  });

  it('GET / redirects to the sign-in form, which is plain HTML under a strict CSP', async () => {
    const r = await fetch(`${s.url}/`, { redirect: 'manual' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/sign-in');
    const f = await get(`${s.url}/sign-in`);
    assert.equal(f.status, 200);
    assert.match(f.headers.get('content-type')!, /^text\/html/);
    assert.match(f.text, /<form[^>]+method="post"[^>]+action="\/sign-in"/);
    const csp = f.headers.get('content-security-policy')!;
    assert.match(csp, /script-src 'self'/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    assert.doesNotMatch(f.text, /<script(?![^>]*src=)/, 'no inline script');
  });

  it('refuses a wrong token at the form, and a cross-site sign-in', async () => {
    const bad = await fetch(`${s.url}/sign-in`, { method: 'POST', body: new URLSearchParams({ token: 'dw_000000000000_' + 'a'.repeat(43) }), redirect: 'manual' });
    assert.equal(bad.status, 401);
    assert.match(await bad.text(), /Sign-in refused: unknown token/);
    const cross = await fetch(`${s.url}/sign-in`, { method: 'POST', headers: { origin: 'https://evil.example' }, body: new URLSearchParams({ token: tokens.read }), redirect: 'manual' });
    assert.equal(cross.status, 403);
    assert.equal(cross.headers.get('set-cookie'), null);
  });

  it('signs in with a token from `depwarden token create`: an HttpOnly, SameSite=Strict cookie, no token in the URL', async () => {
    const r = await fetch(`${s.url}/sign-in`, { method: 'POST', body: new URLSearchParams({ token: tokens.read }), redirect: 'manual' });
    assert.equal(r.status, 303);
    assert.equal(r.headers.get('location'), '/');
    const cookie = r.headers.get('set-cookie')!;
    assert.match(cookie, /^dw_session=[A-Za-z0-9_-]{12}\.[A-Za-z0-9_-]{43}; Path=\/; HttpOnly; SameSite=Strict/);
    assert.doesNotMatch(cookie, /Secure/, 'plain http on loopback: no Secure flag');
    assert.ok(!cookie.includes(tokens.read.slice(16)), 'the cookie is not the token');
    const page = await fetch(`${s.url}/`, { headers: { cookie: cookie.split(';')[0]! } });
    assert.equal(page.status, 200);
    assert.match(await page.text(), /<script type="module" src="\/assets\/[0-9a-f]{16}\/app\.js"><\/script>/);
    // The same cookie reads the API, like a bearer token.
    const fleet = await get(`${s.url}/api/v1/fleet`, undefined, { cookie: cookie.split(';')[0]! });
    assert.equal(fleet.status, 200);
  });

  it('the overview shows the numbers the API returns, and every page loads without console errors or serious axe violations', async () => {
    const { page, seen } = await signedIn(tokens.write);
    const fleet = await api('/api/v1/fleet');
    for (const sev of ['critical', 'high', 'medium', 'low']) assert.equal(await page.textContent(`#sum-${sev} .v`), String(fleet.summary.vulns[sev]), sev);
    assert.equal(await page.textContent('#sum-services .v'), String(fleet.summary.services));
    assert.equal(await page.textContent('#sum-failing .v'), String(fleet.summary.failingBuilds));
    assert.equal(await page.textContent('#sum-down .v'), String(fleet.summary.down));
    assert.equal(fleet.summary.failingBuilds, 1);
    assert.equal(fleet.summary.down, 1);
    assert.equal(await page.textContent('#fleet-count'), `Showing ${fleet.items.length} of ${fleet.items.length} services`);
    const api_ = fleet.items.find((r: { service: string }) => r.service === 'api');
    assert.deepEqual([api_.vulns.critical, api_.vulns.high, api_.owners, api_.build.status, api_.health.status, api_.lastDeploy.outcome, api_.coverage, api_.outdated, api_.libyears], [1, 1, ['alice'], 'failure', 'down', 'rolled_back', 0.81, 2, 3.5]);
    assert.equal(await page.textContent('#sum-libyears .v'), String(fleet.summary.libyears));
    const row = page.locator('tbody tr', { has: page.locator('a', { hasText: /^api$/ }) });
    assert.deepEqual((await row.locator('td').allTextContents()).slice(0, 6), ['apishop', 'alice', '1', '1', '0', '0']);
    // The fleet-wide trend ends at the summary's numbers.
    const hist = await api('/api/v1/fleet/history');
    assert.ok(hist.items.length >= 2);
    for (const sev of ['critical', 'high', 'medium', 'low']) assert.equal(hist.items.at(-1)[sev], fleet.summary.vulns[sev], `trend ${sev}`);
    await page.locator('#chart-fleet-vulns canvas').waitFor();
    const pages: [string, string, string][] = [['#/fleet', 'fleet', 'overview'], ['#/service/shop/api', 'service', 'service'], ['#/vulns', 'vulns', 'vulnerabilities'], ['#/vuln/GHSA-dw00-web0-0001', 'vuln', 'vulnerability'], ['#/changes', 'changes', 'changes'], ['#/audit', 'audit', 'audit'], ['#/alerts', 'alerts', 'alerts'], ['#/jobs', 'jobs', 'jobs']];
    mkdirSync(SHOTS, { recursive: true });
    for (const [hash, name, shot] of pages) {
      await visit(page, hash, name);
      if (name === 'fleet') await page.locator('#chart-fleet-vulns canvas').waitFor();
      await page.waitForTimeout(150);
      assert.deepEqual(await axe(page), [], `${hash}: axe`);
      await page.screenshot({ path: path.join(SHOTS, `dashboard-${shot}.png`), fullPage: shot !== 'audit' && shot !== 'jobs' });
    }
    assert.deepEqual(seen.problems, []);
    await page.close();
  });

  it('filters, searches and sorts the overview, and the URL deep-links to them', async () => {
    const { page, seen } = await signedIn(tokens.write);
    const fleet = await api('/api/v1/fleet');
    const count = async () => Number(/Showing (\d+)/.exec((await page.textContent('#fleet-count'))!)![1]);
    await page.selectOption('select[name=severity]', 'critical');
    assert.equal(await count(), fleet.items.filter((r: { vulns: { critical: number } }) => r.vulns.critical > 0).length);
    assert.match(page.url(), /severity=critical/);
    await page.selectOption('select[name=severity]', '');
    await page.selectOption('select[name=repo]', 'billing');
    assert.equal(await count(), fleet.items.filter((r: { repo: string }) => r.repo === 'billing').length);
    await page.selectOption('select[name=repo]', '');
    await page.fill('input[type=search]', 'front');
    assert.equal(await count(), 1);
    await page.fill('input[type=search]', '');
    await page.selectOption('select[name=needs]', 'me');
    // alice owns shop (CODEOWNERS); its api is failing, down and vulnerable; frontend is fine.
    assert.deepEqual(await page.locator('tbody tr td:first-child a').allTextContents(), fleet.items.filter((r: { needsMe: boolean }) => r.needsMe).map((r: { service: string }) => r.service));
    assert.ok(fleet.items.some((r: { needsMe: boolean }) => r.needsMe));
    await page.selectOption('select[name=needs]', '');
    // Sorting by a header, with the keyboard: Enter on the button, twice for descending.
    await page.locator('th button', { hasText: 'Outdated' }).focus();
    await page.keyboard.press('Enter');
    assert.equal(await page.getAttribute('th:has(button:text("Outdated"))', 'aria-sort'), 'ascending');
    await page.locator('th button', { hasText: 'Service' }).click();
    const names = await page.locator('tbody tr td:first-child a').allTextContents();
    assert.deepEqual(names, fleet.items.map((r: { repo: string; service: string }) => r).sort((a: { repo: string; service: string }, b: { repo: string; service: string }) => `${a.repo}/${a.service}`.localeCompare(`${b.repo}/${b.service}`)).map((r: { service: string }) => r.service));
    await page.locator('th button', { hasText: 'Service' }).click();
    assert.deepEqual(await page.locator('tbody tr td:first-child a').allTextContents(), [...names].reverse());
    // A deep link opens with its filters applied.
    await page.goto(`${s.url}/#/fleet?repo=billing&sort=-high`);
    await ready(page, 'fleet');
    assert.equal(await count(), fleet.items.filter((r: { repo: string }) => r.repo === 'billing').length);
    assert.equal(await page.inputValue('select[name=repo]'), 'billing');
    assert.deepEqual(seen.problems, []);
    await page.close();
  });

  it('the service page shows its dependencies, vulnerabilities, findings, SBOM links, deploys and charts from the API', async () => {
    const { page, seen } = await signedIn(tokens.write);
    await visit(page, '#/service/shop/api', 'service');
    const vulns = await api('/api/v1/repos/shop/vulnerabilities?service=api');
    assert.equal(await page.textContent('#sec-vulns-h'), `Vulnerabilities (${vulns.items.length})`);
    const deps = await api('/api/v1/repos/shop/dependencies?service=api');
    assert.equal(await page.textContent('#sec-deps-h'), `Dependencies (${deps.items.length})`);
    const findings = await api('/api/v1/repos/shop/findings?service=api');
    assert.equal(await page.textContent('#sec-findings-h'), `Findings (${findings.items.length})`);
    const f0 = findings.items[0];
    assert.ok(await page.locator('#sec-findings td', { hasText: `${f0.file}:${f0.line}` }).count());
    assert.equal(await page.getAttribute('#sbom-cdx', 'href'), `/api/v1/snapshots/${deps.snapshot.id}/sbom?format=cyclonedx-json`);
    const sbom = (await page.evaluate(`fetch(${JSON.stringify(await page.getAttribute('#sbom-spdx', 'href'))}).then((r) => r.json())`)) as { spdxVersion: string };
    assert.equal(sbom.spdxVersion, 'SPDX-2.3');
    assert.equal(await page.locator('#sec-deploys tbody tr').count(), 2);
    assert.ok(await page.locator('#sec-deploys', { hasText: 'rolled back' }).count());
    const leftpad = page.locator('#sec-deps tbody tr', { hasText: 'leftpad' });
    assert.deepEqual((await leftpad.locator('td').allTextContents()).slice(1, 4), ['1.0.0', '1.0.0', '1.3.0 (minor)'], 'current, allowed, latest from the outdated snapshot');
    assert.equal(await page.locator('#chart-vulns canvas').count(), 1, 'the vulnerability chart is drawn');
    assert.equal(await page.locator('#chart-libyears canvas').count(), 1);
    assert.equal(await page.locator('#chart-coverage canvas').count(), 1);
    assert.equal(await page.locator('#chart-health canvas').count(), 1);
    assert.deepEqual(seen.problems, []);
    await page.close();
  });

  it('escapes hostile package names and advisory titles everywhere', async () => {
    const { page, seen } = await signedIn(tokens.write);
    for (const [hash, name] of [['#/service/shop/api', 'service'], ['#/vulns', 'vulns'], ['#/vuln/GHSA-dw00-web0-0002', 'vuln'], ['#/vuln/GHSA-dw00-web0-0001', 'vuln'], ['#/changes', 'changes']] as const) {
      await visit(page, hash, name);
      await page.waitForTimeout(100);
      assert.equal(await page.evaluate('window.__pwned'), undefined, `${hash}: nothing ran`);
      assert.equal(await page.locator('main script, main img, main a[href^="javascript"]').count(), 0, `${hash}: no element came from data`);
    }
    await visit(page, '#/vuln/GHSA-dw00-web0-0001', 'vuln');
    assert.ok((await page.textContent('main'))!.includes(HOSTILE_TITLE), 'the title is shown as text');
    await visit(page, '#/vulns', 'vulns');
    assert.ok((await page.textContent('main'))!.includes(HOSTILE_PACKAGE), 'the package name is shown as text');
    assert.deepEqual(seen.dialogs, []);
    assert.deepEqual(seen.problems, []);
    await page.close();
  });

  it('changes: pending approvals and owed reviews, the overdue one in red', async () => {
    const { page } = await signedIn(tokens.read);
    await visit(page, '#/changes', 'changes');
    assert.equal(await page.textContent('#pending'), 'Pending approval (2)');
    const overdue = page.locator('tr.overdue');
    assert.equal(await overdue.count(), 1);
    assert.match((await overdue.textContent())!, /chg-3.*OVERDUE/);
    const color = await overdue.locator('td.overdue').evaluate((el) => (globalThis as unknown as { getComputedStyle(e: unknown): { color: string } }).getComputedStyle(el).color);
    assert.match(color, /^rgb\((1[5-9]\d|2\d\d), \d{1,2}, \d{1,2}\)$/, `overdue is red: ${color}`);
    await page.close();
  });

  it('the audit trail shows the chain verification and filters by kind', async () => {
    const { page, seen } = await signedIn(tokens.write);
    await visit(page, '#/audit', 'audit');
    const log = await api('/api/v1/audit-log?limit=500');
    assert.equal(log.verification.ok, true);
    assert.match((await page.textContent('#chain-status'))!, new RegExp(`Chain verified: ${log.verification.entries} entries`));
    await page.selectOption('select[name=kind]', 'session_opened');
    const n = log.items.filter((e: { kind: string }) => e.kind === 'session_opened').length;
    assert.match((await page.textContent('#audit-count'))!, new RegExp(`Showing ${n} of ${n} matching`));
    assert.deepEqual(seen.problems, []);
    await page.close();
  });

  it('alerts: the page follows the alerts API, or says it is not configured', async () => {
    const { page, seen } = await signedIn(tokens.write);
    await visit(page, '#/alerts', 'alerts');
    const doc = await api('/api/v1/openapi.json');
    if (!doc.paths['/api/v1/alerts']) assert.equal(await page.textContent('#alerts-missing'), 'Alerts are not configured on this server.');
    else {
      const active = await api('/api/v1/alerts?state=active');
      assert.match((await page.textContent('main h2'))!, new RegExp(`Active \\(${active.items.length}\\)`));
    }
    assert.deepEqual(seen.problems, []);
    await page.close();
  });

  it('a write from the session needs its CSRF token; a read session sees no write button and is refused by the server', async () => {
    const { page } = await signedIn(tokens.write);
    await visit(page, '#/service/shop/api', 'service');
    assert.equal(await page.locator('#run-jobs').count(), 1);
    const post = (headers: Record<string, string>) => page.evaluate(`${FETCH_AGAIN}; fetchAgain('/api/v1/repos/shop/jobs', { method: 'POST', headers: ${JSON.stringify({ 'content-type': 'application/json', ...headers })}, body: JSON.stringify({ kinds: ['check'] }) }).then((r) => r.status)`);
    const noCsrf = await post({});
    assert.equal(noCsrf, 403);
    const wrong = await post({ 'x-csrf-token': 'x'.repeat(43) });
    assert.equal(wrong, 403);
    await page.click('#run-jobs');
    await page.locator('.actions [role=status]', { hasText: 'queued' }).waitFor();
    await page.close();

    const r = await signedIn(tokens.read);
    await visit(r.page, '#/service/shop/api', 'service');
    assert.equal(await r.page.locator('#run-jobs').count(), 0, 'no write button for a read session');
    assert.equal(await r.page.textContent('.top .badge'), 'read-only');
    const refused = await r.page.evaluate(`${FETCH_AGAIN}; (async () => {
      const sess = await (await fetchAgain('/api/v1/session')).json();
      const res = await fetchAgain('/api/v1/repos/shop/jobs', { method: 'POST', headers: { 'content-type': 'application/json', 'x-csrf-token': sess.csrf }, body: JSON.stringify({ kinds: ['check'] }) });
      return [res.status, (await res.json()).error];
    })()`);
    assert.deepEqual(refused, [403, 'this route needs a write token; this session\'s is read']);
    await r.page.close();
  });

  it('signs out: the session ends on the server, not just in the browser', async () => {
    const { page } = await signedIn(tokens.bobRead);
    const cookie = (await browser.context.cookies(s.url)).find((c) => c.name === 'dw_session')!;
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(await page.evaluate('document.cookie'), '', 'the page cannot read the session cookie');
    await Promise.all([page.waitForURL(`${s.url}/sign-in`), page.click('#sign-out')]);
    const after_ = await get(`${s.url}/api/v1/fleet`, undefined, { cookie: `dw_session=${cookie.value}` });
    assert.equal(after_.status, 401);
    const home = await fetch(`${s.url}/`, { headers: { cookie: `dw_session=${cookie.value}` }, redirect: 'manual' });
    assert.equal(home.status, 303);
    await page.close();
  });

  it('a revoked token ends its sessions', async () => {
    const token = cli(['token', 'create', '--login', 'dave', '--scope', 'read', '--data', data], env).stdout.trim();
    const r = await send('POST', `${s.url}/api/v1/session`, undefined, { token });
    assert.equal(r.status, 201);
    const cookie = r.headers.get('set-cookie')!.split(';')[0]!;
    assert.equal((await get(`${s.url}/api/v1/session`, undefined, { cookie })).json.login, 'dave');
    const id = token.split('_')[1]!;
    assert.equal(cli(['token', 'revoke', id, '--data', data], env).code, 0);
    const after_ = await get(`${s.url}/api/v1/session`, undefined, { cookie });
    assert.equal(after_.status, 401);
    assert.match(after_.json.error, /revoked/);
  });

  it('is usable on a narrow screen and in dark mode', async () => {
    const { page, seen } = await signedIn(tokens.write, { width: 420, colorScheme: 'dark' });
    const bg = await page.evaluate('getComputedStyle(document.body).backgroundColor');
    assert.equal(bg, 'rgb(15, 18, 22)');
    assert.equal(await page.evaluate('document.documentElement.scrollWidth <= window.innerWidth + 1'), true, 'no page-wide horizontal scroll (tables scroll in their box)');
    assert.deepEqual(await axe(page), []);
    await page.screenshot({ path: path.join(SHOTS, 'dashboard-overview-narrow-dark.png'), fullPage: true });
    assert.deepEqual(seen.problems, []);
    await page.close();
  });

  it('serves its assets compressed, immutable and under 250 KB of JavaScript', async () => {
    const html = await (await fetch(`${s.url}/`, { headers: { cookie: (await send('POST', `${s.url}/api/v1/session`, undefined, { token: tokens.read })).headers.get('set-cookie')!.split(';')[0]! } })).text();
    const base = /src="(\/assets\/[0-9a-f]{16})\/app\.js"/.exec(html)![1]!;
    const { assets } = await import('../../src/web/assets.ts');
    let js = 0;
    for (const [name, a] of assets().files) {
      const r = await fetch(`${s.url}${base}/${name}`, { headers: { 'accept-encoding': 'br, gzip' } });
      assert.equal(r.status, 200, name);
      assert.equal(r.headers.get('content-encoding'), 'br', name);
      assert.equal(r.headers.get('cache-control'), 'public, max-age=31536000, immutable');
      const body = Buffer.from(await r.arrayBuffer());
      assert.equal(Number(r.headers.get('content-length')), a.br.length);
      if (name.endsWith('.js')) js += body.length;
      const again = await fetch(`${s.url}${base}/${name}`, { headers: { 'accept-encoding': 'br, gzip', 'if-none-match': r.headers.get('etag')! } });
      assert.equal(again.status, 304);
    }
    assert.ok(js < 250 * 1024, `${js} bytes of JavaScript, brotli`);
    const gz = await fetch(`${s.url}${base}/app.js`, { headers: { 'accept-encoding': 'gzip' } });
    assert.equal(gz.headers.get('content-encoding'), 'gzip');
    assert.equal((await fetch(`${s.url}${base}/nope.js`)).status, 404);
  });
});
