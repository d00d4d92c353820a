import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { PackageReleases, Release } from '../../src/model/update.ts';
import { applyChange } from '../../src/updates/apply.ts';
import { collectCandidates } from '../../src/updates/candidates.ts';
import { computeOutdated, type ReleaseLookup } from '../../src/updates/lookup.ts';
import { planUpdates } from '../../src/updates/plan.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * Classification that matches the registry's truth (issue 12, item 5): a range with no lock entry is classed by
 * the version it moves to; npm aliases are looked up (and edited) as the package they name; a library's peer
 * dependency is widened, never pinned.
 */
const NOW = new Date('2026-11-23T06:00:00Z');
const ago = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const rel = (version: string, days: number): Release => ({ version, releasedAt: ago(days) });

const REG: Record<string, Release[]> = {
  ioredis: [rel('4.28.3', 900), rel('4.28.5', 800), rel('5.0.0', 500), rel('6.0.0', 30)],
  'engine.io-client': [rel('3.5.2', 900), rel('3.5.4', 600), rel('6.6.0', 30)],
  react: [rel('17.0.2', 900), rel('18.2.0', 300), rel('18.3.1', 100)],
  lodash: [rel('4.17.20', 900), rel('4.17.21', 600)],
  node: [rel('20.11.0', 900), rel('20.19.5', 200), rel('22.20.0', 100), rel('24.11.0', 40)],
  npm: [rel('10.9.0', 400), rel('11.6.2', 60)],
};

function lookup(asked: string[]): ReleaseLookup {
  return {
    async releases(c) {
      asked.push(c.name);
      const releases = REG[c.name];
      if (!releases) throw new Error(`${c.name} was not found in the npm registry`);
      return { datasource: 'npm', name: c.name, registry: 'memory', releases } satisfies PackageReleases;
    },
    async digest() {
      return undefined;
    },
  };
}

async function outdated(pkg: object) {
  const cfg = configSchema.parse({ updates: { minimumReleaseAgeDays: 0 } });
  const root = writeTree({ 'app/package.json': `${JSON.stringify(pkg, null, 2)}\n` });
  const inv = await buildInventory(root, cfg);
  const candidates = collectCandidates(inv);
  const asked: string[] = [];
  const report = await computeOutdated(candidates, lookup(asked), cfg.updates, NOW);
  return { root, cfg, candidates, report, asked, by: new Map(report.entries.map((e) => [e.name, e])) };
}

describe('classification', () => {
  it('a range with no lock entry is classed by the version it moves to: ^4.28.3 -> 6.0.0 is a major (approval lane), not a pin', async () => {
    const { cfg, candidates, report, by } = await outdated({ name: 'app', dependencies: { ioredis: '^4.28.3', lodash: '^4.17.20' } });
    assert.equal(by.get('ioredis')!.allowed, '6.0.0');
    assert.equal(by.get('ioredis')!.updateType, 'major');
    // lodash's range already resolves to the newest release: pinning it is all there is to do.
    assert.equal(by.get('lodash')!.updateType, 'pin');
    const entries = new Map(report.entries.map((e) => [`${e.span.file}:${e.span.start}`, e]));
    const plan = planUpdates({ candidates, entries, security: [], config: cfg, now: NOW, openChanges: 0 });
    const redis = plan.changes.find((c) => c.updates.some((u) => u.candidate.name === 'ioredis'))!;
    assert.equal(redis.lane, 'approval');
    assert.equal(redis.class, 'major');
    assert.deepEqual(plan.changes.find((c) => c.lane === 'normal')!.updates.map((u) => u.candidate.name), ['lodash']);
    // With majors disabled, the newest version in the range is the update, still never below what it is.
    const noMajor = configSchema.parse({ updates: { minimumReleaseAgeDays: 0, rules: [{ updateTypes: ['major'], enabled: false }] } });
    const r2 = await computeOutdated(candidates, lookup([]), noMajor.updates, NOW);
    assert.deepEqual([r2.entries.find((e) => e.name === 'ioredis')!.allowed, r2.entries.find((e) => e.name === 'ioredis')!.updateType], ['4.28.5', 'pin']);
  });

  it('an npm alias is looked up by its real name and edited inside npm:<name>@', async () => {
    const { root, cfg, report, asked, by } = await outdated({ name: 'app', dependencies: { 'x-v3': 'npm:engine.io-client@3.5.2' } });
    assert.deepEqual(report.failures, []);
    assert.deepEqual(asked, ['engine.io-client']);
    const e = by.get('x-v3 (npm:engine.io-client)')!;
    assert.deepEqual([e.current, e.allowed, e.updateType], ['3.5.2', '6.6.0', 'major']);
    const c = collectCandidates(await buildInventory(root, cfg))[0]!;
    const to = '3.5.4';
    await applyChange(root, { slug: 's', branch: 'b', title: 't', class: 'patch', lane: 'normal', labels: [], rationale: [], updates: [{ candidate: c, entry: e, to, updateType: 'patch' }] }, { config: cfg, releases: new Map(), relock: async () => {} });
    assert.equal(JSON.parse(readFileSync(path.join(root, 'app/package.json'), 'utf8')).dependencies['x-v3'], 'npm:engine.io-client@3.5.4');
  });

  it('a library\'s peer dependency is widened for a new major and never proposed as an exact pin', async () => {
    const { root, cfg, by, report } = await outdated({ name: 'lib', peerDependencies: { react: '^17.0.0' }, devDependencies: { lodash: '^4.17.21' } });
    const peer = report.entries.find((e) => e.name === 'react')!;
    assert.deepEqual([peer.allowed, peer.updateType], ['18.3.1', 'major']);
    const c = collectCandidates(await buildInventory(root, cfg)).find((x) => x.name === 'react')!;
    await applyChange(root, { slug: 's', branch: 'b', title: 't', class: 'major', lane: 'approval', labels: [], rationale: [], updates: [{ candidate: c, entry: peer, to: '18.3.1', updateType: 'major' }] }, { config: cfg, releases: new Map(), relock: async () => {} });
    assert.equal(JSON.parse(readFileSync(path.join(root, 'app/package.json'), 'utf8')).peerDependencies.react, '^17.0.0 || ^18.3.1');
    assert.equal(by.get('lodash')!.updateType, 'pin', 'a dev dependency range is still pinned by the protocol');

    const admitted = await outdated({ name: 'lib', peerDependencies: { react: '^18.0.0' } });
    const r = admitted.report.entries.find((e) => e.name === 'react')!;
    assert.equal(r.updateType, undefined, 'a peer range that admits the latest needs nothing');
    assert.equal(r.allowed, undefined);
  });
});

