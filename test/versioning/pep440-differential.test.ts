import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { compareVersions, isValidVersion, satisfiesSpecifier } from '../../src/versioning/pep440.ts';
import { CORPUS, OSV_DATA } from '../helpers/corpus.ts';
import { needTool } from '../helpers/system-tool.ts';

const NO_PYTHON = needTool('python3', 'apt-get install python3 python3-packaging', ['-c', 'import packaging'], { mustSucceed: true });

/**
 * Differential tests against the reference implementation: `packaging` as pip vendors it on these machines
 * (pip._vendor.packaging). One Python process per batch, JSON in and out.
 */
function reference(op: 'valid' | 'compare' | 'contains', cases: unknown[]): unknown[] {
  const py = `
import json, sys
from pip._vendor.packaging.version import Version, InvalidVersion
from pip._vendor.packaging.specifiers import SpecifierSet
op = sys.argv[1]
out = []
for c in json.load(sys.stdin):
    if op == 'valid':
        try: Version(c); out.append(True)
        except InvalidVersion: out.append(False)
    elif op == 'compare':
        a, b = Version(c[0]), Version(c[1]); out.append((a > b) - (a < b))
    else:
        out.append(SpecifierSet(c[1]).contains(Version(c[0]), prereleases=True))
print(json.dumps(out))`;
  return JSON.parse(execFileSync('python3', ['-c', py, op], { input: JSON.stringify(cases), encoding: 'utf8', maxBuffer: 1 << 28 })) as unknown[];
}

const num = fc.integer({ min: 0, max: 12 });
const version = fc
  .record({
    epoch: fc.option(fc.integer({ min: 1, max: 2 }), { freq: 8 }),
    release: fc.array(num, { minLength: 1, maxLength: 4 }),
    pre: fc.option(fc.tuple(fc.constantFrom('a', 'b', 'rc', 'alpha', 'c', 'preview'), num), { freq: 3 }),
    post: fc.option(num, { freq: 4 }),
    dev: fc.option(num, { freq: 4 }),
    local: fc.option(fc.constantFrom('ubuntu.1', 'abc', '7', 'cpu.2'), { freq: 6 }),
  })
  .map((v) => `${v.epoch ? `${v.epoch}!` : ''}${v.release.join('.')}${v.pre ? `${v.pre[0]}${v.pre[1]}` : ''}${v.post !== null ? `.post${v.post}` : ''}${v.dev !== null ? `.dev${v.dev}` : ''}${v.local ? `+${v.local}` : ''}`);
const publicVersion = version.map((v) => v.replace(/\+.*$/, ''));
const specifier = fc.oneof(
  fc.tuple(fc.constantFrom('==', '!=', '<=', '>=', '<', '>'), publicVersion).map(([o, v]) => `${o}${v}`),
  fc.tuple(fc.constantFrom('==', '!='), fc.array(num, { minLength: 1, maxLength: 3 })).map(([o, r]) => `${o}${r.join('.')}.*`),
  fc.array(num, { minLength: 2, maxLength: 4 }).map((r) => `~=${r.join('.')}`),
  fc.tuple(fc.constantFrom('==', '<=', '>='), version).map(([o, v]) => `${o}${v}`),
);
const specSet = fc.array(specifier, { minLength: 1, maxLength: 3 }).map((s) => s.join(','));

function sample<T>(arb: fc.Arbitrary<T>, n: number, seed: number): T[] {
  return fc.sample(arb, { numRuns: n, seed });
}

describe('PEP 440 against packaging (the reference)', { skip: NO_PYTHON }, () => {
  it('ordering: 5,000 generated pairs agree', () => {
    const pairs = sample(fc.tuple(version, version), 5000, 11);
    const ref = reference('compare', pairs) as number[];
    const bad = pairs.filter((p, i) => Math.sign(compareVersions(p[0], p[1])) !== ref[i]);
    assert.deepEqual(bad.slice(0, 10), []);
  });

  it('specifier matching (prereleases allowed): 6,000 generated cases agree', () => {
    const cases = sample(fc.tuple(version, specSet), 6000, 12);
    // The reference rejects some generated specifiers (e.g. ~= with a local part): compare where it accepts.
    const ok = cases.filter(([, s]) => !/~=[^,]*\+|[<>]=?[^,]*\+/.test(s));
    const ref = reference('contains', ok) as boolean[];
    const bad = ok.filter(([v, s], i) => satisfiesSpecifier(v, s, { prereleases: true }) !== ref[i]).map(([v, s], i) => `${v} ${s} ours=${!ref[i]}`);
    assert.ok(ok.length > 4000, `only ${ok.length} cases`);
    assert.deepEqual(bad.slice(0, 10), []);
  });

  it('every version string of the corpus locks and the PyPA advisories: validity and order agree', () => {
    const versions = new Set<string>();
    const walk = (dir: string): void => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, e.name);
        if (e.isDirectory()) walk(p);
        else if (e.name === 'poetry.lock') for (const m of readFileSync(p, 'utf8').matchAll(/^version = "([^"]+)"/gm)) versions.add(m[1]!);
        else if (/requirements.*\.txt$/.test(e.name)) for (const m of readFileSync(p, 'utf8').matchAll(/^[A-Za-z0-9._-]+(?:\[[^\]]*\])?==([^\s;\\]+)/gm)) versions.add(m[1]!);
        else if (e.name.endsWith('.yaml') && dir.includes('vulns')) {
          for (const m of readFileSync(p, 'utf8').matchAll(/^\s*-\s+(?:introduced|fixed|last_affected|limit):\s*['"]?([^'"\s]+)|^\s+-\s+['"]?([^'"\s:]+)['"]?\s*$/gm)) versions.add((m[1] ?? m[2])!);
        }
      }
    };
    walk(CORPUS);
    walk(path.join(OSV_DATA, 'pypi', 'vulns'));
    const list = [...versions].sort();
    assert.ok(list.length > 10_000, `only ${list.length} versions`);
    const valid = reference('valid', list) as boolean[];
    const disagree = list.filter((v, i) => isValidVersion(v) !== valid[i]);
    assert.deepEqual(disagree, []);
    // Order: sort the valid ones with our comparison; adjacent pairs must agree with the reference.
    const ours = list.filter((_, i) => valid[i]).sort(compareVersions);
    const pairs = ours.slice(1).map((v, i) => [ours[i]!, v]);
    const ref = reference('compare', pairs) as number[];
    assert.deepEqual(pairs.filter((_, i) => ref[i] === 1), []);
  });
});
