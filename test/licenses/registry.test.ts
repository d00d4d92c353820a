import assert from 'node:assert/strict';
import { cpSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { declaredLicenseOfPackument } from '../../src/datasources/npm.ts';
import { declaredLicenseOfPypiJson } from '../../src/datasources/pypi.ts';
import { licenseFromDeclared } from '../../src/licenses/registry.ts';
import { type StandIn, startStandIn } from '../helpers/registry-stand-in.ts';
import { runCli } from '../helpers/run-cli.ts';

const FIX = new URL('../fixtures/formats/', import.meta.url).pathname;

describe('registry licences: reading what registries declare', () => {
  it('PyPI JSON API: PEP 639 expression first, then License, then one licence classifier; several classifiers are not guessed', () => {
    const d = (info: object) => licenseFromDeclared(declaredLicenseOfPypiJson({ info } as never));
    assert.equal(d({ license_expression: 'Apache-2.0 OR BSD-2-Clause', license: 'whatever', classifiers: ['License :: OSI Approved :: MIT License'] }), 'Apache-2.0 OR BSD-2-Clause');
    assert.equal(d({ license_expression: null, license: 'MIT', classifiers: [] }), 'MIT');
    assert.equal(d({ license: 'MPL-2.0', classifiers: ['License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)'] }), 'MPL-2.0');
    // A whole licence text in `License` is no name: the classifier says it.
    assert.equal(d({ license: 'Copyright (c) 2013\n\nPermission is hereby granted, free of charge...', classifiers: ['Programming Language :: Python', 'License :: OSI Approved :: MIT License'] }), 'MIT');
    assert.equal(d({ license: '', classifiers: ['License :: OSI Approved :: Apache Software License', 'License :: OSI Approved :: BSD License'] }), 'Apache Software License; BSD License');
    // "BSD License" names no single licence: kept as text for a review, never read as BSD-3-Clause.
    assert.equal(d({ classifiers: ['License :: OSI Approved :: BSD License'] }), 'BSD License');
    assert.equal(d({ license: 'UNKNOWN', classifiers: [] }), undefined);
    assert.equal(d({}), undefined);
  });

  it('npm packuments: `license` per version, the legacy object and `licenses` list (alternatives), absent version', () => {
    const doc = {
      versions: {
        '1.0.0': { license: 'MIT' },
        '1.1.0': { license: { type: 'BSD-3-Clause', url: 'https://x' } },
        '1.2.0': { licenses: [{ type: 'MIT' }, { type: 'Apache-2.0' }] },
        '1.3.0': {},
        '1.4.0': { license: 'SEE LICENSE IN LICENSE.txt' },
      },
    };
    const l = (v: string) => {
      const d = declaredLicenseOfPackument(doc, v);
      return d && licenseFromDeclared(d);
    };
    assert.equal(l('1.0.0'), 'MIT');
    assert.equal(l('1.1.0'), 'BSD-3-Clause');
    assert.equal(l('1.2.0'), 'Apache-2.0 OR MIT');
    assert.equal(l('1.3.0'), undefined);
    assert.deepEqual(declaredLicenseOfPackument(doc, '1.3.0'), {});
    assert.equal(l('1.4.0'), 'SEE LICENSE IN LICENSE.txt');
    assert.equal(declaredLicenseOfPackument(doc, '9.9.9'), undefined);
  });
});

describe('registry licences: sbom and check', () => {
  // Generated PyPI JSON API / npm packument answers for the releases the fixture locks (licences as those
  // projects declare them; packaging 25.0 is one of the first with a PEP 639 License-Expression).
  const PYPI: Record<string, object> = {
    'anyio/4.9.0': { license_expression: null, license: 'MIT', classifiers: ['License :: OSI Approved :: MIT License'] },
    'certifi/2025.4.26': { license: 'MPL-2.0', classifiers: ['License :: OSI Approved :: Mozilla Public License 2.0 (MPL 2.0)'] },
    'packaging/25.0': { license_expression: 'Apache-2.0 OR BSD-2-Clause', classifiers: [] },
    'idna/3.10': { classifiers: ['License :: OSI Approved :: BSD License'] },
    'orjson/3.10.18': { license_expression: 'Apache-2.0 OR MIT' },
    'docopt/0.6.2': { license: 'MIT', classifiers: [] },
    'codespell/2.4.1': { license: 'GPL v2', classifiers: ['License :: OSI Approved :: GNU General Public License v2 (GPLv2)'] },
  };
  let reg: StandIn;
  let tmp: string;
  let repo: string;
  let home: string;
  before(async () => {
    reg = await startStandIn((req) => {
      const m = /^\/pypi\/([^/]+)\/([^/]+)\/json$/.exec(req.url);
      if (m) {
        const info = PYPI[`${m[1]}/${m[2]}`];
        return info ? { body: { info: { name: m[1], version: m[2], ...info } } } : { status: 404, body: { message: 'Not Found' } };
      }
      if (req.url === '/npm/left-pad') return { body: { name: 'left-pad', versions: { '1.3.0': { license: 'WTFPL' } } } };
      if (req.url === '/npm/is-number') return { body: { name: 'is-number', versions: { '7.0.0': { license: 'MIT' } } } };
      return { status: 404, body: {} };
    });
    tmp = mkdtempSync(path.join(tmpdir(), 'dw-reglic-'));
    repo = path.join(tmp, 'repo');
    cpSync(path.join(FIX, 'uv/langgraph-sdk-rev1'), path.join(repo, 'sdk'), { recursive: true });
    mkdirSync(path.join(repo, 'web'));
    writeFileSync(path.join(repo, 'web/package.json'), `${JSON.stringify({ name: 'web', version: '1.0.0', dependencies: { 'left-pad': '1.3.0', 'is-number': '7.0.0' } })}\n`);
    writeFileSync(
      path.join(repo, 'web/yarn.lock'),
      [
        '# THIS IS AN AUTOGENERATED FILE. DO NOT EDIT THIS FILE DIRECTLY.',
        '# yarn lockfile v1',
        '',
        '',
        'is-number@7.0.0:',
        '  version "7.0.0"',
        '  resolved "https://registry.yarnpkg.com/is-number/-/is-number-7.0.0.tgz#7535345b896734d5f80c4d06c50955527a14f12b"',
        '  integrity sha512-41Cifkg6e8TylSpdtTpeLVMqvSBEVzTttHvERD741+pnZ8ANv0004MRL43QKPDlK9cGvNp6NZWZUBlbGXYxxng==',
        '',
        'left-pad@1.3.0:',
        '  version "1.3.0"',
        '  resolved "https://registry.yarnpkg.com/left-pad/-/left-pad-1.3.0.tgz#5b8a3a7765dfe001261dde915589e782f8c94d1e"',
        '  integrity sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEcVgQJHeRrsB8IQuEZMk6bZ8RbUF9HcuI0pmBKWbUhhHMA==',
        '',
      ].join('\n'),
    );
    writeFileSync(path.join(repo, 'depwarden.yaml'), `version: 1\nupdates:\n  registries:\n    pypi: ${reg.url}/pypi\n    npm: ${reg.url}/npm/\nlicenses:\n  allow: [MIT, Apache-2.0, MPL-2.0, BSD-2-Clause]\n  deny: [GPL-2.0-only, WTFPL]\n  unknown: review\n`);
    home = path.join(tmp, 'home');
  });
  after(async () => {
    await reg.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  const env = () => ({ DEPWARDEN_HOME: home, SOURCE_DATE_EPOCH: '1700000000' });
  type Cdx = { components: { name: string; version: string; licenses?: { license?: { id?: string; name?: string }; expression?: string }[] }[] };
  const licOf = (bom: Cdx, name: string): string | undefined => {
    const l = bom.components.find((c) => c.name === name)?.licenses?.[0];
    return l?.expression ?? l?.license?.id ?? l?.license?.name;
  };

  it('without --registry-licenses the SBOM has no licence for uv and yarn packages and asks nothing', async () => {
    const r = await runCli(['sbom', repo, '-f', 'cyclonedx-json'], { env: env() });
    const bom = JSON.parse(r.stdout) as Cdx;
    assert.equal(licOf(bom, 'anyio'), undefined);
    assert.equal(licOf(bom, 'left-pad'), undefined);
    assert.equal(reg.requests.length, 0);
  });

  it('sbom --registry-licenses: CycloneDX licences and SPDX licenseDeclared from the registries, NOASSERTION when unknown', async () => {
    const r = await runCli(['sbom', repo, '-f', 'cyclonedx-json', '--registry-licenses'], { env: env() });
    assert.equal(r.code, 0, r.stderr);
    const bom = JSON.parse(r.stdout) as Cdx;
    assert.equal(licOf(bom, 'anyio'), 'MIT');
    assert.equal(licOf(bom, 'certifi'), 'MPL-2.0');
    assert.equal(licOf(bom, 'packaging'), 'Apache-2.0 OR BSD-2-Clause');
    assert.equal(licOf(bom, 'codespell'), 'GPL-2.0-only');
    assert.equal(licOf(bom, 'idna'), 'BSD License');
    assert.equal(licOf(bom, 'left-pad'), 'WTFPL');
    assert.equal(licOf(bom, 'is-number'), 'MIT');
    assert.equal(licOf(bom, 'httpx'), undefined);
    // Per-version documents, each release asked once.
    assert.ok(reg.requests.some((q) => q.url === '/pypi/anyio/4.9.0/json'));
    assert.equal(new Set(reg.requests.map((q) => q.url)).size, reg.requests.length);
    assert.match(r.stderr, /licences: 9 of 2\d locked releases without one in their lock got it from the registry/);

    const before = reg.requests.length;
    const s = await runCli(['sbom', repo, '-f', 'spdx-json', '--registry-licenses', '--offline'], { env: env() });
    assert.equal(s.code, 0, s.stderr);
    assert.equal(reg.requests.length, before, 'offline: nothing asked');
    const spdx = JSON.parse(s.stdout) as { packages: { name: string; licenseDeclared: string; licenseConcluded: string }[]; hasExtractedLicensingInfos?: { extractedText: string }[] };
    const pkg = (n: string) => spdx.packages.find((p) => p.name === n)!;
    assert.equal(pkg('orjson').licenseDeclared, 'Apache-2.0 OR MIT');
    assert.equal(pkg('orjson').licenseConcluded, 'NOASSERTION');
    assert.equal(pkg('httpx').licenseDeclared, 'NOASSERTION');
    assert.match(pkg('idna').licenseDeclared, /^LicenseRef-/);
    assert.ok(spdx.hasExtractedLicensingInfos!.some((e) => e.extractedText === 'BSD License'));
  });

  it('check applies the licence policy to registry licences from the cache, and --offline with an empty cache says what is missing', async () => {
    const before = reg.requests.length;
    const r = await runCli(['check', repo, '--format', 'json', '--fail-on', 'critical'], { env: env() });
    assert.equal(reg.requests.length, before, 'check without --registry-licenses asks no registry');
    const found = (JSON.parse(r.stdout) as { findings: { ruleId: string; subject: string }[] }).findings.filter((f) => f.ruleId.startsWith('DW8')).map((f) => `${f.ruleId} ${f.subject}`);
    assert.ok(found.includes('DW801 codespell@2.4.1'));
    assert.ok(found.includes('DW801 left-pad@1.3.0'));
    assert.ok(found.includes('DW803 idna@3.10'));
    assert.ok(found.includes('DW803 httpx@0.28.1'));
    assert.ok(!found.some((f) => f.includes('anyio') || f.includes('packaging') || f.includes('is-number')));

    const cold = { ...env(), DEPWARDEN_HOME: path.join(tmp, 'cold-home') };
    const c = await runCli(['check', repo, '--format', 'json', '--fail-on', 'critical', '--registry-licenses', '--offline'], { env: cold });
    assert.equal(reg.requests.length, before);
    assert.match(c.stderr, /note: licence unknown for 2\d locked releases the registry could not be asked about \(.*first failure: .*offline/);
    const coldFound = (JSON.parse(c.stdout) as { findings: { ruleId: string; subject: string }[] }).findings.filter((f) => f.ruleId === 'DW803').length;
    assert.ok(coldFound > found.filter((f) => f.startsWith('DW803')).length);
  });
});
