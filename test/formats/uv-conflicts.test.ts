import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parseUvLock } from '../../src/formats/uv-lock.ts';
import { toAdvisory } from '../../src/vulns/osv-record.ts';
import { writeDb } from '../../src/vulns/store.ts';
import { runCli } from '../helpers/run-cli.ts';

const FIX = path.resolve(import.meta.dirname, '..', 'fixtures', 'formats', 'uv', 'pydantic-ai');

/**
 * The real pydantic-ai lock (pydantic/pydantic-ai@4fda389, see fixtures/formats/SOURCE.md) declares
 * `[tool.uv] conflicts` between the `mcp-tasks` extras and the `dev` group, and uv locks fastmcp-slim twice
 * (3.4.2 for the dev group, 4.0.0b1 for the extras), told apart by `extra == 'extra-…'` / `group-…` markers
 * on the edges. Both entries are real installs: both are audited and in the SBOM, neither is an inconsistency.
 */
describe('uv.lock with declared conflicts (two versions of one package, one per conflicting extra/group)', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-uvconf-'));
  const repo = path.join(tmp, 'repo');
  after(() => rmSync(tmp, { recursive: true, force: true }));
  before(() => {
    cpSync(FIX, repo, { recursive: true });
    writeFileSync(path.join(repo, 'depwarden.yaml'), 'version: 1\n');
  });
  const lock = parseUvLock('uv.lock', readFileSync(path.join(FIX, 'uv.lock'), 'utf8')).data!;
  const fastmcp = lock.packages.filter((p) => p.normalizedName === 'fastmcp-slim');

  it('the parser keeps both entries, each reached through its own side of the conflict', () => {
    assert.deepEqual(fastmcp.map((p) => p.version).sort(), ['3.4.2', '4.0.0b1']);
    // Edges naming the conflict's extras resolve to the exact entry they name.
    const targets = new Set(lock.packages.flatMap((p) => p.dependencies).filter((e) => e.normalizedName === 'fastmcp-slim').map((e) => e.target));
    assert.deepEqual([...targets].sort(), ['fastmcp-slim@3.4.2', 'fastmcp-slim@4.0.0b1']);
    assert.ok(fastmcp.find((p) => p.version === '3.4.2')!.groups.includes('dev'));
    assert.ok(fastmcp.find((p) => p.version === '4.0.0b1')!.groups.includes('main'));
  });

  it('check: no lock-consistency, freshness or drift finding for the forked entries', async () => {
    const r = await runCli(['check', repo, '--format', 'json', '--fail-on', 'critical']);
    assert.equal(r.code, 0, r.stderr);
    const findings = (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[] }).findings;
    const lockRules = new Set(['DW000', 'DW003', 'DW004', 'DW101', 'DW102', 'DW103', 'DW110']);
    assert.deepEqual(findings.filter((f) => lockRules.has(f.ruleId)).map((f) => `${f.ruleId} ${f.message}`), []);
  });

  it('check: a conflict set or a constraint the lock was not made with makes the lock stale (DW003)', async () => {
    const py = readFileSync(path.join(FIX, 'pyproject.toml'), 'utf8');
    const variants: [string, string, RegExp][] = [
      // A new conflict set: uv would write it into the lock's `conflicts`.
      ['conflict', py.replace(/^conflicts = \[/m, 'conflicts = [\n    [{ extra = "mcp" }, { group = "lint" }],'), /conflicts \[pydantic-ai:extra mcp \| pydantic-ai:group lint\]: in pyproject.toml but not in the lock/],
      ['constraint', py.replace('"urllib3>=2.7.0",', '"urllib3>=2.8.0",'), /constraint-dependencies urllib3: pyproject.toml says ">=2.8.0"/],
      ['override', py.replace(/^constraint-dependencies = \[/m, 'override-dependencies = ["idna>=3.15"]\nconstraint-dependencies = ['), /override-dependencies idna: pyproject.toml says ">=3.15", which the lock's \[manifest\] does not have/],
    ];
    for (const [what, text, expected] of variants) {
      assert.notEqual(text, py, what);
      const dir = path.join(tmp, `stale-${what}`);
      cpSync(repo, dir, { recursive: true });
      writeFileSync(path.join(dir, 'pyproject.toml'), text);
      const r = await runCli(['check', dir, '--format', 'json', '--fail-on', 'critical']);
      const dw003 = (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string; detail?: string }[] }).findings.filter((f) => f.ruleId === 'DW003');
      assert.equal(dw003.length, 1, what);
      assert.match(`${dw003[0]!.message}\n${dw003[0]!.detail ?? ''}`, expected, what);
    }
  });

  it('sbom: both versions are components', async () => {
    const out = path.join(tmp, 'sbom');
    const r = await runCli(['sbom', repo, '--format', 'cyclonedx-json', '-o', out], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.equal(r.code, 0, r.stderr);
    for (const f of readdirSync(out)) {
      const doc = JSON.parse(readFileSync(path.join(out, f), 'utf8')) as { components: { purl?: string }[] };
      const purls = doc.components.map((c) => c.purl ?? '').filter((p) => p.startsWith('pkg:pypi/fastmcp-slim@')).sort();
      assert.deepEqual(purls, ['pkg:pypi/fastmcp-slim@3.4.2', 'pkg:pypi/fastmcp-slim@4.0.0b1'], f);
    }
  });

  it('audit: an advisory on each version matches each entry', async () => {
    const db = path.join(tmp, 'db');
    writeDb(
      db,
      ['3.4.2', '4.0.0b1'].map((v, i) => toAdvisory({ id: `GHSA-conf-000${i}`, summary: `fastmcp-slim ${v}`, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'fastmcp-slim' }, versions: [v] }] })),
      { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] },
    );
    const r = await runCli(['audit', repo, '--db', db, '--format', 'json', '--fail-on', 'critical'], { env: { SOURCE_DATE_EPOCH: String(Date.parse('2024-01-02') / 1000) } });
    assert.equal(r.code, 0, r.stderr + r.stdout.slice(0, 2000));
    const got = (JSON.parse(r.stdout) as { findings: { ruleId: string; subject?: string }[] }).findings.filter((f) => f.ruleId === 'DW201').map((f) => f.subject).sort();
    assert.deepEqual(got, ['fastmcp-slim@3.4.2', 'fastmcp-slim@4.0.0b1']);
  });
});
