import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { PackageReleases, Release } from '../../src/model/update.ts';
import { collectCandidates, type Candidate } from '../../src/updates/candidates.ts';
import { computeOutdated, type ReleaseLookup } from '../../src/updates/lookup.ts';
import { planUpdates } from '../../src/updates/plan.ts';
import { onSchedule } from '../../src/updates/policy.ts';
import { DIGEST_NEW, DIGEST_OLD, SHA_NEW, SHA_OLD, writeFleet } from './fleet-fixture.ts';

const NOW = new Date('2026-11-23T06:00:00Z'); // a Monday, one hour after the default schedule's tick
const ago = (days: number): string => new Date(NOW.getTime() - days * 86_400_000).toISOString();
const rel = (version: string, days: number, extra: Partial<Release> = {}): Release => ({ version, releasedAt: ago(days), ...extra });

const REGISTRY: Record<string, Omit<PackageReleases, 'name' | 'registry'>> = {
  'PyPI:requests': { datasource: 'pypi', releases: [rel('2.31.0', 900), rel('2.32.3', 300), rel('2.32.4', 1)] },
  'PyPI:pydantic': { datasource: 'pypi', releases: [rel('1.10.13', 800), rel('1.10.19', 100), rel('2.9.2', 50)] },
  'PyPI:pytest': { datasource: 'pypi', releases: [rel('7.4.0', 700), rel('7.4.4', 600, { yanked: true }), rel('7.4.3', 650), rel('8.0.0rc1', 500)] },
  'npm:express': { datasource: 'npm', latestTag: '4.21.1', releases: [rel('4.18.2', 1000), rel('4.21.1', 60), rel('5.0.0-beta.3', 40), rel('5.1.0', 20)] },
  'npm:left-pad': { datasource: 'npm', releases: [rel('1.1.0', 3000, { deprecated: 'use String.prototype.padStart()' }), rel('1.3.0', 2500, { deprecated: 'use String.prototype.padStart()' })] },
  'docker:docker.io/library/python': { datasource: 'oci', releases: ['3.11.4-slim', '3.11.9-slim', '3.12.7-slim', '3.11.9', '3.11-slim'].map((t) => ({ version: t })) },
  'docker:docker.io/library/node': { datasource: 'oci', releases: ['20.10.0-alpine', '20.18.0-alpine', '22.11.0-alpine'].map((t) => ({ version: t })) },
  'github-actions:actions/checkout': { datasource: 'github', releases: [rel('v4.1.0', 400, { digest: SHA_OLD }), rel('v4.2.2', 30, { digest: SHA_NEW }), rel('v4', 30, { digest: SHA_NEW })] },
};

const lookup: ReleaseLookup = {
  async releases(c: Candidate) {
    const r = REGISTRY[`${c.ecosystem}:${c.name}`];
    if (!r) throw new Error(`no such package ${c.name}`);
    return { ...r, name: c.name, registry: 'memory' };
  },
  async digest(c: Candidate, tag: string) {
    return tag === c.current ? DIGEST_OLD : DIGEST_NEW;
  },
};

async function outdatedOf(cfg = configSchema.parse({})) {
  const inv = await buildInventory(writeFleet(), cfg);
  const candidates = collectCandidates(inv);
  return { candidates, report: await computeOutdated(candidates, lookup, cfg.updates, NOW), cfg };
}

