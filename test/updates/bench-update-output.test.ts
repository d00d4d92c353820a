import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseUpdateOutput } from '../../bench/lib/update-output.ts';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { renderPlan } from '../../src/report/plan.ts';
import { collectCandidates } from '../../src/updates/candidates.ts';
import type { PlannedChange } from '../../src/updates/plan.ts';
import type { RunResult } from '../../src/updates/run.ts';
import { writeTree } from '../helpers/temp-tree.ts';

// bench/update-success.ts counts committed / failed changes and their updates from `update`'s text output;
// this ties its parser to the real renderer, so a format change breaks here and not silently in the table.
describe('bench: update output parser', () => {
  it('reads changes, their updates, outcomes, errors and deferred rows from renderPlan', async () => {
    const root = writeTree({
      'web/package.json': '{"name":"w","engines":{"node":">=20 <22"},"dependencies":{"a":"1.0.0","b":"^2.0.0"}}\n',
      'web/package-lock.json': '{"name":"w","lockfileVersion":3,"packages":{"":{"dependencies":{"a":"1.0.0","b":"^2.0.0"}},"node_modules/a":{"version":"1.0.0"},"node_modules/b":{"version":"2.0.0"}}}\n',
    });
    const cfg = configSchema.parse({});
    const cands = collectCandidates(await buildInventory(root, cfg));
    const change = (name: string, to: string, slug: string, updateType: 'minor' | 'major'): PlannedChange => {
      const c = cands.find((x) => x.displayName === name)!;
      const entry = { service: c.service, file: c.file, target: c.target, ecosystem: c.ecosystem, name, declared: c.declared, ...(c.current ? { current: c.current } : {}), allowed: to, updateType, span: c.dependency!.span };
      return { slug, branch: `depwarden/${slug}`, title: `update ${name}`, class: updateType, lane: updateType === 'major' ? 'approval' : 'normal', updates: [{ candidate: c, entry, to, updateType }], labels: [], rationale: [] };
    };
    const ok = change('a', '1.2.0', 'web-non-major', 'minor');
    const bad = change('b', '3.0.0', 'major-b-3.0.0-web', 'major');
    const held = change('a', '2.0.0', 'major-a-2.0.0-web', 'major');
    const engines = change('node (engines)', '26.10.0', 'major-node-26.10.0-web', 'major');
    const r: RunResult = {
      outdated: { entries: [], failures: [], unreachable: [], releases: new Map() },
      plan: { changes: [ok, bad, engines], deferred: [{ change: held, reason: 'per-run limit: 2 new changes per run (updates.maxChangesPerRun)' }], unplanned: [], schedule: { on: true, last: '2026-11-30T05:00:00.000Z', next: '2026-12-07T05:00:00.000Z' } },
      outcomes: [
        { slug: ok.slug, branch: ok.branch, status: 'committed', commit: 'a'.repeat(40) },
        { slug: bad.slug, branch: bad.branch, status: 'failed', error: 'relock failed: c 1.0.0 requires b@^2 (peer); full output in .depwarden/updates/x.relock.log' },
        { slug: engines.slug, branch: engines.branch, status: 'committed', commit: 'b'.repeat(40) },
      ],
    };
    const out = parseUpdateOutput(renderPlan(r, cfg, 'applied'));
    assert.deepEqual(
      out.changes.map((c) => [c.slug, c.class, c.lane, c.status, c.updates.map((u) => `${u.name} ${u.from}->${u.to} ${u.type}`), c.error ?? null]),
      [
        ['web-non-major', 'minor', 'normal', 'committed', ['a 1.0.0->1.2.0 minor'], null],
        ['major-b-3.0.0-web', 'major', 'approval', 'failed', ['b 2.0.0->3.0.0 major'], 'relock failed: c 1.0.0 requires b@^2 (peer); full output in .depwarden/updates/x.relock.log'],
        // An engines range: a name and a "from" with spaces in them.
        ['major-node-26.10.0-web', 'major', 'approval', 'committed', ['node (engines) >=20 <22->26.10.0 major'], null],
      ],
    );
    assert.deepEqual(out.deferred, [{ changes: 1, updates: 1, reason: 'per-run limit: 2 new changes per run (updates.maxChangesPerRun)', slugs: ['major-a-2.0.0-web'] }]);
    assert.match(out.summary ?? '', /3 change\(s\) planned, 1 deferred, 2 committed, 0 unchanged, 1 failed/);
  });
});
