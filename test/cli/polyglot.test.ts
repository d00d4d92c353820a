import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { parsePyproject } from '../../src/formats/pyproject.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import type { Inventory } from '../../src/model/inventory.ts';
import { toAdvisory } from '../../src/vulns/osv-record.ts';
import { writeDb } from '../../src/vulns/store.ts';
import { startStandIn, type StandIn } from '../helpers/registry-stand-in.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';
import { poetryLock } from '../updates/fleet-fixture.ts';

const FIX = path.resolve(import.meta.dirname, '..', 'fixtures', 'formats');

/**
 * A polyglot fleet: the real uv (single project and workspace), pnpm 6.0, Yarn berry and classic and Pipenv
 * fixtures side by side with a Poetry and an npm service; every command a user runs over it sees them all.
 */
describe('a polyglot repository (uv, pnpm, yarn, Pipfile, Poetry, npm)', () => {
  let repo: string;
  let inv: Inventory;
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-poly-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  before(async () => {
    repo = path.join(tmp, 'repo');
    const copy = (from: string, to: string): void => cpSync(path.join(FIX, from), path.join(repo, to), { recursive: true });
    copy('uv/langgraph-sdk-rev1', 'services/uv-sdk');
    copy('uv/langgraph-monorepo', 'services/uv-mono');
    copy('pnpm/vite-v6', 'services/pnpm-web');
    copy('yarn/prettier-berry', 'services/yarn-berry');
    copy('yarn/prettier-v1', 'services/yarn-classic');
    copy('pipenv/pipenv-examples', 'services/pipenv');
    const pyproject = '[tool.poetry]\nname = "agent"\nversion = "0.1.0"\ndescription = ""\nauthors = ["fleet <fleet@example.com>"]\n\n[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "2.31.0"\n';
    const hash = parsePyproject('pyproject.toml', pyproject).data!.contentHash.poetry1;
    writeTree(
      {
        'services/poetry/pyproject.toml': pyproject,
        'services/poetry/poetry.lock': poetryLock([{ name: 'requests', version: '2.31.0' }], hash),
        'services/npm/package.json': `${JSON.stringify({ name: 'web', version: '1.0.0', private: true, dependencies: { 'left-pad': '1.3.0' } }, null, 2)}\n`,
        'services/npm/package-lock.json': `${JSON.stringify({ name: 'web', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'web', version: '1.0.0', dependencies: { 'left-pad': '1.3.0' } }, 'node_modules/left-pad': { version: '1.3.0', resolved: 'https://registry.npmjs.org/left-pad/-/left-pad-1.3.0.tgz', integrity: 'sha512-XI5MPzVNApjAyhQzphX8BkmKsKUxD4LdyK24iZeQEb/HbrH0XZ3ya/4ZA/BXe4L5RCCS8hKBYA2UNPJoqLtCpz6hTyNK0GgoOhHyA==' } } }, null, 2)}\n`,
        'depwarden.yaml': 'version: 1\n',
      },
      repo,
    );
    inv = await buildInventory(repo, configSchema.parse({}));
  });

  const lockOf = (svc: string): string | undefined => inv.services.find((s) => s.root === `services/${svc}`)?.units[0]?.lock;

  it('scan: every manifest is paired with its lock, and the locked counts are the parsers\'', async () => {
    assert.equal(lockOf('uv-sdk'), 'services/uv-sdk/uv.lock');
    assert.equal(lockOf('pnpm-web'), 'services/pnpm-web/pnpm-lock.yaml');
    assert.equal(lockOf('yarn-berry'), 'services/yarn-berry/yarn.lock');
    assert.equal(lockOf('yarn-classic'), 'services/yarn-classic/yarn.lock');
    assert.equal(lockOf('pipenv'), 'services/pipenv/Pipfile.lock');
    assert.equal(lockOf('poetry'), 'services/poetry/poetry.lock');
    assert.equal(lockOf('npm'), 'services/npm/package-lock.json');
    // uv workspace members are paired with the workspace's lock; the members are the project, not packages.
    const agent = inv.services.find((s) => s.units.some((u) => u.manifest === 'services/uv-mono/apps/agent/pyproject.toml'))!;
    assert.equal(agent.units.find((u) => u.manifest.endsWith('apps/agent/pyproject.toml'))!.lock, 'services/uv-mono/uv.lock');
    assert.ok(!agent.locked.some((p) => p.name === 'agent' || p.name === 'shared'));
    const r = await runCli(['scan', repo, '--format', 'json']);
    assert.equal(r.code, 0, r.stderr);
    const doc = JSON.parse(r.stdout) as { files: { path: string; kind: string; facts?: { lockedPackages?: number } }[]; notCovered: unknown[] };
    const kinds = Object.fromEntries(doc.files.map((f) => [f.path, f.kind]));
    assert.equal(kinds['services/uv-sdk/uv.lock'], 'uv-lock');
    assert.equal(kinds['services/pnpm-web/pnpm-lock.yaml'], 'pnpm-lock');
    assert.equal(kinds['services/yarn-berry/yarn.lock'], 'yarn-lock');
    assert.equal(kinds['services/pipenv/Pipfile'], 'pipfile');
    assert.equal(kinds['services/pipenv/Pipfile.lock'], 'pipfile-lock');
    assert.deepEqual(doc.notCovered, []);
  });

  it('check: real, fresh locks give no lock findings; a stale manifest of each kind is DW003', async () => {
    const lockRules = new Set(['DW000', 'DW002', 'DW003', 'DW004', 'DW012', 'DW101', 'DW102']);
    const r = await runCli(['check', repo, '--format', 'json', '--fail-on', 'critical']);
    const findings = (JSON.parse(r.stdout) as { findings: { ruleId: string; message: string }[] }).findings;
    assert.deepEqual(findings.filter((f) => lockRules.has(f.ruleId)).map((f) => f.message), []);
    // Stale each manifest in a copy: a new declaration the lock does not have.
    const stale = path.join(tmp, 'stale');
    cpSync(repo, stale, { recursive: true });
    const edit = (rel: string, f: (t: string) => string): void => writeFileSync(path.join(stale, rel), f(readFileSync(path.join(stale, rel), 'utf8')));
    const addNpm = (t: string): string => t.replace('"devDependencies": {', '"devDependencies": {\n    "left-pad": "^1.3.0",');
    edit('services/uv-sdk/pyproject.toml', (t) => t.replace(/^dependencies = \[/m, 'dependencies = ["left-pad-py>=1",'));
    edit('services/pnpm-web/package.json', addNpm);
    edit('services/yarn-berry/package.json', addNpm);
    edit('services/yarn-classic/package.json', addNpm);
    edit('services/pipenv/Pipfile', (t) => t.replace('[packages]', '[packages]\nleft-pad-py = "*"'));
    const s = await runCli(['check', stale, '--format', 'json', '--fail-on', 'critical']);
    const dw003 = (JSON.parse(s.stdout) as { findings: { ruleId: string; file: string }[] }).findings.filter((f) => f.ruleId === 'DW003').map((f) => f.file).sort();
    assert.deepEqual(dw003, ['services/pipenv/Pipfile.lock', 'services/pnpm-web/pnpm-lock.yaml', 'services/uv-sdk/uv.lock', 'services/yarn-berry/yarn.lock', 'services/yarn-classic/yarn.lock']);
  });

  it('sbom: components of every lock with their scopes and artifact hashes', async () => {
    const out = path.join(tmp, 'sbom');
    const r = await runCli(['sbom', repo, '--format', 'cyclonedx-json', '-o', out], { env: { SOURCE_DATE_EPOCH: '1700000000' } });
    assert.equal(r.code, 0, r.stderr);
    type Doc = { metadata: { component: { name: string } }; components: { name: string; scope?: string; hashes?: unknown[]; purl?: string; properties?: { name: string; value: string }[] }[] };
    const doc = JSON.parse(readFileSync(path.join(out, 'repository.cdx.json'), 'utf8')) as Doc;
    const lockOf = (c: Doc['components'][number]): string | undefined => c.properties?.find((p) => p.name === 'depwarden:lockfile')?.value;
    // The repository's components name every lock they come from.
    const inLock = (c: Doc['components'][number], l: string): boolean => (lockOf(c) ?? '').split(',').includes(l);
    // A service's document has one component per lock entry (the repository's, one per purl).
    const serviceDocs = new Map(readdirSync(out).filter((f) => f !== 'repository.cdx.json').map((f) => { const d = JSON.parse(readFileSync(path.join(out, f), 'utf8')) as Doc; return [d.metadata.component.name, d]; }));
    for (const s of inv.services) {
      for (const l of new Set(s.locked.map((p) => p.span.file))) {
        const expected = s.locked.filter((p) => p.span.file === l);
        const got = serviceDocs.get(s.name)!.components.filter((c) => lockOf(c) === l);
        assert.equal(got.length, expected.length, l);
        const refs = serviceDocs.get(s.name)!.components.map((c) => (c as { 'bom-ref'?: string })['bom-ref']);
        assert.equal(new Set(refs).size, refs.length, `${s.name}: bom-refs unique (Yarn berry locks a package and its patch at one version)`);
        assert.equal(got.filter((c) => c.scope === 'excluded').length, expected.filter((p) => p.dev).length, `${l} dev scope`);
      }
    }
    const uv = doc.components.filter((c) => inLock(c, 'services/uv-sdk/uv.lock'));
    assert.ok(uv.every((c) => (c.hashes?.length ?? 0) > 0 && c.purl?.startsWith('pkg:pypi/')));
    const pnpm = doc.components.filter((c) => inLock(c, 'services/pnpm-web/pnpm-lock.yaml') && c.purl);
    assert.ok(pnpm.length > 1000 && pnpm.every((c) => c.purl!.startsWith('pkg:npm/')));
    assert.ok(doc.components.filter((c) => inLock(c, 'services/pipenv/Pipfile.lock')).every((c) => (c.hashes?.length ?? 0) > 0));
  });

  it('audit: advisories match packages of every new lock, by ecosystem and name', async () => {
    const pick = (svc: string): { ecosystem: string; name: string; version: string } => {
      const p = inv.services.find((s) => s.root === `services/${svc}`)!.locked.find((x) => !x.workspace && !x.source && x.version)!;
      return { ecosystem: p.ecosystem, name: p.normalizedName, version: p.version };
    };
    const targets = { 'uv-sdk': pick('uv-sdk'), 'pnpm-web': pick('pnpm-web'), 'yarn-berry': pick('yarn-berry'), 'yarn-classic': pick('yarn-classic'), pipenv: pick('pipenv') };
    const db = path.join(tmp, 'db');
    writeDb(
      db,
      Object.entries(targets).map(([svc, t], i) => toAdvisory({ id: `GHSA-test-000${i}`, summary: `test advisory for ${svc}`, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: t.ecosystem, name: t.name }, versions: [t.version] }] })),
      { source: 'test', builtAt: '2024-01-01T00:00:00Z', watermark: {}, invalid: [] },
    );
    const r = await runCli(['audit', repo, '--db', db, '--format', 'json', '--fail-on', 'medium'], { env: { SOURCE_DATE_EPOCH: String(Date.parse('2024-01-02') / 1000) } });
    assert.equal(r.code, 1, r.stderr + r.stdout.slice(0, 3000));
    const got = (JSON.parse(r.stdout) as { findings: { ruleId: string; subject?: string; file: string }[] }).findings.filter((f) => f.ruleId === 'DW201');
    // Only the targeted name@versions (which other services may lock too), nothing else.
    const wanted = new Set(Object.values(targets).map((t) => `${t.name}@${t.version}`.toLowerCase()));
    assert.deepEqual(got.filter((f) => !wanted.has(f.subject!.toLowerCase().replace(/[-_.]+(?=[^@]*@)/g, '-'))), []);
    for (const [svc, t] of Object.entries(targets)) assert.ok(got.some((f) => f.subject === `${inv.services.find((s) => s.root === `services/${svc}`)!.locked.find((p) => p.normalizedName === t.name && p.version === t.version)!.name}@${t.version}` && f.file.startsWith(`services/${svc}/`)), `${svc}: ${t.name}@${t.version}`);
  });

  describe('outdated against local registries', () => {
    let registry: StandIn;
    const current = new Map<string, string>();
    before(async () => {
      for (const s of inv.services) for (const p of s.locked) if (!current.has(`${p.ecosystem}:${p.normalizedName}`)) current.set(`${p.ecosystem}:${p.normalizedName}`, p.version);
      // Each registry answers the lock's own version and one newer release, in the real documents' shapes.
      const pypiTemplate = JSON.parse(readFileSync(path.resolve(import.meta.dirname, '..', 'fixtures', 'registries', 'pypi', 'requests.json'), 'utf8')) as { info: Record<string, unknown> };
      registry = await startStandIn((req) => {
        const py = /^\/pypi\/([^/]+)\/json$/.exec(req.url);
        if (py) {
          const name = decodeURIComponent(py[1]!);
          const v = current.get(`PyPI:${name}`);
          if (!v) return { status: 404, body: { message: 'Not Found' } };
          const file = (ver: string, at: string) => [{ filename: `${name}-${ver}.tar.gz`, packagetype: 'sdist', digests: { sha256: 'a'.repeat(64) }, upload_time_iso_8601: at, yanked: false, requires_python: null, url: `https://files.example/${name}-${ver}.tar.gz` }];
          return { body: { ...pypiTemplate, info: { ...pypiTemplate.info, name, version: '99999.0.0', yanked: false }, releases: { [v]: file(v, '2024-01-01T00:00:00.000000Z'), '99999.0.0': file('99999.0.0', '2024-03-01T00:00:00.000000Z') }, urls: [], vulnerabilities: [] } };
        }
        const name = decodeURIComponent(req.url.slice(1));
        // `engines.node` is looked up as the npm package that mirrors Node.js releases.
        const v = current.get(`npm:${name}`) ?? (name === 'node' ? '20.0.0' : undefined);
        if (!v) return { status: 404, body: { error: 'Not found' } };
        const ver = (x: string) => ({ name, version: x, dist: { tarball: `https://registry.example/${name}/-/${name}-${x}.tgz` } });
        return { body: { name, 'dist-tags': { latest: '99999.0.0' }, versions: { [v]: ver(v), '99999.0.0': ver('99999.0.0') }, time: { [v]: '2024-01-01T00:00:00.000Z', '99999.0.0': '2024-03-01T00:00:00.000Z' } } };
      });
      writeFileSync(path.join(repo, 'depwarden.yaml'), `version: 1\nupdates:\n  minimumReleaseAgeDays: 0\n  registries:\n    pypi: ${registry.url}/pypi\n    npm: ${registry.url}\n  cache:\n    maxAgeMinutes: 0\n`);
    });
    after(async () => {
      await registry.close();
      writeFileSync(path.join(repo, 'depwarden.yaml'), 'version: 1\n');
    });

    it('reports the locked version of each declaration as current, for every lock format', async () => {
      const home = mkdtempSync(path.join(tmp, 'home-'));
      const r = await runCli(['outdated', repo, '--format', 'json'], { env: { DEPWARDEN_HOME: home, HOME: home, SOURCE_DATE_EPOCH: String(Date.parse('2024-06-01') / 1000) } });
      const doc = JSON.parse(r.stdout) as { entries: { service: string; name: string; file: string; current?: string; latest?: string }[]; failures: unknown[] };
      assert.ok(r.code === 0 || r.code === 1, r.stderr);
      assert.deepEqual(doc.failures, []);
      const byFile = (f: string) => doc.entries.filter((e) => e.file === f);
      for (const f of ['services/uv-sdk/pyproject.toml', 'services/pnpm-web/package.json', 'services/yarn-berry/package.json', 'services/yarn-classic/package.json', 'services/pipenv/Pipfile']) {
        const rows = byFile(f);
        assert.ok(rows.length > 0, f);
        for (const e of rows) {
          assert.equal(e.latest, '99999.0.0', `${f} ${e.name}`);
          if (e.name === 'node (engines)') continue; // a range, no locked version
          assert.ok(e.current && /^\d/.test(e.current), `${f} ${e.name}: current ${e.current}`);
        }
      }
      // The current version is the lock's (httpx in the uv project, a yarn descriptor's resolution).
      const httpx = byFile('services/uv-sdk/pyproject.toml').find((e) => e.name === 'httpx')!;
      assert.equal(httpx.current, inv.services.find((s) => s.root === 'services/uv-sdk')!.locked.find((p) => p.normalizedName === 'httpx')!.version);
    });
  });
});
