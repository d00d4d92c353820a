import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { PackageReleases } from '../../src/model/update.ts';
import type { ReleaseLookup } from '../../src/updates/lookup.ts';
import { runUpdate } from '../../src/updates/run.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/** Issue 20.1: the PR body an update writes goes through the path guard like every other write of ours. */
describe('update: the PR body is written only inside the repository', () => {
  it('a committed .depwarden/updates symlink to a folder outside is refused; nothing is written there', async () => {
    const outside = mkdtempSync(path.join(tmpdir(), 'dw-victim-'));
    const repo = writeTree({ 'api/requirements.txt': 'aaa==1.0.0\n' });
    try {
      const git = (...a: string[]) => execFileSync('git', ['-C', repo, ...a], { encoding: 'utf8' }).trim();
      git('init', '-q', '-b', 'main');
      git('config', 'user.email', 't@t');
      git('config', 'user.name', 't');
      mkdirSync(path.join(repo, '.depwarden'));
      symlinkSync(outside, path.join(repo, '.depwarden', 'updates'));
      git('add', '-A');
      git('commit', '-qm', 'fleet with a hostile link');
      const cfg = configSchema.parse({ updates: { minimumReleaseAgeDays: 0 } });
      const lookup: ReleaseLookup = {
        async releases(c): Promise<PackageReleases> {
          return { name: c.name, registry: 'memory', datasource: 'pypi', releases: [{ version: '1.0.0', releasedAt: '2020-01-01T00:00:00Z' }, { version: '1.0.1', releasedAt: '2026-01-01T00:00:00Z' }] };
        },
        async digest() {
          return undefined;
        },
      };
      const r = await runUpdate({ root: repo, inv: await buildInventory(repo, cfg), config: cfg, lookup, now: new Date('2026-11-23T06:00:00Z'), mode: 'local', force: true, outDir: '.depwarden/updates', security: [], openChanges: 0, relock: async () => ({}) as never, log: () => {} });
      assert.equal(r.outcomes.length, 1);
      assert.equal(r.outcomes[0]!.status, 'failed');
      assert.match(r.outcomes[0]!.error ?? '', /symbolic link/);
      assert.deepEqual(readdirSync(outside), []);
    } finally {
      rmSync(repo, { recursive: true, force: true });
      rmSync(outside, { recursive: true, force: true });
    }
  });
});
