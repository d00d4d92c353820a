import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { recordOfCommit } from '../../src/changes/record-show.ts';
import { buildSecurityRecord, renderSecurityRecord } from '../../src/changes/security-record.ts';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { Advisory } from '../../src/vulns/osv-record.ts';

const ADVISORY: Advisory = {
  id: 'GHSA-9wx4-h78v-vm56',
  aliases: ['CVE-2024-35195'],
  modified: '2024-06-10T00:00:00Z',
  summary: 'Requests Session object does not verify requests after making first request with verify=False',
  severity: [{ type: 'CVSS_V3', score: 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N' }],
  affected: [{ ecosystem: 'PyPI', name: 'requests', ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.32.0' }] }], versions: [] }],
  references: ['https://github.com/psf/requests/security/advisories/GHSA-9wx4-h78v-vm56'],
};
const DB = { lookup: (eco: string, name: string) => (eco === 'PyPI' && name === 'requests' ? [ADVISORY] : []) };

async function fleetWith(version: string) {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-secrec-'));
  mkdirSync(path.join(dir, 'agent'));
  writeFileSync(path.join(dir, 'agent/pyproject.toml'), `[tool.poetry]\nname = "agent"\nversion = "1"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "${version}"\n`);
  writeFileSync(path.join(dir, 'agent/poetry.lock'), `[[package]]\nname = "requests"\nversion = "${version}"\ndescription = ""\noptional = false\npython-versions = ">=3.8"\nfiles = [{file = "requests-${version}.tar.gz", hash = "sha256:${'a'.repeat(64)}"}]\n\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "x"\n`);
  return { dir, inv: await buildInventory(dir, configSchema.parse({})) };
}
const change = (service: string) =>
  ({
    slug: 'security-requests-2-32-3',
    title: 'fix GHSA-9wx4-h78v-vm56: update requests to 2.32.3',
    lane: 'emergency',
    class: 'security',
    updates: [{ candidate: { file: 'agent/pyproject.toml', unit: { ecosystem: 'PyPI', manifest: 'agent/pyproject.toml', lock: 'agent/poetry.lock' } }, security: { service, ecosystem: 'PyPI', name: 'requests', from: '2.31.0', to: '2.32.3', ids: ['GHSA-9wx4-h78v-vm56', 'CVE-2024-35195'], severity: 'medium' } }],
  }) as unknown as Parameters<typeof buildSecurityRecord>[0];

test('security record: advisory ids/aliases, CVSS, ranges, mitigation, and a re-audit of the updated lock that finds the advisory gone', async () => {
  const { inv } = await fleetWith('2.32.3');
  const service = inv.services[0]!.name;
  const r = buildSecurityRecord(change(service), inv, DB, '2026-12-06', new Date('2026-12-06T00:00:00Z'), { before: 2, after: 0 })!;
  assert.deepEqual(r.advisories, [{ id: 'GHSA-9wx4-h78v-vm56', aliases: ['CVE-2024-35195'], summary: ADVISORY.summary, severity: 'medium', cvss: { score: 5.6, vector: 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:H/I:H/A:N' }, package: 'PyPI:requests', affected: ['<2.32.0'], fixed: ['2.32.0'], references: ADVISORY.references }]);
  assert.deepEqual(r.mitigation, [{ kind: 'version bump', package: 'requests', ecosystem: 'PyPI', from: '2.31.0', to: '2.32.3', file: 'agent/pyproject.toml', service }]);
  assert.deepEqual(r.verification.reaudit, [{ service, file: 'agent/poetry.lock', package: 'requests', version: '2.32.3', remaining: [] }]);
  assert.equal(r.verification.advisoriesGone, true);
  const text = renderSecurityRecord(r);
  assert.match(text, /\| GHSA-9wx4-h78v-vm56 \| CVE-2024-35195 \| medium \| 5\.6 /);
  assert.match(text, /re-audit finds none of the advisories in any affected lock/);
});

test('security record: a lock the update did not fix is said plainly (re-audit still finds the advisory)', async () => {
  const { inv } = await fleetWith('2.31.0');
  const r = buildSecurityRecord(change(inv.services[0]!.name), inv, DB, '2026-12-06', new Date('2026-12-06T00:00:00Z'))!;
  assert.equal(r.verification.advisoriesGone, false);
  assert.deepEqual(r.verification.reaudit[0]!.remaining, ['CVE-2024-35195']);
  assert.match(renderSecurityRecord(r), /\*\*re-audit still finds advisories\*\*[\s\S]*still affected by CVE-2024-35195/);
});

test('changes show finds the record the change\'s own commit introduced', async () => {
  const { dir, inv } = await fleetWith('2.32.3');
  const r = buildSecurityRecord(change(inv.services[0]!.name), inv, DB, '2026-12-06', new Date('2026-12-06T00:00:00Z'))!;
  const git = (...a: string[]) => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', ...a], { encoding: 'utf8' }).trim();
  git('init', '-q');
  git('add', '-A');
  git('commit', '-qm', 'base');
  const base = git('rev-parse', 'HEAD');
  mkdirSync(path.join(dir, '.depwarden/security-records'), { recursive: true });
  writeFileSync(path.join(dir, '.depwarden/security-records/security-requests-2-32-3.json'), JSON.stringify(r));
  git('add', '-A');
  git('commit', '-qm', 'fix');
  assert.deepEqual(recordOfCommit(dir, git('rev-parse', 'HEAD')), r);
  assert.equal(recordOfCommit(dir, base), undefined);
  assert.equal(recordOfCommit(dir, 'not-a-commit; rm -rf'), undefined);
});
