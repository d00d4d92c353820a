import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { Release } from '../../src/model/update.ts';
import { renderPlan } from '../../src/report/plan.ts';
import { collectCandidates } from '../../src/updates/candidates.ts';
import { computeOutdated, type ReleaseLookup } from '../../src/updates/lookup.ts';
import { planUpdates, type SecurityFix } from '../../src/updates/plan.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * Priority under limits (issue 12): ten majors must not take the open-change budget from the service's
 * non-major group (45 updates that may merge once tests pass); the dry run is a compact table by lane.
 */
const NOW = new Date('2026-11-23T06:00:00Z');
const ago = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const rel = (version: string, days: number): Release => ({ version, releasedAt: ago(days) });

const deps: Record<string, string> = {};
for (let i = 0; i < 10; i++) deps[`major-${String(i).padStart(2, '0')}`] = '1.0.0';
for (let i = 0; i < 45; i++) deps[`minor-${String(i).padStart(2, '0')}`] = '1.0.0';
deps['vulnerable'] = '1.0.0';

const lookup: ReleaseLookup = {
  async releases(c) {
    // major-00 is furthest behind: its 2.0.0 came 900 days after the 1.0.0 in use, major-09's only 810.
    const n = Number(c.name.split('-')[1] ?? 0);
    const releases = c.name.startsWith('major-') ? [rel('1.0.0', 1000), rel('2.0.0', 100 + n * 10)] : c.name === 'vulnerable' ? [rel('1.0.0', 1000), rel('1.0.1', 1)] : [rel('1.0.0', 1000), rel('1.1.0', 50)];
    return { datasource: 'npm', name: c.name, registry: 'memory', releases };
  },
  async digest() {
    return undefined;
  },
};

async function run(updates: Record<string, unknown>, security: SecurityFix[] = [], openChanges = 0) {
  const cfg = configSchema.parse({ updates });
  const inv = await buildInventory(writeTree({ 'app/package.json': JSON.stringify({ name: 'app', dependencies: deps }, null, 2) }), cfg);
  const candidates = collectCandidates(inv);
  const outdated = await computeOutdated(candidates, lookup, cfg.updates, NOW);
  const entries = new Map(outdated.entries.map((e) => [`${e.span.file}:${e.span.start ?? e.span.line}`, e]));
  const plan = planUpdates({ candidates, entries, security, config: cfg, now: NOW, openChanges, releases: outdated.releases });
  return { cfg, outdated, plan };
}

const FIX: SecurityFix = { service: 'app', ecosystem: 'npm', name: 'vulnerable', from: '1.0.0', to: '1.0.1', ids: ['GHSA-xxxx-yyyy-zzzz'], severity: 'high' };

describe('priority under limits', () => {
  it('security first (exempt), then the merge-after-tests group, then majors oldest first; the open-change limit cuts majors, not the group', async () => {
    const { plan } = await run({ maxOpenChanges: 10 }, [FIX]);
    const kept = plan.changes.map((c) => c.slug);
    assert.equal(kept[0], 'security-vulnerable-1.0.1');
    assert.equal(kept[1], 'app-non-major');
    assert.equal(plan.changes[1]!.updates.length, 45);
    // Nine majors fit after the group, further behind first (major-00 is the oldest gap).
    assert.deepEqual(kept.slice(2), ['00', '01', '02', '03', '04', '05', '06', '07', '08'].map((n) => `major-major-${n}-2.0.0-app`));
    assert.deepEqual(plan.deferred.map((d) => [d.change.slug, d.reason]), [['major-major-09-2.0.0-app', 'open-change limit: 0 update changes were open, 10 at most (updates.maxOpenChanges)']]);
  });

  it('the per-run limit applies in the same order', async () => {
    const { plan } = await run({ maxOpenChanges: 50, maxChangesPerRun: 3 }, [FIX]);
    assert.deepEqual(plan.changes.map((c) => c.slug), ['security-vulnerable-1.0.1', 'app-non-major', 'major-major-00-2.0.0-app', 'major-major-01-2.0.0-app']);
    assert.equal(plan.deferred.length, 8);
    assert.ok(plan.deferred.every((d) => d.reason === 'per-run limit: 3 new changes per run (updates.maxChangesPerRun)'));
  });

  it('the dry run prints a compact table by lane, each deferral reason once', async () => {
    const { cfg, outdated, plan } = await run({ maxOpenChanges: 4 }, [FIX], 1);
    const out = renderPlan({ outdated, plan, outcomes: plan.changes.map((c) => ({ slug: c.slug, branch: c.branch, status: 'planned' as const })) }, cfg, 'dry-run');
    const lines = out.split('\n');
    assert.ok(lines.length < 20, out);
    assert.match(out, /^lane +change +updates$/m);
    assert.match(out, /^security \(1\) +security-vulnerable-1\.0\.1 +vulnerable 1\.0\.0 -> 1\.0\.1 \(GHSA-xxxx-yyyy-zzzz\)$/m);
    assert.match(out, /^merge-after-tests \(1\) +app-non-major +minor-00 1\.0\.0 -> 1\.1\.0, minor-01 1\.0\.0 -> 1\.1\.0, minor-02 1\.0\.0 -> 1\.1\.0, \+42 more$/m);
    assert.match(out, /^needs-approval \(2\) +major-major-00-2\.0\.0-app +major-00 1\.0\.0 -> 2\.0\.0 \(major\)$/m);
    assert.match(out, /^ +major-major-01-2\.0\.0-app +major-01 1\.0\.0 -> 2\.0\.0 \(major\)$/m);
    assert.match(out, /^deferred \(8\)$/m);
    assert.equal(out.split('open-change limit').length - 1, 1, 'the reason is printed once');
    assert.match(out, /^ +8 changes, 8 updates +open-change limit: 1 update changes were open, 4 at most \(updates\.maxOpenChanges\)\n +major-major-02-2\.0\.0-app, major-major-03-2\.0\.0-app, .*major-major-09-2\.0\.0-app$/m);
    assert.match(out, /^needs, needs-approval: /m);
    assert.match(out, /update: 4 change\(s\) planned, 8 deferred \(dry run: nothing changed\)\.$/m);
  });
});
