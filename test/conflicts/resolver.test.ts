import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { type PackageSource, solve } from '../../src/conflicts/resolver.ts';
import { satisfies } from '../../src/versioning/constraint.ts';

type Universe = Record<string, Record<string, Record<string, string>>>;
const sourceOf = (u: Universe): PackageSource => ({
  versions: (p) => Object.keys(u[p] ?? {}),
  dependencies: (p, v) => Object.entries(u[p]?.[v] ?? {}).map(([name, constraint]) => ({ name, constraint })),
  allows: (_p, c, v) => satisfies('pep440', c, v) === true,
});

/** Does any assignment (each package absent or at one version) satisfy everything? Exhaustive. */
function bruteForce(u: Universe, reqs: { name: string; constraint: string }[]): boolean {
  const pkgs = Object.keys(u);
  const choice = new Map<string, string | undefined>();
  const ok = (): boolean => {
    const allows = (n: string, c: string): boolean => {
      const v = choice.get(n);
      return v !== undefined && satisfies('pep440', c, v) === true;
    };
    if (!reqs.every((r) => allows(r.name, r.constraint))) return false;
    for (const [p, v] of choice) if (v !== undefined && !Object.entries(u[p]![v]!).every(([d, c]) => allows(d, c))) return false;
    return true;
  };
  const rec = (i: number): boolean => {
    if (i === pkgs.length) return ok();
    for (const v of [undefined, ...Object.keys(u[pkgs[i]!]!)]) {
      choice.set(pkgs[i]!, v);
      if (rec(i + 1)) return true;
    }
    return false;
  };
  return rec(0);
}

const VERSIONS = ['1.0', '1.1', '1.2', '2.0'];
const CONSTRAINTS = ['>=1.1', '<1.2', '==1.2', '>=2.0', '<2', '!=1.1', '>=1.0', '==1.0'];
const universe: fc.Arbitrary<Universe> = fc
  .array(fc.array(fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom(...CONSTRAINTS)), { maxLength: 2 }), { minLength: 4, maxLength: 4 }), { minLength: 5, maxLength: 5 })
  .map((pkgs) => {
    const u: Universe = {};
    pkgs.forEach((versions, i) => {
      u[`p${i}`] = {};
      versions.forEach((deps, j) => {
        const d: Record<string, string> = {};
        for (const [k, c] of deps) if (k !== i) d[`p${k}`] = c;
        u[`p${i}`]![VERSIONS[j]!] = d;
      });
    });
    return u;
  });

describe('PubGrub resolver', () => {
  it('agrees with exhaustive search on 400 random universes, and its solutions are valid', () => {
    fc.assert(
      fc.property(universe, fc.array(fc.tuple(fc.integer({ min: 0, max: 4 }), fc.constantFrom(...CONSTRAINTS)), { minLength: 1, maxLength: 3 }), (u, rq) => {
        const reqs = rq.map(([i, c]) => ({ name: `p${i}`, constraint: c }));
        const r = solve(sourceOf(u), reqs);
        assert.equal(r.ok, bruteForce(u, reqs));
        if (r.ok) {
          for (const q of reqs) assert.equal(satisfies('pep440', q.constraint, r.solution.get(q.name)!), true);
          for (const [p, v] of r.solution) for (const [d, c] of Object.entries(u[p]![v]!)) assert.equal(satisfies('pep440', c, r.solution.get(d) ?? 'none'), true, `${p} ${v} -> ${d} ${c}`);
        } else assert.ok(r.explanation.length > 0);
      }),
      { numRuns: 400, seed: 3 },
    );
  });

  it('explains a diamond with no solution in terms of who needs what', () => {
    const u: Universe = {
      'shared-lib': { '1.3': { pydantic: '<2' }, '1.4': { pydantic: '>=2.5' } },
      'auth-lib': { '2.0': { pydantic: '<2' } },
      pydantic: { '1.10.13': {}, '2.5.0': {}, '2.7.1': {} },
    };
    const r = solve(sourceOf(u), [
      { name: 'shared-lib', constraint: '>=1.4', from: 'agent-x' },
      { name: 'auth-lib', constraint: '==2.0', from: 'agent-y' },
    ]);
    assert.equal(r.ok, false);
    if (r.ok) return;
    assert.match(r.explanation, /shared-lib 1\.4 depends on pydantic >=2\.5/);
    assert.match(r.explanation, /auth-lib 2\.0 depends on pydantic <2/);
    assert.match(r.explanation, /agent-x needs shared-lib >=1\.4/);
    assert.match(r.explanation, /So the constraints have no solution\.$/);
  });

  it('picks the newest versions that agree', () => {
    const u: Universe = { a: { '1.0': { c: '<2' }, '2.0': { c: '>=2' } }, b: { '1.0': { c: '<2' } }, c: { '1.0': {}, '1.5': {}, '2.0': {} } };
    const r = solve(sourceOf(u), [{ name: 'a', constraint: '>=1.0' }, { name: 'b', constraint: '>=1.0' }]);
    assert.ok(r.ok);
    if (r.ok) assert.deepEqual([...r.solution].sort(), [['a', '1.0'], ['b', '1.0'], ['c', '1.5']]);
  });
});
