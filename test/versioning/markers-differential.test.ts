import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { evaluateMarker, linuxEnvironments, type MarkerEnv, parseMarker } from '../../src/versioning/markers.ts';
import { CORPUS } from '../helpers/corpus.ts';
import { needTool } from '../helpers/system-tool.ts';

const NO_PYTHON = needTool('python3', 'apt-get install python3 python3-packaging', ['-c', 'import packaging'], { mustSucceed: true });

const ENVS: MarkerEnv[] = [
  ...linuxEnvironments(['3.9', '3.12']),
  { ...linuxEnvironments(['3.11'])[0]!, sys_platform: 'win32', os_name: 'nt', platform_system: 'Windows', platform_machine: 'AMD64', extra: 'dev' },
  { ...linuxEnvironments(['3.13'])[0]!, sys_platform: 'darwin', platform_system: 'Darwin', platform_machine: 'arm64', platform_python_implementation: 'PyPy', implementation_name: 'pypy', extra: 'socks' },
];

/** packaging's Marker.evaluate for every (marker, environment) pair, in one Python process. */
function reference(markers: string[]): boolean[][] {
  const py = `
import json, sys
from pip._vendor.packaging.markers import Marker
data = json.load(sys.stdin)
print(json.dumps([[Marker(m).evaluate(e) for e in data['envs']] for m in data['markers']]))`;
  return JSON.parse(execFileSync('python3', ['-c', py], { input: JSON.stringify({ markers, envs: ENVS }), encoding: 'utf8', maxBuffer: 1 << 28 })) as boolean[][];
}

const q = (s: string): string => `"${s}"`;
const cmp = fc.oneof(
  fc.tuple(fc.constantFrom('python_version', 'python_full_version', 'implementation_version'), fc.constantFrom('<', '<=', '>', '>=', '==', '!=', '~='), fc.constantFrom('3.8', '3.9', '3.10', '3.11', '3.12', '3.12.0', '3.13', '3', '3.11.*'))
    .filter(([, op, v]) => !(v.endsWith('*') && op !== '==' && op !== '!=') && !(op === '~=' && !v.includes('.')))
    .map(([a, op, v]) => `${a} ${op} ${q(v)}`),
  fc.tuple(fc.constantFrom('sys_platform', 'os_name', 'platform_system', 'platform_machine', 'platform_python_implementation', 'implementation_name'), fc.constantFrom('==', '!='), fc.constantFrom('linux', 'win32', 'darwin', 'nt', 'posix', 'Linux', 'Windows', 'x86_64', 'aarch64', 'arm64', 'CPython', 'PyPy', 'cpython'))
    .map(([a, op, v]) => `${a} ${op} ${q(v)}`),
  fc.tuple(fc.constantFrom('sys_platform', 'platform_machine'), fc.constantFrom('in', 'not in'), fc.constantFrom('linux win32', 'x86_64 AMD64', 'darwin')).map(([a, op, v]) => `${a} ${op} ${q(v)}`),
  fc.tuple(fc.constantFrom('==', '!='), fc.constantFrom('dev', 'socks', 'test')).map(([op, v]) => `extra ${op} ${q(v)}`),
);
const marker: fc.Arbitrary<string> = fc.letrec((tie) => ({
  m: fc.oneof({ depthSize: 'small', withCrossShrink: true }, cmp, fc.tuple(tie('m'), fc.constantFrom('and', 'or'), tie('m')).map(([a, op, b]) => `(${a as string}) ${op} ${b as string}`)),
})).m as fc.Arbitrary<string>;

describe('PEP 508 markers against packaging', { skip: NO_PYTHON }, () => {
  it('2,000 generated markers x 6 environments agree', () => {
    const markers = fc.sample(marker, { numRuns: 2000, seed: 5 });
    const ref = reference(markers);
    const bad = markers.flatMap((m, i) => ENVS.map((e, j) => [m, j] as const).filter(([, j]) => evaluateMarker(parseMarker(m), ENVS[j]!) !== ref[i]![j]).map(([mm, j]) => `${mm} @env${j}`));
    assert.deepEqual(bad.slice(0, 10), []);
  });

  it('every marker in the corpus locks parses and agrees', () => {
    const markers = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'poetry.lock') for (const m of readFileSync(p, 'utf8').matchAll(/markers = "((?:[^"\\]|\\.)*)"/g)) markers.add(m[1]!.replace(/\\"/g, '"'));
      }
    };
    walk(CORPUS);
    const list = [...markers].sort();
    assert.ok(list.length > 100, `${list.length} markers`);
    const ref = reference(list);
    const bad = list.flatMap((m, i) => ENVS.map((_, j) => j).filter((j) => evaluateMarker(parseMarker(m), ENVS[j]!) !== ref[i]![j]).map((j) => `${m} @env${j}`));
    assert.deepEqual(bad.slice(0, 10), []);
  });

  it('syntax errors are errors, not guesses', () => {
    assert.throws(() => parseMarker('python_version <'), /expected a variable/);
    assert.throws(() => parseMarker('colour == "red"'), /unknown marker variable/);
  });
});
