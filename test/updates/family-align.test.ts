import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { PackageReleases, Release } from '../../src/model/update.ts';
import { collectCandidates } from '../../src/updates/candidates.ts';
import { computeOutdated, type ReleaseLookup } from '../../src/updates/lookup.ts';
import { planUpdates } from '../../src/updates/plan.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { parsePackument } from '../../src/datasources/npm.ts';

/**
 * Found by bench/update-success.ts on the corpus's OpenHands frontend (issue 12, item 6): react-router and
 * @react-router/* are released in lockstep with exact peer ranges (`react-router@8.5.1`), but not every package
 * is published at every version (latest: react-router 8.5.3, @react-router/node 8.5.1, @react-router/serve
 * 8.4.0). Moving each to its own latest cannot relock, so the whole family was held back. The family must move
 * to the newest version all of its members were released at, where their exact peers agree.
 */
const NOW = new Date('2026-11-23T06:00:00Z');
const ago = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const rel = (version: string, days: number, extra: Partial<Release> = {}): Release => ({ version, releasedAt: ago(days), ...extra });
type Reg = Record<string, Omit<PackageReleases, 'name' | 'registry'>>;
const SRC = 'https://github.com/remix-run/react-router';
const peers = (v: string, names: string[]): Partial<Release> => ({ peerDependencies: Object.fromEntries(names.map((n) => [n, v])) });

const REG: Reg = {
  'npm:react-router': { datasource: 'npm', sourceUrl: SRC, releases: [rel('7.9.3', 300), rel('8.4.0', 60), rel('8.5.1', 30), rel('8.5.3', 10)] },
  'npm:@react-router/node': { datasource: 'npm', sourceUrl: SRC, releases: [rel('7.9.3', 300, peers('7.9.3', ['react-router'])), rel('8.4.0', 60, peers('8.4.0', ['react-router'])), rel('8.5.1', 30, peers('8.5.1', ['react-router']))] },
  'npm:@react-router/serve': { datasource: 'npm', sourceUrl: SRC, releases: [rel('7.9.3', 300, peers('7.9.3', ['react-router', '@react-router/node'])), rel('8.4.0', 60, peers('8.4.0', ['react-router', '@react-router/node']))] },
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

async function planOf(reg: Reg) {
  const cfg = configSchema.parse({ updates: { minimumReleaseAgeDays: 0 } });
  const pkg = { name: 'web', version: '1.0.0', dependencies: { '@react-router/node': '^7.9.3', '@react-router/serve': '^7.9.3', 'react-router': '^7.9.3' } };
  const locked = (name: string) => [`node_modules/${name}`, { version: '7.9.3' }];
  const lock = { name: 'web', lockfileVersion: 3, packages: { '': { dependencies: pkg.dependencies }, ...Object.fromEntries(Object.keys(pkg.dependencies).map(locked)) } };
  const inv = await buildInventory(writeTree({ 'web/package.json': `${JSON.stringify(pkg, null, 2)}\n`, 'web/package-lock.json': `${JSON.stringify(lock, null, 2)}\n` }), cfg);
  const candidates = collectCandidates(inv);
  const report = await computeOutdated(candidates, lookupOf(reg), cfg.updates, NOW);
  const entries = new Map(report.entries.map((e) => [`${e.span.file}:${e.span.start ?? e.span.line}`, e]));
  return planUpdates({ candidates, entries, security: [], config: cfg, now: NOW, openChanges: 0, releases: report.releases });
}

describe('lockstep families with exact peers', () => {
  it('move together to the newest version every member was released at, instead of being held back', async () => {
    const plan = await planOf(REG);
    assert.deepEqual(plan.deferred.map((d) => d.reason), []);
    const rr = plan.changes.filter((c) => c.updates.some((u) => u.candidate.name.includes('react-router')));
    assert.deepEqual(rr.map((c) => c.updates.map((u) => `${u.candidate.name}@${u.to}`).sort()), [['@react-router/node@8.4.0', '@react-router/serve@8.4.0', 'react-router@8.4.0']]);
    assert.match(rr[0]!.rationale.join('\n'), /8\.4\.0 is the newest version .*released at/);
  });

  it('with no common version that satisfies the peers, the family is still held back with the reason', async () => {
    const reg: Reg = { ...REG, 'npm:@react-router/serve': { datasource: 'npm', sourceUrl: SRC, releases: [rel('7.9.3', 300, peers('7.9.3', ['react-router'])), rel('8.4.1', 60, peers('8.4.1', ['react-router']))] } };
    const plan = await planOf(reg);
    assert.equal(plan.changes.some((c) => c.updates.some((u) => u.candidate.name.includes('react-router'))), false);
    assert.match(plan.deferred.map((d) => d.reason).join('\n'), /peer requirement not met/);
  });

  it('the source repository comes from the latest version when the packument has no top-level repository', () => {
    // The registry reachable from the benchmark machine serves packuments with only _id, name, dist-tags,
    // versions and time: without this, no npm family was ever found by its source repository there.
    const doc = {
      name: '@react-router/node',
      'dist-tags': { latest: '8.5.1' },
      versions: {
        '7.9.3': { repository: { type: 'git', url: 'git+https://github.com/old/place.git' } },
        '8.5.1': { repository: { type: 'git', url: 'https://github.com/remix-run/react-router', directory: 'packages/react-router-node' } },
      },
      time: {},
    };
    assert.equal(parsePackument(doc, 'https://registry.npmjs.org/').sourceUrl, 'https://github.com/remix-run/react-router');
  });
});
