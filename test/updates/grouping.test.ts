import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { PackageReleases, Release } from '../../src/model/update.ts';
import { collectCandidates } from '../../src/updates/candidates.ts';
import { computeOutdated, type ReleaseLookup } from '../../src/updates/lookup.ts';
import { planUpdates } from '../../src/updates/plan.ts';
import { familiesOf, repositoryKey, stubTarget } from '../../src/updates/presets.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { applyChange } from '../../src/updates/apply.ts';
import { parsePackument } from '../../src/datasources/npm.ts';

/**
 * Grouping that relocks (issue 12): the babel-8 case — @babel/plugin-transform-runtime 8 and @babel/preset-env 8
 * need @babel/core ^8 — must be one change, whether the link comes from peer ranges, the source repository or
 * the presets; a peer requirement nothing planned satisfies is held back with the reason, not proposed to fail.
 */
const NOW = new Date('2026-11-23T06:00:00Z');
const ago = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const rel = (version: string, days: number, extra: Partial<Release> = {}): Release => ({ version, releasedAt: ago(days), ...extra });

type Reg = Record<string, Omit<PackageReleases, 'name' | 'registry'>>;
const BABEL: Reg = {
  'npm:@babel/core': { datasource: 'npm', releases: [rel('7.24.0', 400), rel('8.0.0', 30)] },
  'npm:@babel/preset-env': { datasource: 'npm', releases: [rel('7.24.0', 400, { peerDependencies: { '@babel/core': '^7.0.0-0' } }), rel('8.0.7', 20, { peerDependencies: { '@babel/core': '^8.0.0' } })] },
  'npm:@babel/plugin-transform-runtime': { datasource: 'npm', releases: [rel('7.24.0', 400, { peerDependencies: { '@babel/core': '^7.0.0-0' } }), rel('8.1.2', 10, { peerDependencies: { '@babel/core': '^8.0.0' } })] },
  'npm:lodash': { datasource: 'npm', releases: [rel('4.17.20', 900), rel('4.17.21', 600)] },
  'npm:left-pad': { datasource: 'npm', releases: [rel('1.0.0', 900), rel('2.0.0', 600)] },
};

function lookupOf(reg: Reg): ReleaseLookup {
  return {
    async releases(c) {
      const r = reg[`${c.ecosystem}:${c.name}`];
      if (!r) throw new Error(`no such package ${c.name}`);
      return { ...r, name: c.name, registry: 'memory' };
    },
    async digest() {
      return undefined;
    },
  };
}

const PKG = `${JSON.stringify({ name: 'web', version: '1.0.0', dependencies: { '@babel/core': '7.24.0', '@babel/preset-env': '7.24.0', '@babel/plugin-transform-runtime': '7.24.0', lodash: '4.17.20', 'left-pad': '1.0.0' } }, null, 2)}\n`;

async function planOf(files: Record<string, string>, reg: Reg, updates: Record<string, unknown> = {}) {
  const cfg = configSchema.parse({ updates: { minimumReleaseAgeDays: 0, ...updates } });
  const inv = await buildInventory(writeTree(files), cfg);
  const candidates = collectCandidates(inv);
  const report = await computeOutdated(candidates, lookupOf(reg), cfg.updates, NOW);
  assert.deepEqual(report.failures, []);
  const entries = new Map(report.entries.map((e) => [`${e.span.file}:${e.span.start ?? e.span.line}`, e]));
  return planUpdates({ candidates, entries, security: [], config: cfg, now: NOW, openChanges: 0, releases: report.releases });
}

const shape = (p: Awaited<ReturnType<typeof planOf>>): string[][] => p.changes.map((c) => [c.lane, c.updates.map((u) => `${u.candidate.displayName}@${u.to}`).join(',')]);

