import { cpSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { recordSample } from '../../src/health/store.ts';
import { finishRecord, startRecord } from '../../src/deploy/records.ts';
import { recordSnapshots } from '../../src/history/snapshots.ts';
import type { Store } from '../../src/store/store.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { cli, git, tempDir } from '../serve/serve-helpers.ts';

/**
 * The dashboard's test fleet: two git repositories built from the shared corpus (commander.js's real lock as the
 * `frontend` service) plus small services with known findings and vulnerabilities, and hostile names — a
 * package called `<script>…` and an advisory whose title carries HTML and Markdown injection.
 */

export const HOSTILE_PACKAGE = '<script>window.__pwned=1</script>';
export const HOSTILE_TITLE = '<img src=x onerror="window.__pwned=2"> **bold** [click](javascript:window.__pwned=3)';
const CORPUS = path.resolve(import.meta.dirname, '..', '..', '..', 'shared', 'corpus');

function lock(name: string, packages: Record<string, string>): string {
  const deps = Object.fromEntries(Object.keys(packages).map((p) => [p, packages[p]]));
  const entries = Object.fromEntries(Object.entries(packages).map(([p, v]) => [`node_modules/${p}`, { version: v, resolved: `https://registry.npmjs.org/${p}/-/${p}-${v}.tgz`, integrity: `sha512-${Buffer.alloc(64, `${p}${v}`).toString('base64')}` }]));
  return `${JSON.stringify({ name, version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name, version: '1.0.0', dependencies: deps }, ...entries } }, null, 2)}\n`;
}

export function shopRepo(): string {
  const dir = writeTree({
    '.github/CODEOWNERS': '# owners of everything\n* @alice\n',
    'api/package.json': JSON.stringify({ name: 'api', version: '1.0.0', dependencies: { leftpad: '1.0.0', [HOSTILE_PACKAGE]: '1.0.0' } }, null, 2),
    'api/package-lock.json': lock('api', { leftpad: '1.0.0', [HOSTILE_PACKAGE]: '1.0.0' }),
    'web/Dockerfile': 'FROM python:3.12-slim\nRUN true\n',
  });
  cpSync(path.join(CORPUS, 'npm', 'tj__commander.js'), path.join(dir, 'frontend'), { recursive: true });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'first');
  return dir;
}

export function billingRepo(): string {
  const dir = writeTree({
    'CODEOWNERS': '* @bob\n',
    'billing/package.json': JSON.stringify({ name: 'billing', version: '1.0.0', dependencies: { leftpad: '1.0.0' } }, null, 2),
    'billing/package-lock.json': lock('billing', { leftpad: '1.0.0' }),
  });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'first');
  return dir;
}

/** The advisory database: leftpad < 1.0.1 (high, hostile title) and the hostile package (critical). */
export function advisories(home: string): void {
  const dir = tempDir('dw-osv-');
  const adv = (id: string, name: string, severity: string, summary: string, fixed: string) => ({ schema_version: '1.6.0', id, modified: '2024-01-01T00:00:00Z', published: '2024-01-01T00:00:00Z', summary, affected: [{ package: { ecosystem: 'npm', name }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed }] }] }], database_specific: { severity } });
  writeFileSync(path.join(dir, 'GHSA-dw00-web0-0001.json'), JSON.stringify(adv('GHSA-dw00-web0-0001', 'leftpad', 'HIGH', HOSTILE_TITLE, '1.0.1')));
  writeFileSync(path.join(dir, 'GHSA-dw00-web0-0002.json'), JSON.stringify(adv('GHSA-dw00-web0-0002', HOSTILE_PACKAGE, 'CRITICAL', 'a package named like a script tag', '2.0.0')));
  const r = cli(['db', 'import', dir], { ...process.env, DEPWARDEN_HOME: home });
  if (r.code !== 0) throw new Error(`db import: ${r.stderr}`);
}

/**
 * Outdated snapshots of shop's api at two commits (the outdated job needs the registries, which tests replace
 * elsewhere): what the outdated job records, in its shape.
 */
