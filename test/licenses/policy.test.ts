import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { normalizeLicense } from '../../src/licenses/normalize.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

describe('licences', () => {
  it('normalises the spellings locks and registries use to SPDX, and never guesses', () => {
    assert.equal(normalizeLicense('MIT'), 'MIT');
    assert.equal(normalizeLicense('(MIT OR Apache-2.0)'), '(MIT OR Apache-2.0)');
    assert.equal(normalizeLicense('MIT or Apache-2.0'), 'MIT OR Apache-2.0');
    assert.equal(normalizeLicense('License :: OSI Approved :: MIT License'), 'MIT');
    assert.equal(normalizeLicense('Apache Software License'), 'Apache-2.0');
    assert.equal(normalizeLicense('BSD 3-Clause'), 'BSD-3-Clause');
    assert.equal(normalizeLicense('GPLv3+'), 'GPL-3.0-or-later');
    assert.equal(normalizeLicense('BSD'), undefined);
    assert.equal(normalizeLicense('SEE LICENSE IN LICENSE.md'), undefined);
    assert.equal(normalizeLicense(undefined), undefined);
  });

  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-lic-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const lock = (pkgs: [string, string, string | undefined][]) =>
    `${JSON.stringify({ name: 'web', version: '1.0.0', lockfileVersion: 3, packages: { '': { name: 'web', version: '1.0.0', dependencies: Object.fromEntries(pkgs.map(([n, v]) => [n, v])) }, ...Object.fromEntries(pkgs.map(([n, v, l]) => [`node_modules/${n}`, { version: v, resolved: `https://registry.npmjs.org/${n}/-/${n}-${v}.tgz`, integrity: 'sha512-AAAA', ...(l ? { license: l } : {}) }])) } }, null, 2)}\n`;
  const repo = (policy: string) =>
    writeTree(
      {
        'web/package.json': `${JSON.stringify({ name: 'web', version: '1.0.0', dependencies: { 'ok-pkg': '1.0.0', 'gpl-pkg': '1.0.0', 'dual-pkg': '1.0.0', 'odd-pkg': '1.0.0', 'agpl-pkg': '1.0.0' } })}\n`,
        'web/package-lock.json': lock([['ok-pkg', '1.0.0', 'MIT'], ['gpl-pkg', '1.0.0', 'GPL-3.0-only'], ['dual-pkg', '1.0.0', '(GPL-3.0-only OR MIT)'], ['odd-pkg', '1.0.0', 'SEE LICENSE IN LICENSE'], ['agpl-pkg', '1.0.0', 'AGPL-3.0-only']]),
        'depwarden.yaml': policy,
      },
      mkdtempSync(path.join(tmp, 'r-')),
    );
  const licenseFindings = async (dir: string) => {
    const r = await runCli(['check', dir, '--format', 'json', '--fail-on', 'critical'], { env: { SOURCE_DATE_EPOCH: String(Date.parse('2026-06-01') / 1000) } });
    return (JSON.parse(r.stdout) as { findings: { ruleId: string; subject: string }[] }).findings.filter((f) => f.ruleId.startsWith('DW8')).map((f) => `${f.ruleId} ${f.subject}`).sort();
  };

  it('check applies allow / deny / review, OR takes the best alternative, unknown on request, exceptions until they expire', async () => {
    const policy = 'version: 1\nlicenses:\n  allow: [MIT, Apache-2.0]\n  deny: [GPL-3.0-only]\n  unknown: review\n';
    assert.deepEqual(await licenseFindings(repo(policy)), ['DW801 gpl-pkg@1.0.0', 'DW802 agpl-pkg@1.0.0', 'DW803 odd-pkg@1.0.0']);
    const excepted = `${policy}  exceptions:\n    - package: agpl-pkg\n      reason: internal tool, not distributed\n      expires: 2026-12-31\n    - package: gpl-pkg\n      reason: was accepted last year\n      expires: 2026-01-31\n`;
    assert.deepEqual(await licenseFindings(repo(excepted)), ['DW801 gpl-pkg@1.0.0', 'DW803 odd-pkg@1.0.0']);
    const perService = 'version: 1\nlicenses:\n  allow: [MIT, Apache-2.0, AGPL-3.0-only]\n  deny: [GPL-3.0-only]\n  services:\n    web:\n      deny: [AGPL-3.0-only]\n';
    assert.deepEqual(await licenseFindings(repo(perService)), ['DW801 agpl-pkg@1.0.0', 'DW801 gpl-pkg@1.0.0']);
  });

  it('without a policy nothing is checked', async () => {
    assert.deepEqual(await licenseFindings(repo('version: 1\n')), []);
  });

  it('SBOM components carry the normalised licence', async () => {
    const dir = writeTree({ 'web/package.json': '{"name":"web","version":"1.0.0","dependencies":{"a":"1.0.0"}}\n', 'web/package-lock.json': lock([['a', '1.0.0', 'Apache License 2.0']]) }, mkdtempSync(path.join(tmp, 's-')));
    const r = await runCli(['sbom', dir, '-f', 'cyclonedx-json'], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    const bom = JSON.parse(r.stdout) as { components: { name: string; licenses?: { license?: { id?: string } }[] }[] };
    assert.equal(bom.components.find((c) => c.name === 'a')!.licenses![0]!.license!.id, 'Apache-2.0');
  });
});
