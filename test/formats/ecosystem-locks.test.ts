import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';
import { parsePackageJson } from '../../src/formats/package-json.ts';
import { parsePipfile, parsePipfileLock } from '../../src/formats/pipfile.ts';
import { parsePnpmLock, splitPnpmKey } from '../../src/formats/pnpm-lock.ts';
import { parsePyproject } from '../../src/formats/pyproject.ts';
import { parseUvLock } from '../../src/formats/uv-lock.ts';
import { assignYarnScopes, parseYarnLock } from '../../src/formats/yarn-lock.ts';
import { CORPUS } from '../helpers/corpus.ts';

const FIX = path.resolve(import.meta.dirname, '..', 'fixtures', 'formats');
const read = (rel: string): string => readFileSync(path.join(FIX, rel), 'utf8');
const lines = new Map<string, string[]>();
const lineOf = (text: string, line: number): string => {
  let l = lines.get(text);
  if (!l) lines.set(text, (l = text.split('\n')));
  return l[line - 1]!;
};

describe('uv.lock', () => {
  for (const c of ['kitsune', 'pydantic-ai', 'langgraph-monorepo', 'langgraph-prebuilt', 'langgraph-sdk-rev1']) {
    it(`${c}: every [[package]] is a locked package or a project, with its span`, () => {
      const text = read(`uv/${c}/uv.lock`);
      const r = parseUvLock('uv.lock', text);
      assert.deepEqual(r.findings, []);
      const d = r.data!;
      // Independent count: smol-toml's [[package]] array, split by the source kinds uv writes for the project itself.
      const doc = parseToml(text) as { package: { name: string; source: Record<string, string> }[]; manifest?: { members?: string[] } };
      const members = new Set((doc.manifest?.members ?? []).map((m) => m.toLowerCase().replace(/[-_.]+/g, '-')));
      const own = doc.package.filter((p) => (p.source.editable ?? p.source.virtual) !== undefined && ((p.source.editable ?? p.source.virtual) === '.' || members.has(p.name.toLowerCase().replace(/[-_.]+/g, '-'))));
      assert.equal(d.projects.length, own.length);
      assert.equal(d.packages.length, doc.package.length - own.length);
      for (const p of d.packages) {
        assert.match(lineOf(text, p.span.line), /^\[\[package\]\]/);
        assert.equal(lineOf(text, p.span.line + 1), `name = "${p.name}"`);
        if (!p.source) assert.ok(p.hashes.length > 0 && p.hashes.every((h) => /^sha256:[0-9a-f]{64}$/.test(h)), `${p.name} has sha256 hashes`);
        assert.ok(p.groups.length > 0, `${p.name} is reached from a project`);
      }
    });
  }

  it('revision, workspace members, sources and forks', () => {
    const sdk = parseUvLock('uv.lock', read('uv/langgraph-sdk-rev1/uv.lock')).data!;
    assert.equal(sdk.revision, 1);
    const mono = parseUvLock('uv.lock', read('uv/langgraph-monorepo/uv.lock')).data!;
    assert.deepEqual(mono.members, ['agent', 'shared', 'uv-monorepo-example']);
    assert.deepEqual(mono.projects.map((p) => [p.name, p.path, p.virtual]).sort(), [['agent', 'apps/agent', false], ['shared', 'libs/shared', false], ['uv-monorepo-example', '.', true]]);
    const ai = parseUvLock('uv.lock', read('uv/pydantic-ai/uv.lock')).data!;
    const git = ai.packages.find((p) => p.source?.type === 'git')!;
    assert.deepEqual(git.source, { type: 'git', url: 'https://github.com/pydantic/strict-no-cover.git', reference: '7fc59da2c4dff919db2095a0f0e47101b657131d', resolvedReference: '7fc59da2c4dff919db2095a0f0e47101b657131d' });
    assert.ok(ai.resolutionMarkers.length >= 2);
    const prebuilt = parseUvLock('uv.lock', read('uv/langgraph-prebuilt/uv.lock')).data!;
    const lg = prebuilt.packages.find((p) => p.name === 'langgraph')!;
    assert.deepEqual(lg.source, { type: 'directory', path: '../langgraph', develop: true });
  });

  it('scopes follow the project: a dependency-group-only package is dev, a main one is not', () => {
    const k = parseUvLock('uv.lock', read('uv/kitsune/uv.lock')).data!;
    const proj = k.projects[0]!;
    const main = new Set(proj.edges.main!.map((e) => e.normalizedName));
    for (const p of k.packages) if (main.has(p.normalizedName)) assert.ok(p.groups.includes('main') && !p.dev, `${p.name} is main`);
    const devOnly = Object.entries(proj.edges).filter(([s]) => s.startsWith('dependency-group:')).flatMap(([, l]) => l.map((e) => e.normalizedName)).filter((n) => !main.has(n));
    assert.ok(devOnly.length > 0);
    assert.ok(devOnly.some((n) => k.packages.find((p) => p.normalizedName === n)?.dev === true));
  });

  it('a pyproject fresh with its uv.lock has no differences; a new declaration is one', async () => {
    const { lockFreshnessRule } = await import('../../src/rules/lock-freshness.ts');
    const { ruleContext } = await import('../../src/rules/context.ts');
    const { configSchema } = await import('../../src/config/schema.ts');
    const pyproject = readFileSync(path.join(CORPUS, 'pep621/mozilla__kitsune/pyproject.toml'), 'utf8');
    const run = (text: string) => {
      const m = parsePyproject('pyproject.toml', text).data!;
      const l = parseUvLock('uv.lock', read('uv/kitsune/uv.lock')).data!;
      const files = new Map<string, never>([['pyproject.toml', m as never], ['uv.lock', l as never]]);
      const inv = { root: '/x', services: [{ name: 's', root: '.', origin: 'discovered', files: [], units: [{ ecosystem: 'PyPI', manifest: 'pyproject.toml', lock: 'uv.lock' }], dockerfiles: [], compose: [], dependencies: [], locked: [], images: [] }], files, allFiles: new Set<string>(), kinds: new Map(), actions: [], findings: [] };
      return lockFreshnessRule(ruleContext(inv as never, configSchema.parse({})));
    };
    assert.deepEqual(run(pyproject), []);
    const added = pyproject.replace(/^dependencies = \[/m, 'dependencies = [\n    "left-pad-py>=1.0",');
    const f = run(added);
    assert.equal(f.length, 1);
    assert.equal(f[0]!.ruleId, 'DW003');
    assert.match(f[0]!.message, /left-pad-py: in pyproject\.toml but not in the lock/);
  });
});

it('uv.lock: dependencies a build backend computes (PEP 621 dynamic) are not compared; dependency groups still are', async () => {
  const { lockFreshnessRule } = await import('../../src/rules/lock-freshness.ts');
  const { ruleContext } = await import('../../src/rules/context.ts');
  const { configSchema } = await import('../../src/config/schema.ts');
  const text = read('uv/pydantic-ai/pyproject.toml');
  const run = (t: string) => {
    const m = parsePyproject('pyproject.toml', t).data!;
    const l = parseUvLock('uv.lock', read('uv/pydantic-ai/uv.lock')).data!;
    const inv = { root: '/x', services: [{ name: 's', root: '.', origin: 'discovered', files: [], units: [{ ecosystem: 'PyPI', manifest: 'pyproject.toml', lock: 'uv.lock' }], dockerfiles: [], compose: [], dependencies: [], locked: [], images: [] }], files: new Map<string, never>([['pyproject.toml', m as never], ['uv.lock', l as never]]), allFiles: new Set<string>(), kinds: new Map(), actions: [], findings: [] };
    return lockFreshnessRule(ruleContext(inv as never, configSchema.parse({})));
  };
  assert.match(text, /dynamic = \["version", "dependencies", "optional-dependencies"\]/);
  assert.deepEqual(run(text), []);
  const f = run(text.replace(/^\[dependency-groups\]\n/m, '[dependency-groups]\nextra-tools = ["left-pad-py>=1"]\n'));
  assert.equal(f.length, 1);
  assert.match(f[0]!.detail!, /left-pad-py \(group extra-tools\): in pyproject\.toml but not in the lock/);
});

describe('pnpm-lock.yaml', () => {
  it('splits peer-suffixed keys of 5.x, 6.0 and 9.0', () => {
    assert.deepEqual(splitPnpmKey('/@babel/core@7.24.0(supports-color@8.1.1)'), { name: '@babel/core', version: '7.24.0' });
    assert.deepEqual(splitPnpmKey('react-dom@18.2.0(react@18.2.0)'), { name: 'react-dom', version: '18.2.0' });
    assert.deepEqual(splitPnpmKey('/left-pad/1.3.0_react@18.2.0'), { name: 'left-pad', version: '1.3.0' });
  });

  for (const [c, section] of [['vite-v6', 'packages'], ['vite-v9', 'snapshots']] as const) {
    it(`${c}: one package per name@version, importers, spans, hashes from integrity`, () => {
      const text = read(`pnpm/${c}/pnpm-lock.yaml`);
      const r = parsePnpmLock('pnpm-lock.yaml', text);
      assert.deepEqual(r.findings, []);
      const d = r.data!;
      const doc = parseYaml(text) as Record<string, Record<string, unknown>>;
      assert.equal(d.importers.length, Object.keys(doc.importers!).length);
      const ids = new Set(Object.keys(doc[section]!).map((k) => { const s = splitPnpmKey(k)!; return `${s.name}@${s.version}`; }));
      assert.equal(d.packages.length, ids.size);
      for (const p of d.packages) {
        assert.ok(lineOf(text, p.span.line).includes(p.path!), `${p.path} at its line`);
        if (!p.source) assert.ok(p.hashes.some((h) => /^sha(1|512):[0-9a-f]+$/.test(h)), `${p.name} hashed`);
        assert.ok(p.groups.length > 0, `${p.path} reached from an importer`);
      }
    });
  }

  it('6.0: the dev scope derived from the importers agrees with the dev flag pnpm wrote', () => {
    const text = read('pnpm/vite-v6/pnpm-lock.yaml');
    const doc = parseYaml(text) as { packages: Record<string, { dev?: boolean }> };
    const d = parsePnpmLock('pnpm-lock.yaml', text).data!;
    let compared = 0;
    for (const p of d.packages) {
      const flag = doc.packages[p.path!]?.dev;
      if (flag === undefined) continue;
      compared++;
      assert.equal(p.dev, flag, p.path);
    }
    assert.ok(compared > 900);
  });

  it('edges resolve to the locked package (peer suffixes dropped from the constraint)', () => {
    const d = parsePnpmLock('pnpm-lock.yaml', read('pnpm/vite-v9/pnpm-lock.yaml')).data!;
    const ids = new Set(d.packages.map((p) => `${p.normalizedName}@${p.version}`));
    const edges = d.packages.flatMap((p) => p.dependencies);
    assert.ok(edges.length > 1000);
    // Workspace links (`link:packages/vite`) are the repository's own packages, not lock entries.
    const unresolved = edges.filter((e) => e.target === undefined && !e.constraint.startsWith('link:'));
    assert.deepEqual(unresolved, []);
    const resolved = edges.filter((e) => e.target !== undefined);
    for (const e of resolved) assert.ok(ids.has(e.target!));
    assert.ok(edges.every((e) => !e.constraint.includes('(')));
  });
});

describe('yarn.lock', () => {
  it('v1: every header descriptor, integrity and sha1 fallbacks, spans', () => {
    const text = read('yarn/prettier-v1/yarn.lock');
    const r = parseYarnLock('yarn.lock', text);
    assert.deepEqual(r.findings, []);
    const d = r.data!;
    assert.equal(d.flavor, 'v1');
    const headers = text.split('\n').filter((l) => /^[^\s#].*:$/.test(l));
    assert.equal(d.packages.length, headers.length);
    for (const p of d.packages) assert.ok(lineOf(text, p.span.line).includes(p.name), p.name);
    assert.ok(d.packages.filter((p) => p.hashes.length).length >= d.packages.length - 1);
    const pj = parsePackageJson('package.json', read('yarn/prettier-v1/package.json')).data!;
    for (const dep of pj.dependencies) assert.notEqual(d.descriptors[`${dep.name}@${dep.constraint}`], undefined, `${dep.name}@${dep.constraint}`);
    assignYarnScopes(d, [pj]);
    const jest = d.packages.find((p) => p.name === 'jest')!;
    assert.equal(jest.dev, true);
    const chalk = d.packages.find((p) => p.name === 'chalk' && p.version === '5.0.1')!;
    assert.equal(chalk.dev, false);
  });

  it('v1: a broken entry is a DW000 at its line, and the rest is still read', () => {
    const text = read('yarn/prettier-v1/yarn.lock');
    const lines = text.split('\n');
    const at = lines.findIndex((l) => l.startsWith('  version "'), 100);
    lines[at] = '      version "1.0.0"';
    const r = parseYarnLock('yarn.lock', lines.join('\n'));
    assert.equal(r.findings.length, 1);
    assert.equal(r.findings[0]!.ruleId, 'DW000');
    assert.equal(r.findings[0]!.location.line, at + 1);
    assert.equal(r.data!.packages.length, parseYarnLock('yarn.lock', text).data!.packages.length - 1);
  });

  it('berry: __metadata, resolutions, workspace entry, checksum kept as the lock integrity (not an artifact hash)', () => {
    const text = read('yarn/prettier-berry/yarn.lock');
    const r = parseYarnLock('yarn.lock', text);
    assert.deepEqual(r.findings, []);
    const d = r.data!;
    assert.equal(d.flavor, 'berry');
    assert.equal(d.metadataVersion, '10');
    const doc = parseYaml(text) as Record<string, unknown>;
    assert.equal(d.packages.length, Object.keys(doc).length - 1);
    assert.deepEqual(d.workspaces.map((w) => [w.name, w.path]), [['prettier', '.']]);
    const ws = d.packages.find((p) => p.workspace)!;
    assert.equal(ws.name, 'prettier');
    for (const p of d.packages) {
      assert.deepEqual(p.hashes, []);
      assert.ok(lineOf(text, p.span.line).includes(`${p.name}@`), p.name);
    }
    assert.ok(d.packages.filter((p) => p.integrity?.startsWith('10/')).length > 900);
    const patched = d.packages.filter((p) => p.resolved?.includes('@patch:'));
    assert.ok(patched.every((p) => p.version && !p.source));
    const pj = parsePackageJson('package.json', read('yarn/prettier-berry/package.json')).data!;
    assignYarnScopes(d, [pj]);
    assert.ok(d.packages.some((p) => p.dev) && d.packages.some((p) => !p.dev));
  });
});

describe('Pipfile and Pipfile.lock', () => {
  for (const c of ['pipenv', 'pipenv-examples']) {
    it(`${c}: the Pipfile hash Pipenv wrote is the one we compute; packages, hashes, markers, spans`, () => {
      const m = parsePipfile('Pipfile', read(`pipenv/${c}/Pipfile`));
      const lockText = read(`pipenv/${c}/Pipfile.lock`);
      const l = parsePipfileLock('Pipfile.lock', lockText);
      assert.deepEqual([...m.findings, ...l.findings], []);
      assert.equal(m.data!.hash, l.data!.hash);
      const doc = JSON.parse(lockText) as { default: object; develop: object };
      assert.equal(l.data!.packages.length, Object.keys(doc.default).length + Object.keys(doc.develop).length);
      for (const p of l.data!.packages) {
        assert.equal(lineOf(lockText, p.span.line).trim(), `"${p.name}": {`);
        assert.ok(p.hashes.length > 0);
        assert.equal(p.dev, p.groups[0] === 'develop');
      }
    });
  }

  it('a changed Pipfile no longer matches the lock hash; specs read with their markers and spans', () => {
    const text = read('pipenv/pipenv/Pipfile');
    const before = parsePipfile('Pipfile', text).data!;
    const after = parsePipfile('Pipfile', text.replace('pytz = "*"', 'pytz = "==2024.1"')).data!;
    assert.notEqual(before.hash, after.hash);
    const stdeb = before.dependencies.find((d) => d.name === 'stdeb')!;
    assert.equal(stdeb.markers, "sys_platform == 'linux'");
    assert.equal(stdeb.group, 'develop');
    assert.equal(lineOf(text, stdeb.span.line).split(' ')[0], 'stdeb');
    const click = before.dependencies.find((d) => d.name === 'click')!;
    assert.equal(text.slice(click.constraintSpan!.start, click.constraintSpan!.end), '==8.0.3');
    assert.equal(before.sources[0]!.url, 'https://pypi.org/simple');
  });
});
