import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { PackageReleases } from '../../src/model/update.ts';
import type { Candidate } from '../../src/updates/candidates.ts';
import type { ReleaseLookup } from '../../src/updates/lookup.ts';
import { runUpdate } from '../../src/updates/run.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/** Issue 11.9: `update --only X` looks up only what change X can contain. */
const NOW = new Date('2026-11-23T06:00:00Z');

function recordingLookup(): { lookup: ReleaseLookup; asked: string[] } {
  const asked: string[] = [];
  const lookup: ReleaseLookup = {
    async releases(c: Candidate): Promise<PackageReleases> {
      asked.push(c.name);
      return { name: c.name, registry: 'memory', datasource: 'pypi', releases: [{ version: '1.0.0', releasedAt: '2020-01-01T00:00:00Z' }, { version: '1.1.0', releasedAt: '2026-01-01T00:00:00Z' }, ...(c.name === 'aaa' ? [{ version: '2.0.0', releasedAt: '2026-01-01T00:00:00Z' }] : [])] };
    },
    async digest() {
      return undefined;
    },
  };
  return { lookup, asked };
}

describe('update --only', () => {
  const repo = writeTree({
    'alpha/requirements.txt': 'aaa==1.0.0\nshared==1.0.0\n',
    'beta/requirements.txt': 'bbb==1.0.0\nshared==1.0.0\n',
    'gamma/requirements.txt': 'ccc==1.0.0\n',
  });
  const cfg = configSchema.parse({ updates: { minimumReleaseAgeDays: 0, rules: [{ packages: ['ccc'], group: 'Gamma Libs' }] } });
  const run = async (only?: string[]) => {
    const inv = await buildInventory(repo, cfg);
    const { lookup, asked } = recordingLookup();
    const r = await runUpdate({ root: repo, inv, config: cfg, lookup, now: NOW, mode: 'dry-run', force: true, ...(only ? { only } : {}), outDir: '.depwarden/updates', security: [], openChanges: 0, relock: async () => ({}) as never, log: () => {} });
    return { r, asked: asked.sort() };
  };

  it('without --only every candidate is looked up; with it only those of the named changes', async () => {
    const all = await run();
    assert.deepEqual(all.asked, ['aaa', 'bbb', 'ccc', 'shared']);
    const slugs = all.r.plan.changes.map((c) => c.slug).sort();
    assert.deepEqual(slugs, ['alpha-non-major', 'beta-non-major', 'group-gamma-libs', 'major-aaa-2.0.0-alpha']);

    const beta = await run(['beta-non-major']);
    assert.deepEqual(beta.asked, ['bbb', 'shared']);
    assert.deepEqual(beta.r.outcomes.map((o) => o.slug), ['beta-non-major']);

    // The whole service of the named change: its grouping and peer links are planned as in the full run.
    const major = await run(['major-aaa-2.0.0-alpha']);
    assert.deepEqual(major.asked, ['aaa', 'shared']);
    assert.deepEqual(major.r.outcomes.map((o) => o.slug), ['major-aaa-2.0.0-alpha']);

    const group = await run(['group-gamma-libs']);
    assert.deepEqual(group.asked, ['ccc']);
    assert.deepEqual(group.r.outcomes.map((o) => o.slug), ['group-gamma-libs']);
  });

  it('a slug the name rules cannot foresee falls back to the full lookup instead of "nothing to update"', async () => {
    const r = await run(['family-nobody-can-guess']);
    assert.deepEqual(r.asked, ['aaa', 'bbb', 'ccc', 'shared']);
    assert.deepEqual(r.r.outcomes, []);
  });
});
