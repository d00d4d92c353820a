import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { CORPUS } from '../helpers/corpus.ts';
import { runCli } from '../helpers/run-cli.ts';

const H = (c: string): string => c.repeat(64);
function lock(pkgs: { name: string; version: string; hash: string; deps?: string[] }[]): string {
  return `${pkgs
    .map((p) => `[[package]]\nname = "${p.name}"\nversion = "${p.version}"\ndescription = ""\noptional = false\npython-versions = "*"\ngroups = ["main"]\nfiles = [{file = "${p.name}-${p.version}.tar.gz", hash = "sha256:${p.hash}"}]\n${p.deps?.length ? `\n[package.dependencies]\n${p.deps.map((d) => `${d} = "*"`).join('\n')}\n` : ''}`)
    .join('\n')}\n[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "x"\n`;
}
const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', env: { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_AUTHOR_DATE: '2024-01-02T00:00:00Z', GIT_COMMITTER_DATE: '2024-01-02T00:00:00Z' } }).trim();

describe('sbom', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-sbom-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('two runs are byte-identical, in every format, and the timestamp is the locks\' last commit', async () => {
    const out1 = path.join(tmp, 'a');
    const out2 = path.join(tmp, 'b');
    const src = path.join(CORPUS, 'monorepo', 'google__osv.dev');
    const args = (o: string) => ['sbom', src, '-o', o, '-f', 'cyclonedx-json', 'cyclonedx-xml', 'spdx-json'];
    assert.equal((await runCli(args(out1), { env: { SOURCE_DATE_EPOCH: '1700000000' } })).code, 0);
    assert.equal((await runCli(args(out2), { env: { SOURCE_DATE_EPOCH: '1700000000' } })).code, 0);
    const files = execFileSync('ls', [out1], { encoding: 'utf8' }).trim().split('\n');
    assert.ok(files.length >= 3 * 10);
    for (const f of files) assert.equal(execFileSync('cmp', [path.join(out1, f), path.join(out2, f)]).length, 0, f);
  });

  it('the bytes do not depend on the machine\'s locale (under da_DK "aa" sorts after "z"; bom-refs are hex)', () => {
    const src = path.join(CORPUS, 'npm', 'open-telemetry__opentelemetry-js');
    const run = (locale: string, format: string): string =>
      execFileSync(process.execPath, [path.join(import.meta.dirname, '..', '..', 'bin', 'depwarden.js'), 'sbom', src, '-f', format], { env: { ...process.env, LC_ALL: locale, LANG: locale, SOURCE_DATE_EPOCH: '0' }, encoding: 'utf8', maxBuffer: 1 << 28 });
    for (const format of ['cyclonedx-json', 'cyclonedx-xml']) assert.equal(run('da_DK.UTF-8', format), run('C', format), format);
  });

  it('diffs two git revisions: upgrade, downgrade, added, removed, and a hash change at the same version', async () => {
    const repo = path.join(tmp, 'repo');
    mkdirSync(path.join(repo, 'svc'), { recursive: true });
    git(repo, 'init', '-q');
    writeFileSync(path.join(repo, 'svc', 'poetry.lock'), lock([
      { name: 'requests', version: '2.31.0', hash: H('a'), deps: ['urllib3'] },
      { name: 'urllib3', version: '2.2.0', hash: H('b') },
      { name: 'six', version: '1.16.0', hash: H('c') },
      { name: 'idna', version: '3.7', hash: H('d') },
    ]));
    // A Dockerfile at the root: a service named after the repository folder, in both revisions.
    writeFileSync(path.join(repo, 'Dockerfile'), `FROM python:3.12-slim@sha256:${'a'.repeat(64)}\n`);
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'one');
    writeFileSync(path.join(repo, 'Dockerfile'), `FROM python:3.12-slim@sha256:${'b'.repeat(64)}\n`);
    writeFileSync(path.join(repo, 'svc', 'poetry.lock'), lock([
      { name: 'requests', version: '2.32.3', hash: H('e'), deps: ['urllib3'] },
      { name: 'urllib3', version: '1.26.20', hash: H('f') },
      { name: 'idna', version: '3.7', hash: H('9') },
      { name: 'certifi', version: '2024.8.30', hash: H('1') },
    ]));
    git(repo, 'commit', '-qam', 'two');
    const r = await runCli(['sbom', 'diff', 'HEAD~1', 'HEAD', '--git', repo, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const d = JSON.parse(r.stdout) as { added: { name: string }[]; removed: { name: string }[]; changed: { name: string; direction: string; updateType: string }[]; hashChanges: { name: string; version: string }[] };
    assert.deepEqual(d.added.map((x) => x.name), ['certifi']);
    assert.deepEqual(d.removed.map((x) => x.name), ['six']);
    assert.deepEqual(d.changed.map((c) => `${c.name} ${c.direction} ${c.updateType}`), ['library/python change digest', 'requests upgrade minor', 'urllib3 downgrade major']);
    assert.deepEqual(d.hashChanges.map((h) => `${h.name} ${h.version}`), ['idna 3.7']);
    const md = await runCli(['sbom', 'diff', 'HEAD~1', 'HEAD', '--git', repo, '--format', 'markdown', '--fail-on-hash-change']);
    assert.match(md.stdout, /Supply-chain red flag/);
    assert.equal(md.code, 1, 'a hash change at the same version fails the run when asked');
    const bad = await runCli(['sbom', 'diff', 'HEAD~1', 'no-such-rev', '--git', repo]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /cannot read revision no-such-rev/);
    // The SBOM of the repository carries the last commit time of its lock when SOURCE_DATE_EPOCH is unset.
    const sbom = JSON.parse((await runCli(['sbom', repo])).stdout) as { metadata: { timestamp: string }; components: { name: string; scope: string; hashes: { content: string }[] }[] };
    assert.equal(sbom.metadata.timestamp, '2024-01-02T00:00:00.000Z');
    assert.equal(sbom.components.find((c) => c.name === 'idna')!.hashes[0]!.content, H('9'));
  });

  it('timestamp of a service without a lock: the last commit of the files it is built from (its Dockerfile)', async () => {
    const repo = path.join(tmp, 'dockerfile-only');
    mkdirSync(path.join(repo, 'web'), { recursive: true });
    git(repo, 'init', '-q');
    writeFileSync(path.join(repo, 'web', 'Dockerfile'), 'FROM nginx:1.27\n');
    git(repo, 'add', '.');
    git(repo, 'commit', '-qm', 'web');
    const bom = JSON.parse((await runCli(['sbom', repo, '--service', 'web'])).stdout) as { metadata: { timestamp: string } };
    assert.equal(bom.metadata.timestamp, '2024-01-02T00:00:00.000Z');
  });

  it('diff of two SBOM files, CycloneDX against SPDX of the same input, finds nothing', async () => {
    const out = path.join(tmp, 'c');
    await runCli(['sbom', path.join(CORPUS, 'poetry', 'Textualize__rich'), '-o', out, '-f', 'cyclonedx-json', 'spdx-json']);
    const r = await runCli(['sbom', 'diff', path.join(out, 'repository.cdx.json'), path.join(out, 'repository.spdx.json')]);
    assert.match(r.stdout, /^0 added, 0 removed, 0 changed, 0 licence changes, 0 hash changes/m);
    const bad = await runCli(['sbom', 'diff', path.join(out, 'repository.cdx.json'), path.join(CORPUS, 'INDEX.tsv')]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /is not JSON/);
  });

  it('sbom.formats, sbom.specVersion and sbom.outputDir from depwarden.yaml; flags win; --service picks one', async () => {
    const repo = path.join(tmp, 'configured');
    mkdirSync(path.join(repo, 'svc'), { recursive: true });
    writeFileSync(path.join(repo, 'svc', 'poetry.lock'), lock([{ name: 'six', version: '1.16.0', hash: H('c') }]));
    writeFileSync(path.join(repo, 'depwarden.yaml'), 'sbom:\n  formats: [spdx-json, cyclonedx-xml]\n  specVersion: "1.5"\n  outputDir: out/sbom\n');
    const r = await runCli(['sbom', repo], { env: { SOURCE_DATE_EPOCH: '0' } });
    assert.equal(r.code, 0, r.stderr);
    const files = execFileSync('ls', [path.join(repo, 'out', 'sbom')], { encoding: 'utf8' }).trim().split('\n');
    assert.deepEqual(files, ['repository.cdx.xml', 'repository.spdx.json', 'svc.cdx.xml', 'svc.spdx.json']);
    assert.match(execFileSync('cat', [path.join(repo, 'out', 'sbom', 'svc.cdx.xml')], { encoding: 'utf8' }), /xmlns="http:\/\/cyclonedx\.org\/schema\/bom\/1\.5"/);
    const one = await runCli(['sbom', repo, '--service', 'svc', '-f', 'cyclonedx-json', '--spec', '1.6', '-o', path.join(tmp, 'one')], { env: { SOURCE_DATE_EPOCH: '0' } });
    assert.equal(one.code, 0, one.stderr);
    assert.deepEqual(execFileSync('ls', [path.join(tmp, 'one')], { encoding: 'utf8' }).trim().split('\n'), ['svc.cdx.json']);
    const none = await runCli(['sbom', repo, '--service', 'nope']);
    assert.equal(none.code, 2);
    assert.match(none.stderr, /no service named nope/);
  });

  it('dev-only groups are scope excluded, markers and git commits are kept', async () => {
    const s = await runCli(['sbom', path.join(CORPUS, 'poetry', 'python-poetry__poetry')]);
    const bom = JSON.parse(s.stdout) as { components: { name: string; scope?: string; properties?: { name: string; value: string }[]; externalReferences?: { type: string; url: string }[]; purl?: string }[] };
    const core = bom.components.find((c) => c.name === 'poetry-core')!;
    assert.equal(core.externalReferences?.find((e) => e.type === 'vcs')?.url, 'https://github.com/python-poetry/poetry-core.git#e3998b0e111dc03e4aa721fd054c48e5c7de6fc5');
    assert.match(core.purl!, /vcs_url=git%2Bhttps/);
    assert.ok(bom.components.some((c) => c.scope === 'excluded'), 'dev/test/typing groups are excluded');
    assert.ok(bom.components.some((c) => c.properties?.some((p) => p.name === 'depwarden:markers')));
  });
});
