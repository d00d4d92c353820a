import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { collectCandidates, type Candidate } from '../../src/updates/candidates.ts';
import { computeOutdated, type ReleaseLookup } from '../../src/updates/lookup.ts';
import { planUpdates } from '../../src/updates/plan.ts';

const FIX = path.resolve(import.meta.dirname, '..', 'fixtures', 'formats');
const NOW = new Date('2026-11-23T06:00:00Z');

/** uv and Pipenv are not installable here: their updates are planned as manifest edits whose relock runs in CI. */
describe('updates of uv and Pipenv projects', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-ci-relock-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('candidates carry the locked version; the plan says the relock must run in CI', async () => {
    cpSync(path.join(FIX, 'uv/langgraph-sdk-rev1'), path.join(tmp, 'uv'), { recursive: true });
    cpSync(path.join(FIX, 'pipenv/pipenv-examples'), path.join(tmp, 'pipenv'), { recursive: true });
    const cfg = configSchema.parse({ updates: { minimumReleaseAgeDays: 0 } });
    const inv = await buildInventory(tmp, cfg);
    const candidates = collectCandidates(inv);
    const httpx = candidates.find((c) => c.name === 'httpx')!;
    assert.equal(httpx.current, inv.services.find((s) => s.root === 'uv')!.locked.find((p) => p.name === 'httpx')!.version);
    assert.equal(httpx.unit?.lock, 'uv/uv.lock');
    const requests = candidates.find((c) => c.name === 'requests' && c.file === 'pipenv/Pipfile')!;
    assert.equal(requests.unit?.lock, 'pipenv/Pipfile.lock');
    const lookup: ReleaseLookup = {
      async releases(c: Candidate) {
        return { name: c.name, registry: 'memory', datasource: 'pypi', releases: [{ version: c.current ?? '0', releasedAt: '2026-01-01T00:00:00Z' }, { version: '99999.0.0', releasedAt: '2026-06-01T00:00:00Z' }] };
      },
      async digest() {
        return undefined;
      },
    };
    const only = candidates.filter((c) => c === httpx || c === requests);
    const report = await computeOutdated(only, lookup, cfg.updates, NOW);
    const entries = new Map(only.flatMap((c) => { const e = report.entries.find((x) => x.span === c.dependency?.span); return e ? [[c.key, e] as const] : []; }));
    assert.equal(entries.size, 2);
    const plan = planUpdates({ candidates: only, entries, security: [], config: cfg, now: NOW, openChanges: 0 });
    const why = plan.changes.flatMap((c) => c.rationale);
    assert.ok(why.some((r) => /uv\/uv\.lock: the relock must run in CI \(`uv lock`\); depwarden makes the manifest edit only/.test(r)), why.join('\n'));
    assert.ok(why.some((r) => /pipenv\/Pipfile\.lock: the relock must run in CI \(`pipenv lock`\)/.test(r)), why.join('\n'));
  });
});
