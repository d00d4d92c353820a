import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { type StandIn, startStandIn } from '../helpers/registry-stand-in.ts';
import { closedPort } from '../helpers/closed-port.ts';

/**
 * `depwarden provenance` end to end against a local registry serving the recorded npm responses
 * (test/fixtures/provenance/SOURCE) and a PyPI JSON API, with tampered copies.
 */
const FIX = path.join(import.meta.dirname, '../fixtures/provenance');
const json = (f: string): any => JSON.parse(readFileSync(path.join(FIX, f), 'utf8'));
const SIGNED = json('npm-signed-versions.json');
const GOOD_WHEEL = `sha256:${'a'.repeat(64)}`;
const GOOD_SDIST = `sha256:${'b'.repeat(64)}`;
const PA_SHA = '9bb1add04b1b4e182be6b0b80931593f7a291eb49d69b4fd728a5d4cbcdc4bd3';

let reg: StandIn;
before(async () => {
  reg = await startStandIn((req) => {
    const u = req.url;
    const packument = (name: string, version: string, dist: object) => ({ body: { name, versions: { [version]: { name, version, dist } }, time: { [version]: '2023-02-09T18:00:00.000Z' } } });
    if (u === '/-/npm/v1/keys') return { body: json('npm-registry-keys.json') };
    if (u === '/kms-demo') return packument('kms-demo', '1.0.0', { ...SIGNED['kms-demo@1.0.0'], tarball: `${reg.url}/kms-demo/-/kms-demo-1.0.0.tgz` });
    if (u === '/sigstore') return packument('sigstore', '1.0.0', { ...SIGNED['sigstore@1.0.0'], attestations: { url: `${reg.url}/-/npm/v1/attestations/sigstore@1.0.0`, provenance: { predicateType: 'https://slsa.dev/provenance/v0.2' } } });
    if (u === '/-/npm/v1/attestations/sigstore@1.0.0') return { body: json('npm-sigstore-1.0.0-attestations.json') };
    // The registry now serves another signature for node-fetch than the real one (tampered).
    if (u === '/node-fetch') return packument('node-fetch', '1.7.1', { ...SIGNED['node-fetch@1.7.1'], signatures: [{ keyid: SIGNED['node-fetch@1.7.1'].signatures[0].keyid, sig: SIGNED['kms-demo@1.0.0'].signatures[0].sig }] });
    if (u === '/tuf-js') return packument('tuf-js', '1.0.0', SIGNED['tuf-js@1.0.0']);
    // Hostile answers: a packument that is not JSON, an attestations document over the 4 MiB cap.
    if (u === '/huge') return { body: `{"versions": ${'x'.repeat(8 * 1024 * 1024)}` };
    if (u === '/big-att') return packument('big-att', '1.0.0', { integrity: SIGNED['kms-demo@1.0.0'].integrity, attestations: { url: `${reg.url}/-/npm/v1/attestations/big-att@1.0.0` } });
    if (u === '/-/npm/v1/attestations/big-att@1.0.0') return { body: { attestations: [{ predicateType: 'https://slsa.dev/provenance/v0.2', bundle: 'y'.repeat(5 * 1024 * 1024) }] } };
    if (u === '/pypi/requests/json') return { body: { info: { name: 'requests', version: '2.32.3' }, releases: { '2.32.3': [{ filename: 'requests-2.32.3-py3-none-any.whl', url: `${reg.url}/f/r.whl`, digests: { sha256: 'a'.repeat(64) } }, { filename: 'requests-2.32.3.tar.gz', url: `${reg.url}/f/r.tgz`, digests: { sha256: 'b'.repeat(64) } }] } } };
    if (u === '/pypi/pypi-attestations/json') return { body: { info: { name: 'pypi-attestations', version: '0.0.19' }, releases: { '0.0.19': [{ filename: 'pypi_attestations-0.0.19.tar.gz', url: `${reg.url}/f/pa.tgz`, digests: { sha256: PA_SHA } }] } } };
    if (u === '/integrity/pypi-attestations/0.0.19/pypi_attestations-0.0.19.tar.gz/provenance') return { body: json('pypi-pypi_attestations-0.0.19.tar.gz.provenance.json') };
    if (u.startsWith('/v2/library/python/manifests/')) return { status: u.includes('dead') ? 404 : 200, headers: { 'docker-content-digest': decodeURIComponent(u.split('/').pop()!), 'content-type': 'application/vnd.oci.image.index.v1+json' } };
    return { status: 404, body: {} };
  });
});
after(async () => reg.close());