describe('outdated', () => {
  it('finds current, allowed and latest per declaration with the policy applied', async () => {
    const { report } = await outdatedOf();
    const by = new Map(report.entries.map((e) => [`${e.service.replace('services/', '')}/${e.name}`, e]));
    assert.deepEqual(report.failures, []);
    // requests 2.32.4 is one day old: the 3-day cooldown keeps 2.32.3.
    const requests = by.get('agent/requests')!;
    assert.equal(requests.allowed, '2.32.3');
    assert.equal(requests.latest, '2.32.4');
    assert.equal(requests.updateType, 'minor');
    assert.match(requests.note ?? '', /2\.32\.4: 1 days old, cooldown 3/);
    assert.equal(requests.libyears, Math.round((899 / 365.25) * 100) / 100);
    // pydantic: a major is allowed (it needs approval later, in the plan).
    assert.equal(by.get('agent/pydantic')!.allowed, '2.9.2');
    assert.equal(by.get('agent/pydantic')!.updateType, 'major');
    // pytest: yanked 7.4.4 and the pre-release are never proposed.
    assert.equal(by.get('agent/pytest')!.allowed, '7.4.3');
    // express: npm's dist-tag latest (4.21.1) bounds "latest"; 5.1.0 is above it.
    assert.equal(by.get('web/express')!.latest, '4.21.1');
    assert.equal(by.get('web/express')!.allowed, '4.21.1');
    // left-pad: the current version is deprecated, and so is every newer one.
    assert.equal(by.get('web/left-pad')!.currentDeprecated, 'use String.prototype.padStart()');
    assert.equal(by.get('web/left-pad')!.allowed, undefined);
    // Images: same suffix, same number of components; the new tag pinned by its digest.
    const python = by.get('agent/python')!;
    assert.equal(python.allowed, '3.12.7-slim');
    assert.equal(python.updateType, 'minor');
    assert.equal(python.digest, DIGEST_NEW);
    assert.equal(by.get('web/node')!.allowed, '22.11.0-alpine');
    // Actions: the `# v4.1.0` comment is the current version; v4 (one component) is not comparable.
    const checkout = by.get('(workflows)/actions/checkout')!;
    assert.equal(checkout.current, 'v4.1.0');
    assert.equal(checkout.allowed, 'v4.2.2');
    assert.equal(checkout.digest, SHA_NEW);
    // What kind of dependency each is (outdated JSON's dependencyType).
    assert.deepEqual(
      ['agent/requests', 'agent/pytest', 'web/express', 'web/left-pad', 'agent/python', '(workflows)/actions/checkout'].map((k) => by.get(k)!.dependencyType),
      ['main', 'dev', 'main', 'dev', 'main', 'dev'],
    );
  });

  it('ignore rules, per-package cooldowns and disabled update types', async () => {
    const cfg = configSchema.parse({
      updates: {
        rules: [
          { packages: ['pydantic'], updateTypes: ['major'], enabled: false, reason: 'v2 migration planned for Q1' },
          { packages: ['Requests'], minimumReleaseAgeDays: 0 },
          { ecosystems: ['docker'], packages: ['node'], ignoreVersions: '>=22' },
        ],
      },
    });
    const { report } = await outdatedOf(cfg);
    const by = new Map(report.entries.map((e) => [e.name, e]));
    assert.equal(by.get('pydantic')!.allowed, '1.10.19');
    assert.match(by.get('pydantic')!.note ?? '', /v2 migration planned/);
    assert.equal(by.get('requests')!.allowed, '2.32.4');
  });

  it('a failed lookup is reported, never read as up to date', async () => {
    const cfg = configSchema.parse({});
    const inv = await buildInventory(writeFleet(), cfg);
    const broken: ReleaseLookup = { ...lookup, releases: async (c) => (c.name === 'express' ? Promise.reject(new Error('HTTP 503 after 5 attempts')) : lookup.releases(c)) };
    const r = await computeOutdated(collectCandidates(inv), broken, cfg.updates, NOW);
    assert.deepEqual(r.failures.map((f) => [f.name, f.message]), [['express', 'HTTP 503 after 5 attempts']]);
    assert.equal(r.entries.some((e) => e.name === 'express'), false);
  });
});

