import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { exportRequirements, type ExportOptions } from '../../src/export/requirements.ts';
import { evaluateMarker, parseMarker, type MarkerEnv } from '../../src/versioning/markers.ts';

/**
 * Differential test against real `poetry export` output: each fixture is a public repository's pyproject.toml,
 * poetry.lock and the requirements file its pre-commit hook or CI generated from them at the same commit
 * (test/fixtures/export/<case>/SOURCE). Ordering and whitespace are normalised; markers are compared by meaning,
 * evaluated over a grid of Python versions, platforms and implementations (docs/export.md says why).
 */
const FIXTURES = path.join(import.meta.dirname, '../fixtures/export');

// `onlyPoetry`: packages Poetry wrote and depwarden deliberately does not (each explained in docs/export.md).
const CASES: { dir: string; file: string; opts: ExportOptions; onlyPoetry?: string[] }[] = [
  { dir: 'edkrueger-poetry-package-template-gemfury', file: 'requirements.txt', opts: { hashes: false } },
  { dir: 'whitfieldsdad-edgescan-client', file: 'requirements.txt', opts: { hashes: false } },
  { dir: 'pmiddend-amarcord', file: 'requirements.txt', opts: { hashes: false } },
  { dir: 'pmiddend-amarcord', file: 'requirements-dev.txt', opts: { hashes: false, groups: ['main', 'dev'] } },
  { dir: 'owl-corp-python-template-2.0', file: 'main-requirements.txt', opts: {} },
  { dir: 'owl-corp-python-template-1.1', file: 'main-requirements.txt', opts: {} },
  // The repository reproduces a Poetry bug: an optional main dependency that the dev group also requires is exported
  // by `--only main` without its extra being asked for. depwarden leaves it (and typing-extensions, which only it needs) out.
  { dir: 'aucampia-issue-20230108-poetry_export', file: 'requirements.txt', opts: { hashes: false }, onlyPoetry: ['pydantic', 'typing-extensions'] },
];

export interface Entry {
  spec: string;
  marker: string;
  hashes: string[];
}
/** A requirements file as name -> entry (continuations joined, options kept apart). */
export function entries(text: string): { options: string[]; pins: Map<string, Entry> } {
  const options: string[] = [];
  const pins = new Map<string, Entry>();
  for (const raw of text.replace(/\\\n/g, ' ').split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    if (line.startsWith('--')) {
      options.push(line.replace(/\s+/g, ' '));
      continue;
    }
    const hashes = [...line.matchAll(/--hash=(\S+)/g)].map((m) => m[1]!).sort();
    const req = line.replace(/\s*--hash=\S+/g, '');
    const [spec, marker = ''] = req.split(/\s*;\s*/, 2) as [string, string?];
    const name = spec.split(/[=@ ]/)[0]!.toLowerCase().replace(/[-_.]+/g, '-');
    pins.set(name, { spec: spec.replace(/\s+/g, ' ').replace(/^([^\[=@ ]+)/, (n) => n.toLowerCase().replace(/[-_.]+/g, '-')), marker: marker.trim(), hashes });
  }
  return { options, pins };
}

const PY = ['2.7.18', '3.5.10', '3.6.0', '3.6.1', '3.6.15', '3.7.0', '3.7.17', '3.8.0', '3.8.10', '3.9.0', '3.9.18', '3.10.0', '3.10.13', '3.11.0', '3.11.2', '3.11.3', '3.11.9', '3.12.0', '3.12.4', '3.13.0', '3.13.2', '3.14.0', '4.0.0'];
const PLATFORMS = [
  { sys_platform: 'linux', platform_system: 'Linux', os_name: 'posix', platform_machine: 'x86_64' },
  { sys_platform: 'linux', platform_system: 'Linux', os_name: 'posix', platform_machine: 'aarch64' },
  { sys_platform: 'darwin', platform_system: 'Darwin', os_name: 'posix', platform_machine: 'arm64' },
  { sys_platform: 'win32', platform_system: 'Windows', os_name: 'nt', platform_machine: 'AMD64' },
];
export const GRID: MarkerEnv[] = PY.flatMap((full) =>
  PLATFORMS.flatMap((p) =>
    ['CPython', 'PyPy'].map((impl) => ({ ...p, python_full_version: full, python_version: full.split('.').slice(0, 2).join('.'), platform_python_implementation: impl, implementation_name: impl.toLowerCase(), platform_release: '', platform_version: '', implementation_version: full, extra: '' })),
  ),
);
export function sameMeaning(a: string, b: string): string | undefined {
  const ma = a ? parseMarker(a) : undefined;
  const mb = b ? parseMarker(b) : undefined;
  for (const env of GRID) {
    const x = ma ? evaluateMarker(ma, env) : true;
    const y = mb ? evaluateMarker(mb, env) : true;
    if (x !== y) return `differs at python ${env.python_full_version} ${env.sys_platform} ${env.platform_python_implementation}: ours ${x}, poetry's ${y}`;
  }
  return undefined;
}

for (const c of CASES) {
  test(`export matches poetry export: ${c.dir}/${c.file}`, () => {
    const dir = path.join(FIXTURES, c.dir);
    const ours = exportRequirements(
      { dir, pyprojectFile: 'pyproject.toml', pyprojectText: readFileSync(path.join(dir, 'pyproject.toml'), 'utf8'), lockFile: 'poetry.lock', lockText: readFileSync(path.join(dir, 'poetry.lock'), 'utf8') },
      c.opts,
    );
    const a = entries(ours);
    const b = entries(readFileSync(path.join(dir, c.file), 'utf8'));
    for (const name of c.onlyPoetry ?? []) {
      assert.ok(b.pins.delete(name), `${name} is in poetry's file`);
      assert.ok(!a.pins.has(name), `${name} is not in ours`);
    }
    assert.deepEqual(a.options, b.options);
    assert.deepEqual([...a.pins.keys()].sort(), [...b.pins.keys()].sort());
    for (const [name, theirs] of b.pins) {
      const mine = a.pins.get(name)!;
      assert.equal(mine.spec, theirs.spec, name);
      assert.deepEqual(mine.hashes, theirs.hashes, `${name} hashes`);
      const why = sameMeaning(mine.marker, theirs.marker);
      assert.equal(why, undefined, `${name}: \`${mine.marker}\` vs \`${theirs.marker}\`: ${why}`);
    }
  });
}