function repo(lockPackages: Record<string, object>, extra: (dir: string) => void = () => {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-prov-'));
  mkdirSync(path.join(dir, 'web'));
  const deps = Object.fromEntries(Object.keys(lockPackages).map((k) => [k.replace('node_modules/', ''), '*']));
  writeFileSync(path.join(dir, 'web/package.json'), JSON.stringify({ name: 'web', version: '1.0.0', dependencies: deps }));
  writeFileSync(path.join(dir, 'web/package-lock.json'), JSON.stringify({ name: 'web', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'web', version: '1.0.0', dependencies: deps }, ...lockPackages } }, null, 2));
  extra(dir);
  return dir;
}
const npmPkg = (name: string, version: string, integrity: string) => ({ [`node_modules/${name}`]: { version, resolved: `https://registry.npmjs.org/${name}/-/${name}-${version}.tgz`, integrity } });
const config = (extra = ''): string => `updates:\n  registries:\n    npm: ${reg.url}\n    pypi: ${reg.url}/pypi\n    oci:\n      docker.io: ${reg.url}\nhttp:\n  retries: 0\n${extra}`;

async function provenance(dir: string, home: string, args: string[] = []) {
  const r = await runCli(['provenance', dir, '--format', 'json', ...args], { env: { DEPWARDEN_HOME: home } });
  return { ...r, doc: r.stdout ? JSON.parse(r.stdout) : undefined };
}

test('provenance: verified hashes, signatures and who built it; a lock hash the registry does not publish is critical; a forged signature is reported', async () => {
  const dir = repo({
    ...npmPkg('kms-demo', '1.0.0', SIGNED['kms-demo@1.0.0'].integrity),
    ...npmPkg('sigstore', '1.0.0', SIGNED['sigstore@1.0.0'].integrity),
    ...npmPkg('node-fetch', '1.7.1', SIGNED['node-fetch@1.7.1'].integrity),
    // The lock pins another tarball for tuf-js than the registry publishes.
    ...npmPkg('tuf-js', '1.0.0', SIGNED['kms-demo@1.0.0'].integrity),
  }, (d) => writeFileSync(path.join(d, 'depwarden.yaml'), config('provenance:\n  repositories:\n    sigstore: sigstore/sigstore-js\n  require: [kms-demo]\n')));
  const home = mkdtempSync(path.join(tmpdir(), 'dw-home-'));
  const r = await provenance(dir, home);
  assert.equal(r.code, 1, r.stderr);
  const by = (id: string) => r.doc.findings.filter((f: any) => f.ruleId === id).map((f: any) => f.subject).sort();
  assert.deepEqual(by('DW302'), ['npm:tuf-js@1.0.0']);
  assert.deepEqual(by('DW304'), ['npm:node-fetch@1.7.1']);
  assert.deepEqual(by('DW305'), ['npm:kms-demo@1.0.0']);
  assert.deepEqual(by('DW306'), []);
  const sig = r.doc.packages.find((p: any) => p.name === 'sigstore');
  assert.equal(sig.integrity.status, 'verified');
  assert.equal(sig.signature.status, 'verified');
  assert.equal(sig.attestation.status, 'verified');
  assert.equal(sig.attestation.builtFrom.repository, 'https://github.com/sigstore/sigstore-js');
  assert.equal(r.doc.packages.find((p: any) => p.name === 'kms-demo').signature.status, 'verified');
  // The table names who built it.
  const table = await runCli(['provenance', dir], { env: { DEPWARDEN_HOME: home } });
  // The SBOM carries the verdicts, from the cache (deterministic: twice the same bytes).
  const sbom = await runCli(['sbom', dir, '--provenance'], { env: { DEPWARDEN_HOME: home, SOURCE_DATE_EPOCH: '1700000000' } });
  assert.equal(sbom.code, 0, sbom.stderr);
  const comp = JSON.parse(sbom.stdout).components.find((c: any) => c.name === 'sigstore');
  const props = Object.fromEntries(comp.properties.map((p: any) => [p.name, p.value]));
  assert.equal(props['depwarden:provenance:integrity'], 'verified');
  assert.equal(props['depwarden:provenance:attestation'], 'verified');
  assert.equal(props['depwarden:provenance:source-repository'], 'https://github.com/sigstore/sigstore-js');
  assert.equal(props['depwarden:provenance:source-commit'], '06528997c3c8ab9f864fad9a3658446aca7fd86d');
  assert.equal((await runCli(['sbom', dir, '--provenance'], { env: { DEPWARDEN_HOME: home, SOURCE_DATE_EPOCH: '1700000000' } })).stdout, sbom.stdout);
  const spdx = await runCli(['sbom', dir, '--provenance', '-f', 'spdx-json'], { env: { DEPWARDEN_HOME: home, SOURCE_DATE_EPOCH: '1700000000' } });
  assert.match(spdx.stdout, /depwarden:provenance:integrity=mismatch/, 'tuf-js: the lock pins another tarball');
  assert.match(table.stdout, /Built from \(verified provenance\):[\s\S]*sigstore@1\.0\.0\s+https:\/\/github\.com\/sigstore\/sigstore-js\s+\S+publish\.yml@refs\/tags\/v1\.0\.0\s+06528997c3c8/);
});