export async function seedOutdated(store: Store, commits: [string, string], now = Date.now()): Promise<void> {
  const entry = (name: string, current: string, latest: string, updateType: string, libyears: number) => ({ service: 'api', file: 'api/package.json', ecosystem: 'npm', name, current, declared: current, allowed: current, latest, updateType, libyears, note: null });
  const snaps = [
    [entry('leftpad', '1.0.0', '1.2.0', 'minor', 0.6)],
    [entry('leftpad', '1.0.0', '1.3.0', 'minor', 1.1), entry(HOSTILE_PACKAGE, '1.0.0', '2.0.0', 'major', 2.4)],
  ];
  for (const [i, detail] of snaps.entries()) {
    await store.transaction((q) => recordSnapshots(q, 'shop', commits[i]!, 'outdated', null, [
      { service: 'api', summary: { outdated: detail.length, libyears: Math.round(detail.reduce((n, e) => n + e.libyears, 0) * 100) / 100, byType: {}, lookupFailures: 0 }, detail },
      { service: '', summary: { outdated: detail.length, libyears: Math.round(detail.reduce((n, e) => n + e.libyears, 0) * 100) / 100, byType: {}, lookupFailures: 0 }, detail },
    ]));
    await store.query("UPDATE snapshots SET taken = $2 WHERE repo = 'shop' AND kind = 'outdated' AND commit = $1", [commits[i], new Date(now - (snaps.length - i) * 60_000).toISOString()]);
  }
}

/** Health samples, deploys, changes and reviews straight into the store (their own capabilities are tested elsewhere). */
export async function seedRuntime(store: Store, now = Date.now()): Promise<void> {
  const at = (minAgo: number) => new Date(now - minAgo * 60_000).toISOString();
  for (let i = 5; i >= 0; i--) await recordSample(store, { repo: 'shop', service: 'api', at: at(i * 10), status: i === 0 ? 'down' : 'up', reason: i === 0 ? 'http: 503 from /healthz' : 'ok', checks: [{ check: 'http', status: i === 0 ? 'down' : 'up', reason: i === 0 ? '503' : 'ok', latencyMs: 20 + i * 3 }] });
  await recordSample(store, { repo: 'billing', service: 'billing', at: at(1), status: 'up', reason: 'ok', checks: [{ check: 'http', status: 'up', reason: 'ok', latencyMs: 12 }] });
  await startRecord(store, { id: 'dep-1', service: 'api', driver: 'swarm', strategy: 'rolling', from: '', to: 'registry.example/api@sha256:' + 'a'.repeat(64), change: null, started: at(120) });
  await finishRecord(store, 'dep-1', { outcome: 'succeeded', gates: [], finished: at(118), durationMs: 95_000, detail: 'rolled out' });
  await startRecord(store, { id: 'dep-2', service: 'api', driver: 'swarm', strategy: 'rolling', from: 'registry.example/api@sha256:' + 'a'.repeat(64), to: 'registry.example/api@sha256:' + 'b'.repeat(64), change: 'chg-2', started: at(30) });
  await finishRecord(store, 'dep-2', { outcome: 'rolled_back', gates: [], finished: at(28), durationMs: 61_000, detail: 'error rate gate failed: rolled back' });
  const change = (id: string, title: string, cls: string, state: string, tests: boolean, minAgo: number) => store.query('INSERT INTO changes (id, title, class, author, digest, state, tests, impact, created) VALUES ($1, $2, $3, $4, $5, $6, $7, false, $8)', [id, title, cls, 'depwarden-bot', `sha256:${id}`, state, tests, at(minAgo)]);
  await change('chg-1', 'api: bump leftpad 1.0.0 → 1.0.1 (security)', 'security', 'proposed', true, 300);
  await change('chg-2', `frontend: bump ${HOSTILE_PACKAGE} to 2.0.0`, 'major', 'tests_passed', true, 200);
  await change('chg-3', 'billing: emergency bump of leftpad', 'security', 'merged', true, 3000);
  await change('chg-4', 'web: python 3.12 → 3.13', 'minor', 'merged', true, 100);
  await store.query('INSERT INTO approvals (change_id, approver, roles, signature, time) VALUES ($1, $2, $3, $4, $5)', ['chg-1', 'carol', JSON.stringify(['security']), 'sig', at(100)]);
  await store.query('INSERT INTO reviews (change_id, role, due, reason) VALUES ($1, $2, $3, $4)', ['chg-3', 'security', at(60), 'emergency merge chg-3: post-update review']);
  await store.query('INSERT INTO reviews (change_id, role, due, reason) VALUES ($1, $2, $3, $4)', ['chg-4', 'platform', new Date(now + 86_400_000).toISOString(), 'manual rollback chg-4: post-update review']);
}
