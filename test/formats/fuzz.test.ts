import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseCompose } from '../../src/formats/compose.ts';
import { parseDockerfile } from '../../src/formats/dockerfile.ts';
import { parseWorkflow } from '../../src/formats/gha-workflow.ts';
import type { ParseContext } from '../../src/formats/index.ts';
import { parsePackageJson } from '../../src/formats/package-json.ts';
import { parsePackageLock } from '../../src/formats/package-lock.ts';
import { parsePoetryLock } from '../../src/formats/poetry-lock.ts';
import { parsePyproject } from '../../src/formats/pyproject.ts';
import { parsePipfile, parsePipfileLock } from '../../src/formats/pipfile.ts';
import { parsePnpmLock } from '../../src/formats/pnpm-lock.ts';
import { parseRequirements } from '../../src/formats/requirements.ts';
import { parseUvLock } from '../../src/formats/uv-lock.ts';
import { parseYarnLock } from '../../src/formats/yarn-lock.ts';
import type { ParseResult } from '../../src/model/files.ts';
import { CORPUS } from '../helpers/corpus.ts';

const ctx: ParseContext = { exists: () => false, readText: () => undefined };

/** Each parser called directly (not through the dispatcher's safety net), with a real corpus seed file. */
const PARSERS: { name: string; seed: string; parse: (text: string) => ParseResult<unknown> }[] = [
  { name: 'pyproject', seed: 'poetry/Textualize__rich/pyproject.toml', parse: (t) => parsePyproject('f', t) },
  { name: 'poetry-lock', seed: 'poetry/python-poetry__poetry-plugin-export/poetry.lock', parse: (t) => parsePoetryLock('f', t) },
  { name: 'requirements', seed: 'requirements/sigstore__sigstore-python__install/requirements.txt', parse: (t) => parseRequirements('f', t, ctx) },
  { name: 'package-json', seed: 'npm/tj__commander.js/package.json', parse: (t) => parsePackageJson('f', t) },
  { name: 'package-lock', seed: 'npm/tj__commander.js__v1/package-lock.json', parse: (t) => parsePackageLock('f', t) },
  { name: 'dockerfile', seed: 'docker/docker__buildx/Dockerfile', parse: (t) => parseDockerfile('f', t, { GO_VERSION: '1.23' }) },
  { name: 'compose', seed: 'compose/mozilla__treeherder/docker-compose.yml', parse: (t) => parseCompose('f', t, ctx) },
  { name: 'gha-workflow', seed: 'actions/ossf__scorecard/main.yml', parse: (t) => parseWorkflow('f', t) },
  // Our own real fixtures (test/fixtures/formats, see SOURCE.md); the large locks cut to their first 30 kB, so a mutation run stays fast.
  { name: 'uv-lock', seed: 'fixture:uv/langgraph-monorepo/uv.lock', parse: (t) => parseUvLock('f', t) },
  { name: 'pnpm-lock 9.0', seed: 'fixture:pnpm/vite-v9/pnpm-lock.yaml', parse: (t) => parsePnpmLock('f', t) },
  { name: 'pnpm-lock 6.0', seed: 'fixture:pnpm/vite-v6/pnpm-lock.yaml', parse: (t) => parsePnpmLock('f', t) },
  { name: 'yarn-lock v1', seed: 'fixture:yarn/prettier-v1/yarn.lock', parse: (t) => parseYarnLock('f', t) },
  { name: 'yarn-lock berry', seed: 'fixture:yarn/prettier-berry/yarn.lock', parse: (t) => parseYarnLock('f', t) },
  { name: 'pipfile', seed: 'fixture:pipenv/pipenv/Pipfile', parse: (t) => parsePipfile('f', t) },
  { name: 'pipfile-lock', seed: 'fixture:pipenv/pipenv-examples/Pipfile.lock', parse: (t) => parsePipfileLock('f', t) },
];

const FIXTURES = path.resolve(import.meta.dirname, '..', 'fixtures', 'formats');
function seedText(seed: string): string {
  if (!seed.startsWith('fixture:')) return readFileSync(path.join(CORPUS, seed), 'utf8');
  return readFileSync(path.join(FIXTURES, seed.slice('fixture:'.length)), 'utf8').slice(0, 30_000);
}

function checkResult(text: string, r: ParseResult<unknown>): void {
  assert.ok(r.data !== undefined || r.findings.length > 0, 'neither data nor a finding');
  const lines = text.split('\n').length;
  for (const f of r.findings) {
    assert.equal(f.ruleId === 'DW000' || f.ruleId.startsWith('DW'), true);
    assert.ok(f.location.line >= 1 && f.location.line <= lines + 1, `line ${f.location.line} outside 1..${lines}`);
    assert.ok(f.location.column >= 1);
  }
}

/** A mutation of a real file: truncate, splice a random slice elsewhere, flip bytes, insert junk. */
const mutation = (seed: string): fc.Arbitrary<string> =>
  fc.oneof(
    fc.nat(seed.length).map((n) => seed.slice(0, n)),
    fc.tuple(fc.nat(seed.length), fc.nat(seed.length), fc.nat(seed.length)).map(([a, b, c]) => seed.slice(0, c) + seed.slice(Math.min(a, b), Math.max(a, b)) + seed.slice(c)),
    fc.tuple(fc.nat(seed.length), fc.string({ minLength: 1, maxLength: 20 })).map(([at, junk]) => seed.slice(0, at) + junk + seed.slice(at + 1)),
    fc.array(fc.nat(Math.max(0, seed.length - 1)), { minLength: 1, maxLength: 8 }).map((idx) => {
      const chars = [...seed];
      for (const i of idx) chars[i] = String.fromCharCode((chars[i]?.charCodeAt(0) ?? 0) ^ 0x5a);
      return chars.join('');
    }),
  );

describe('parsers never throw on hostile input', () => {
  for (const p of PARSERS) {
    const seed = seedText(p.seed);
    it(`${p.name}: random text`, () => {
      fc.assert(fc.property(fc.string({ maxLength: 400, unit: 'binary' }), (t) => checkResult(t, p.parse(t))), { numRuns: 300, seed: 1 });
    });
    it(`${p.name}: mutated corpus file`, () => {
      fc.assert(fc.property(mutation(seed), (t) => checkResult(t, p.parse(t))), { numRuns: 150, seed: 2 });
    });
  }

  it('a YAML alias bomb is refused, not expanded', () => {
    const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]'];
    for (let i = 0; i < 9; i++) bomb.push(`${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [${Array(10).fill(`*${String.fromCharCode(97 + i)}`).join(',')}]`);
    bomb.push('services:\n  x:\n    image: *j');
    const r = parseCompose('compose.yaml', bomb.join('\n'), ctx);
    assert.equal(r.data, undefined);
    assert.match(r.findings[0]!.message, /alias/i);
  });
});