test('provenance: a package pinned to another repository than its attestation names is critical', async () => {
  const dir = repo(npmPkg('sigstore', '1.0.0', SIGNED['sigstore@1.0.0'].integrity), (d) => writeFileSync(path.join(d, 'depwarden.yaml'), config('provenance:\n  repositories:\n    sigstore: https://github.com/someone-else/sigstore-js\n')));
  const r = await provenance(dir, mkdtempSync(path.join(tmpdir(), 'dw-home-')));
  const f = r.doc.findings.filter((x: any) => x.ruleId === 'DW306');
  assert.equal(f.length, 1);
  assert.equal(f[0].severity, 'critical');
  assert.match(f[0].message, /built from https:\/\/github\.com\/sigstore\/sigstore-js, not https:\/\/github\.com\/someone-else\/sigstore-js/);
});

test('provenance: results are cached by package+version+hash; a re-check asks nothing and check reports the same from the cache', async () => {
  const dir = repo(npmPkg('tuf-js', '1.0.0', SIGNED['kms-demo@1.0.0'].integrity), (d) => writeFileSync(path.join(d, 'depwarden.yaml'), config()));
  const home = mkdtempSync(path.join(tmpdir(), 'dw-home-'));
  await provenance(dir, home);
  const before = reg.requests.length;
  const again = await provenance(dir, home);
  assert.equal(reg.requests.length - before, 0, 'the second run asked the registry nothing');
  assert.match(again.stderr, /0 asked of a registry, 1 from the cache/);
  const check = await runCli(['check', dir, '--format', 'json'], { env: { DEPWARDEN_HOME: home } });
  assert.deepEqual(JSON.parse(check.stdout).findings.filter((f: any) => f.ruleId === 'DW302').map((f: any) => f.subject), ['npm:tuf-js@1.0.0']);
  // Another home: nothing cached, and check says so instead of passing silently.
  const cold = await runCli(['check', dir, '--format', 'json'], { env: { DEPWARDEN_HOME: mkdtempSync(path.join(tmpdir(), 'dw-home-')) } });
  assert.match(cold.stderr, /provenance not checked for 1 locked package version/);
});