describe('grouping that relocks', () => {
  it('the babel-8 case: peer ranges put the majors that need @babel/core ^8 into one change with it (no presets, no source repository)', async () => {
    const plan = await planOf({ 'web/package.json': PKG }, BABEL, { familyPresets: false });
    // Merge-after-tests first; then the majors, the one furthest behind (babel, about a year) first.
    assert.deepEqual(shape(plan), [
      ['normal', 'lodash@4.17.21'],
      ['approval', '@babel/core@8.0.0,@babel/preset-env@8.0.7,@babel/plugin-transform-runtime@8.1.2'],
      ['approval', 'left-pad@2.0.0'],
    ]);
    const babel = plan.changes[1]!;
    assert.equal(babel.class, 'major');
    assert.match(babel.title, /^update @babel\/core to 8\.0\.0, @babel\/plugin-transform-runtime to 8\.1\.2, @babel\/preset-env to 8\.0\.7 in web$/);
    assert.match(babel.rationale.join('\n'), /@babel\/preset-env 8\.0\.7 requires @babel\/core@\^8\.0\.0 \(peer\): planned with @babel\/core 8\.0\.0/);
  });

  it('a peer link pulls a non-major out of the service group into the major it belongs to, and the rest of the group goes on', async () => {
    const reg: Reg = {
      ...BABEL,
      // A minor of a plugin whose new version needs @babel/core 8: it must wait for (and go with) the major.
      'npm:@babel/plugin-transform-runtime': { datasource: 'npm', releases: [rel('7.24.0', 400, { peerDependencies: { '@babel/core': '^7.0.0-0' } }), rel('7.99.0', 10, { peerDependencies: { '@babel/core': '^8.0.0' } })] },
    };
    const plan = await planOf({ 'web/package.json': PKG }, reg, { familyGrouping: true, familyPresets: false });
    const babel = plan.changes.find((c) => c.updates.some((u) => u.candidate.name === '@babel/core'))!;
    assert.deepEqual(babel.updates.map((u) => u.candidate.name).sort(), ['@babel/core', '@babel/plugin-transform-runtime', '@babel/preset-env']);
    assert.equal(babel.class, 'major');
    assert.deepEqual(plan.changes.find((c) => c.slug === 'web-non-major')!.updates.map((u) => u.candidate.name), ['lodash']);
  });

  it('families: the same source repository (registry metadata), a preset, a user family; the stub package with its package', async () => {
    const sourceOnly: Reg = Object.fromEntries(Object.entries(BABEL).map(([k, v]) => [k, { ...v, releases: v.releases.map(({ peerDependencies: _, ...r }) => r), ...(k.includes('@babel') ? { sourceUrl: 'https://github.com/babel/babel' } : {}) }]));
    const bySource = await planOf({ 'web/package.json': PKG }, sourceOnly, { familyPresets: false });
    assert.equal(bySource.changes.filter((c) => c.updates.some((u) => u.candidate.name.startsWith('@babel/'))).length, 1);
    assert.match(bySource.changes.find((c) => c.updates.length === 3)!.rationale.join('\n'), /released with .* \(babel\/babel\)/);

    const noMeta: Reg = Object.fromEntries(Object.entries(sourceOnly).map(([k, v]) => [k, { datasource: v.datasource, releases: v.releases }]));
    const byPreset = await planOf({ 'web/package.json': PKG }, noMeta);
    assert.equal(byPreset.changes.filter((c) => c.updates.some((u) => u.candidate.name.startsWith('@babel/'))).length, 1);
    const without = await planOf({ 'web/package.json': PKG }, noMeta, { familyPresets: false });
    assert.equal(without.changes.filter((c) => c.updates.some((u) => u.candidate.name.startsWith('@babel/'))).length, 3);
    const user = await planOf({ 'web/package.json': PKG }, noMeta, { familyPresets: false, families: [{ name: 'odd-pair', ecosystem: 'npm', packages: ['left-pad', '@babel/core'] }] });
    assert.deepEqual(user.changes.find((c) => c.updates.some((u) => u.candidate.name === 'left-pad'))!.updates.map((u) => u.candidate.name).sort(), ['@babel/core', 'left-pad']);
    // The switch turns family grouping off (peer links stay: without them the relock fails): one major each.
    const off = await planOf({ 'web/package.json': PKG }, sourceOnly, { familyGrouping: false });
    assert.equal(off.changes.filter((c) => c.class === 'major').length, 4);

    assert.equal(stubTarget('npm', '@types/babel__core'), '@babel/core');
    assert.equal(stubTarget('npm', '@types/node'), 'node');
    assert.equal(stubTarget('PyPI', 'types_requests'), 'requests');
    assert.ok(familiesOf('PyPI', 'botocore', undefined, [], true).includes('preset:boto3'));
    assert.ok(familiesOf('npm', '@types/react', undefined, [], true).includes('stub:react'));
    assert.ok(familiesOf('npm', 'react', undefined, [], true).includes('stub:react'));
    assert.equal(repositoryKey('git+https://github.com/Babel/babel.git'), 'github.com/babel/babel');
    // The npm datasource carries each version's peer ranges (non-string values dropped).
    const parsed = parsePackument({ name: 'p', versions: { '1.0.0': { peerDependencies: { a: '^1', b: 3 as unknown as string } }, '2.0.0': {} } }, 'https://r/');
    assert.deepEqual(parsed.releases.map((r) => r.peerDependencies), [{ a: '^1' }, undefined]);
    assert.equal(repositoryKey('https://github.com/DefinitelyTyped/DefinitelyTyped/tree/master/types/node'), undefined, 'shared hosting says nothing about releases');
  });

  it('boto3 and botocore (PyPI preset) move in one change', async () => {
    const pyproject = '[tool.poetry]\nname = "api"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.11"\nboto3 = "1.34.0"\nbotocore = "1.34.0"\nrequests = "2.31.0"\n';
    const reg: Reg = {
      'PyPI:boto3': { datasource: 'pypi', releases: [rel('1.34.0', 300), rel('1.35.0', 20)] },
      'PyPI:botocore': { datasource: 'pypi', releases: [rel('1.34.0', 300), rel('1.35.0', 20)] },
      'PyPI:requests': { datasource: 'pypi', releases: [rel('2.31.0', 300), rel('2.32.3', 20)] },
    };
    const plan = await planOf({ 'api/pyproject.toml': pyproject }, reg, { grouping: 'none' });
    assert.deepEqual(shape(plan).map((x) => x[1]).sort(), ['boto3@1.35.0,botocore@1.35.0', 'requests@2.32.3']);
  });

  it('hashed requirements: boto3 and botocore in one change, both pins and hash sets rewritten from the registry', async () => {
    const h = (c: string): string => `sha256:${c.repeat(64)}`;
    const text = `boto3==1.34.0 \\
    --hash=${h('1')}
botocore==1.34.0 \\
    --hash=${h('2')}
`;
    const files = (v: string, c: string) => [{ filename: `x-${v}.whl`, url: 'u', hashes: [h(c)] }];
    const reg: Reg = {
      'PyPI:boto3': { datasource: 'pypi', releases: [rel('1.34.0', 300), { ...rel('1.35.0', 20), files: files('1.35.0', 'a') }] },
      'PyPI:botocore': { datasource: 'pypi', releases: [rel('1.34.0', 300), { ...rel('1.35.0', 20), files: files('1.35.0', 'b') }] },
    };
    const root = writeTree({ 'svc/requirements.txt': text, 'svc/Dockerfile': 'FROM scratch\n' });
    const cfg = configSchema.parse({ updates: { minimumReleaseAgeDays: 0, grouping: 'none' } });
    const candidates = collectCandidates(await buildInventory(root, cfg));
    const report = await computeOutdated(candidates, lookupOf(reg), cfg.updates, NOW);
    const entries = new Map(report.entries.map((e) => [`${e.span.file}:${e.span.start ?? e.span.line}`, e]));
    const plan = planUpdates({ candidates, entries, security: [], config: cfg, now: NOW, openChanges: 0, releases: report.releases });
    assert.deepEqual(shape(plan), [['normal', 'boto3@1.35.0,botocore@1.35.0']]);
    await applyChange(root, plan.changes[0]!, { config: cfg, releases: report.releases, relock: async () => assert.fail('hashed requirements are rewritten, not relocked') });
    assert.equal(readFileSync(path.join(root, 'svc/requirements.txt'), 'utf8'), `boto3==1.35.0 \\
    --hash=${h('a')}
botocore==1.35.0 \\
    --hash=${h('b')}
`);
  });

  it('a peer cycle (each new major needs the other) is one change, planned once', async () => {
    const reg: Reg = {
      'npm:ping': { datasource: 'npm', releases: [rel('1.0.0', 400, { peerDependencies: { pong: '^1.0.0' } }), rel('2.0.0', 30, { peerDependencies: { pong: '^2.0.0' } })] },
      'npm:pong': { datasource: 'npm', releases: [rel('1.0.0', 400, { peerDependencies: { ping: '^1.0.0' } }), rel('2.0.0', 30, { peerDependencies: { ping: '^2.0.0' } })] },
    };
    const plan = await planOf({ 'web/package.json': JSON.stringify({ name: 'web', dependencies: { ping: '1.0.0', pong: '1.0.0' } }) }, reg);
    assert.deepEqual(shape(plan), [['approval', 'ping@2.0.0,pong@2.0.0']]);
    assert.deepEqual(plan.deferred, []);
  });

  it('a repository without depwarden.yaml (the generated defaults) still groups', async () => {
    const cfg = configSchema.parse({ updates: { minimumReleaseAgeDays: 0 } });
    const { familyGrouping: _a, familyPresets: _b, families: _c, ...stale } = cfg.updates;
    const inv = await buildInventory(writeTree({ 'web/package.json': PKG }), cfg);
    const candidates = collectCandidates(inv);
    const report = await computeOutdated(candidates, lookupOf(Object.fromEntries(Object.entries(BABEL).map(([k, v]) => [k, { datasource: v.datasource, releases: v.releases.map(({ peerDependencies: _, ...r }) => r) }]))), cfg.updates, NOW);
    const entries = new Map(report.entries.map((e) => [`${e.span.file}:${e.span.start ?? e.span.line}`, e]));
    const plan = planUpdates({ candidates, entries, security: [], config: { ...cfg, updates: stale as typeof cfg.updates }, now: NOW, openChanges: 0, releases: report.releases });
    assert.equal(plan.changes.filter((c) => c.updates.some((u) => u.candidate.name.startsWith('@babel/'))).length, 1);
  });

  it('a peer requirement no planned version satisfies is held back with the reason, not proposed to fail its relock', async () => {
    const reg: Reg = { ...BABEL, 'npm:@babel/core': { datasource: 'npm', releases: [rel('7.24.0', 400), rel('8.0.0', 1)] } };
    const plan = await planOf({ 'web/package.json': PKG }, reg, { familyPresets: false, minimumReleaseAgeDays: 0, rules: [{ packages: ['@babel/core'], minimumReleaseAgeDays: 7 }] });
    assert.equal(plan.changes.some((c) => c.updates.some((u) => u.candidate.name.startsWith('@babel/'))), false);
    const held = plan.deferred.filter((d) => d.change.updates.some((u) => u.candidate.name.startsWith('@babel/')));
    // Two holds (nothing links the two plugins to each other without the presets), each with its reason.
    assert.deepEqual(held.map((d) => d.change.updates.map((u) => u.candidate.name).join()).sort(), ['@babel/plugin-transform-runtime', '@babel/preset-env']);
    assert.match(held.find((d) => d.change.updates[0]!.candidate.name === '@babel/plugin-transform-runtime')!.reason, /peer requirement not met, the relock would fail: @babel\/plugin-transform-runtime 8\.1\.2 requires @babel\/core@\^8\.0\.0 \(peer\), but @babel\/core is 7\.24\.0 and no update of it into that range is planned/);
  });
});