describe('plan', () => {
  it('groups non-major updates per service, majors alone in the approval lane, security fixes in the emergency lane', async () => {
    const { candidates, report, cfg } = await outdatedOf();
    const entries = new Map(candidates.flatMap((c) => { const e = report.entries.find((x) => x.span === (c.dependency?.span ?? c.image?.span ?? c.action?.span)); return e ? [[c.key, e] as const] : []; }));
    const plan = planUpdates({ candidates, entries, security: [{ service: 'services/agent', ecosystem: 'PyPI', name: 'requests', from: '2.31.0', to: '2.32.0', ids: ['CVE-2024-35195', 'GHSA-9wx4-h78v-vm56'], severity: 'medium' }], config: cfg, now: NOW, openChanges: 0 });
    const summary = plan.changes.map((c) => [c.slug, c.class, c.lane, c.updates.map((u) => `${u.candidate.displayName}@${u.to}`).join(',')]);
    // Priority: security, then merge-after-tests, then majors; within a tier the furthest behind (libyears) first.
    assert.deepEqual(summary, [
      ['security-requests-2.32.0', 'security', 'emergency', 'requests@2.32.0'],
      ['services-web-non-major', 'minor', 'normal', 'express@4.21.1'],
      ['workflows-non-major', 'minor', 'normal', 'actions/checkout/v4.2.2'.replace('/v', '@v')],
      ['services-agent-non-major', 'minor', 'normal', 'python@3.12.7-slim,pytest@7.4.3'],
      ['major-pydantic-2.9.2-services-agent', 'major', 'approval', 'pydantic@2.9.2'],
      ['major-node-22.11.0-alpine-services-web', 'major', 'approval', 'node@22.11.0-alpine'],
    ]);
    const sec = plan.changes[0]!;
    assert.deepEqual(sec.labels, ['dependencies', 'security']);
    assert.match(sec.rationale[0]!, /CVE-2024-35195, GHSA-9wx4-h78v-vm56/);
    assert.equal(plan.changes[3]!.branch, 'depwarden/services-agent-non-major');
  });

  it('outside the schedule only security fixes run; the open-change limit defers the rest', async () => {
    const { candidates, report, cfg } = await outdatedOf();
    const entries = new Map(candidates.flatMap((c) => { const e = report.entries.find((x) => x.span === (c.dependency?.span ?? c.image?.span ?? c.action?.span)); return e ? [[c.key, e] as const] : []; }));
    const wed = new Date('2026-11-25T12:00:00Z');
    const fix = { service: 'services/agent', ecosystem: 'PyPI', name: 'urllib3', from: '2.0.7', to: '2.2.2', ids: ['CVE-2024-37891'], severity: 'medium' };
    const off = planUpdates({ candidates, entries, security: [fix], config: cfg, now: wed, openChanges: 0 });
    assert.equal(off.changes.length, 0);
    assert.equal(off.deferred.length, 5);
    assert.match(off.deferred[0]!.reason, /outside the schedule "0 5 \* \* 1" \(next run 2026-11-30T05:00:00.000Z\)/);
    // urllib3 is only transitive: reported as not plannable, with what to do.
    assert.match(off.unplanned[0]!.reason, /not a direct dependency of services\/agent/);
    const limited = planUpdates({ candidates, entries, security: [], config: cfg, now: NOW, openChanges: 8 });
    assert.equal(limited.changes.length, 2);
    assert.match(limited.deferred[0]!.reason, /open-change limit: 8 update changes were open, 10 at most/);
    const forced = planUpdates({ candidates, entries, security: [], config: cfg, now: wed, openChanges: 0, force: true });
    assert.equal(forced.changes.length, 5);
  });

  it('grouping by package puts one package of all services in one change', async () => {
    const cfg = configSchema.parse({ updates: { grouping: 'package' } });
    const { candidates, report } = await outdatedOf(cfg);
    const entries = new Map(candidates.flatMap((c) => { const e = report.entries.find((x) => x.span === (c.dependency?.span ?? c.image?.span ?? c.action?.span)); return e ? [[c.key, e] as const] : []; }));
    const plan = planUpdates({ candidates, entries, security: [], config: cfg, now: NOW, openChanges: 0 });
    assert.ok(plan.changes.some((c) => c.slug === 'express-4.21.1'));
  });

  it('schedule windows follow the cron expression in UTC', () => {
    const s = { schedule: '0 5 * * 1', scheduleWindowHours: 24 };
    assert.equal(onSchedule(s, new Date('2026-11-23T05:00:00Z')).on, true);
    assert.equal(onSchedule(s, new Date('2026-11-24T04:59:00Z')).on, true);
    assert.equal(onSchedule(s, new Date('2026-11-24T05:00:00Z')).on, false);
    assert.equal(onSchedule(s, new Date('2026-11-23T04:59:00Z')).on, false);
  });
});