test('provenance: PyPI — every lock hash must be a published file; unreachable registry and malformed answers are "unknown", oversized bundles "unverified", never verified', async () => {
  const dir = repo({ ...npmPkg('huge', '1.0.0', SIGNED['kms-demo@1.0.0'].integrity), ...npmPkg('big-att', '1.0.0', SIGNED['kms-demo@1.0.0'].integrity) }, (d) => {
    writeFileSync(path.join(d, 'depwarden.yaml'), config());
    mkdirSync(path.join(d, 'api'));
    writeFileSync(path.join(d, 'api/requirements.txt'), `requests==2.32.3 \\\n    --hash=${GOOD_WHEEL} \\\n    --hash=${GOOD_SDIST}\n`);
    mkdirSync(path.join(d, 'worker'));
    writeFileSync(path.join(d, 'worker/requirements.txt'), `requests==2.32.3 \\\n    --hash=${GOOD_WHEEL} \\\n    --hash=sha256:${'c'.repeat(64)}\npypi-attestations==0.0.19 \\\n    --hash=sha256:${PA_SHA}\n`);
  });
  const r = await provenance(dir, mkdtempSync(path.join(tmpdir(), 'dw-home-')));
  const pkgs = r.doc.packages.filter((p: any) => p.name === 'requests');
  assert.deepEqual(pkgs.map((p: any) => p.integrity.status).sort(), ['mismatch', 'verified']);
  const mismatch = r.doc.findings.filter((f: any) => f.ruleId === 'DW302');
  assert.equal(mismatch.length, 1);
  assert.equal(mismatch[0].file, 'worker/requirements.txt');
  assert.match(mismatch[0].message, /1 of the 2 hashes .* belong to no file/);
  const pa = r.doc.packages.find((p: any) => p.name === 'pypi-attestations');
  assert.equal(pa.integrity.status, 'verified');
  assert.equal(pa.attestation.status, 'verified', pa.attestation.reason);
  assert.equal(pa.attestation.builtFrom.repository, 'https://github.com/trailofbits/pypi-attestations');
  assert.equal(pkgs[0].attestation.status, 'absent', 'the index serves no provenance for requests');
  const huge = r.doc.packages.find((p: any) => p.name === 'huge');
  assert.equal(huge.integrity.status, 'unknown');
  assert.ok(r.doc.findings.some((f: any) => f.ruleId === 'DW307' && f.subject === 'npm:huge@1.0.0'));
  const big = r.doc.packages.find((p: any) => p.name === 'big-att');
  assert.equal(big.integrity.status, 'verified');
  assert.equal(big.attestation.status, 'unverified');
  assert.match(big.attestation.reason, /could not be read/);
  assert.ok(r.doc.findings.some((f: any) => f.ruleId === 'DW304' && f.subject === 'npm:big-att@1.0.0'));

  const port = await closedPort();
  const down = repo(npmPkg('kms-demo', '1.0.0', SIGNED['kms-demo@1.0.0'].integrity), (d) => writeFileSync(path.join(d, 'depwarden.yaml'), `updates:\n  registries:\n    npm: http://127.0.0.1:${port}\nhttp:\n  retries: 0\n`));
  const u = await provenance(down, mkdtempSync(path.join(tmpdir(), 'dw-home-')));
  assert.equal(u.doc.packages[0].integrity.status, 'unknown');
  assert.match(u.doc.packages[0].integrity.reason, /could not be asked/);
  assert.equal(u.code, 0, 'DW307 is medium: below the default --fail-on high');
  assert.equal((await provenance(down, mkdtempSync(path.join(tmpdir(), 'dw-home-')), ['--fail-on', 'medium'])).code, 1);
});

test('provenance: a digest-pinned image whose registry no longer serves the digest is reported (OCI HEAD)', async () => {
  const dir = repo({}, (d) => {
    writeFileSync(path.join(d, 'depwarden.yaml'), config('provenance:\n  attestations: false\n'));
    writeFileSync(path.join(d, 'web/Dockerfile'), `FROM python:3.12@sha256:${'d'.repeat(64)}\nFROM python:3.12@sha256:${'0'.repeat(60)}dead\n`);
  });
  const r = await provenance(dir, mkdtempSync(path.join(tmpdir(), 'dw-home-')));
  const f = r.doc.findings.filter((x: any) => x.ruleId === 'DW308');
  assert.equal(f.length, 1, JSON.stringify(r.doc.images));
  assert.match(f[0].subject, /dead$/);
  assert.deepEqual(r.doc.images.map((i: any) => i.status).sort(), ['missing', 'served']);
});

test('check counts the provenance targets without building them: the same number as the verifier\'s list, on every corpus repository', async () => {
  const { loadConfig } = await import('../../src/config/load.ts');
  const { buildInventory } = await import('../../src/inventory/build.ts');
  const { countTargets, targets } = await import('../../src/provenance/targets.ts');
  const { CORPUS, corpusCases } = await import('../helpers/corpus.ts');
  let total = 0;
  for (const c of corpusCases()) {
    const dir = path.join(CORPUS, c.dir);
    const { config } = await loadConfig(dir);
    const inv = await buildInventory(dir, config);
    const want = targets(inv, config, {}).length;
    assert.equal(countTargets(inv, config, {}), want, c.dir);
    total += want;
  }
  assert.ok(total > 1000, `the corpus locks many packages (${total})`);
});