describe('overrides and resolutions', () => {
  it('are checked for updates like other dependencies, and edited in place', async () => {
    const { root, cfg, by, report, asked } = await outdated({ name: 'app', dependencies: { ioredis: '4.28.5' }, overrides: { lodash: '4.17.20', 'react@17': '$react', nested: { '.': '1.0.0' } }, resolutions: { '**/engine.io-client': '3.5.2' } });
    assert.deepEqual(report.failures, []);
    assert.deepEqual(asked.sort(), ['engine.io-client', 'ioredis', 'lodash']);
    assert.deepEqual([by.get('lodash (overrides)')!.allowed, by.get('lodash (overrides)')!.updateType], ['4.17.21', 'patch']);
    assert.deepEqual([by.get('engine.io-client (resolutions)')!.allowed, by.get('engine.io-client (resolutions)')!.updateType], ['6.6.0', 'major']);
    const c = collectCandidates(await buildInventory(root, cfg)).find((x) => x.displayName === 'lodash (overrides)')!;
    const e = by.get('lodash (overrides)')!;
    await applyChange(root, { slug: 's', branch: 'b', title: 't', class: 'patch', lane: 'normal', labels: [], rationale: [], updates: [{ candidate: c, entry: e, to: '4.17.21', updateType: 'patch' }] }, { config: cfg, releases: new Map(), relock: async () => {} });
    assert.equal(JSON.parse(readFileSync(path.join(root, 'app/package.json'), 'utf8')).overrides.lodash, '4.17.21');
  });
});

describe('engines', () => {
  it('node and npm ranges are checked for updates as compatibility ranges: widened for a new major, never pinned; other keys and the locked `node` package are not the runtime', async () => {
    const { root, cfg, report, asked, by } = await outdated({ name: 'app', engines: { node: '^20.11.0', npm: '>=10', vscode: '^1.80.0' }, devDependencies: { node: '20.19.5' } });
    assert.deepEqual(report.failures, []);
    assert.deepEqual([...new Set(asked)].sort(), ['node', 'npm']);
    const node = by.get('node (engines)')!;
    assert.equal(node.current, undefined, 'the devDependency `node` is an install, not the runtime the engines range names');
    assert.deepEqual([node.allowed, node.updateType], ['24.11.0', 'major']);
    assert.equal(by.get('npm (engines)')?.updateType, undefined, '>=10 already admits npm 11: nothing to change');
    assert.equal(by.get('vscode (engines)'), undefined);
    const c = collectCandidates(await buildInventory(root, cfg)).find((x) => x.displayName === 'node (engines)')!;
    await applyChange(root, { slug: 's', branch: 'b', title: 't', class: 'major', lane: 'approval', labels: [], rationale: [], updates: [{ candidate: c, entry: node, to: '24.11.0', updateType: 'major' }] }, { config: cfg, releases: new Map(), relock: async () => {} });
    const after = JSON.parse(readFileSync(path.join(root, 'app/package.json'), 'utf8'));
    assert.equal(after.engines.node, '^20.11.0 || ^24.11.0');
    assert.equal(after.devDependencies.node, '20.19.5', 'the installed package is not touched by the engines update');
  });

  it('an engines update needs the approval a major needs: it goes to the approval lane, not the non-major group', async () => {
    const { cfg, candidates, report } = await outdated({ name: 'app', engines: { node: '^20.11.0' } });
    const plan = planUpdates({ config: cfg, now: NOW, candidates, entries: new Map(report.entries.map((e) => [`${e.span.file}:${e.span.start}`, e])), security: [], openChanges: 0 });
    const change = plan.changes.find((ch) => ch.updates.some((u) => u.candidate.displayName === 'node (engines)'))!;
    assert.equal(change.lane, 'approval');
  });
});
