import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { satisfies } from '../../src/versioning/constraint.ts';
import { ConstraintRewriteError, exactPin, rewriteConstraint, type RewriteSyntax } from '../../src/edit/constraint-rewrite.ts';

const r = (syntax: RewriteSyntax, c: string, next: string, strategy?: 'replace' | 'bump'): string | undefined => rewriteConstraint(syntax, c, undefined, next, strategy ? { strategy } : {});

describe('rewriteConstraint: exact pins keep their operator and spacing', () => {
  it('pep440, poetry, npm', () => {
    assert.equal(r('pep440', '==1.2.3', '1.3.0'), '==1.3.0');
    assert.equal(r('pep440', '== 1.2.3', '1.3.0'), '== 1.3.0');
    assert.equal(r('pep440', '===1.2.3', '1.3.0'), '===1.3.0');
    assert.equal(r('poetry', '1.2.3', '1.3.0'), '1.3.0');
    assert.equal(r('poetry', '==1.2.3', '2.0.0'), '==2.0.0');
    assert.equal(r('poetry', '=1.2', '1.2.1'), '=1.2.1');
    assert.equal(r('npm', '1.2.3', '1.2.4'), '1.2.4');
    assert.equal(r('npm', '=1.2.3', '1.2.4'), '=1.2.4');
    assert.equal(r('npm', 'v1.2.3', '1.2.4'), 'v1.2.4');
    assert.equal(r('npm', 'npm:left-pad@1.2.3', '1.3.0'), 'npm:left-pad@1.3.0');
    assert.equal(r('pep440', '==1.2.3', '1.2.3'), undefined);
  });
});

describe('rewriteConstraint: one-clause ranges', () => {
  it('in range: nothing to change (lock-only update)', () => {
    assert.equal(r('poetry', '^1.2', '1.9.0'), undefined);
    assert.equal(r('npm', '^1.2.3', '1.9.0'), undefined);
    assert.equal(r('npm', '~1.2.3', '1.2.9'), undefined);
    assert.equal(r('pep440', '~=1.2', '1.9'), undefined);
    assert.equal(r('pep440', '>=1.2', '7.0'), undefined);
    assert.equal(r('poetry', '*', '7.0'), undefined);
    assert.equal(r('npm', '*', '7.0.0'), undefined);
    assert.equal(r('npm', 'latest', '7.0.0'), undefined);
    assert.equal(r('pep440', '', '7.0'), undefined);
  });
  it('out of range: the operator and the number of components are kept', () => {
    assert.equal(r('poetry', '^1.2', '2.0.1'), '^2.0');
    assert.equal(r('poetry', '^1.2.3', '2.0.1'), '^2.0.1');
    assert.equal(r('poetry', '~1.2.3', '1.4.0'), '~1.4.0');
    assert.equal(r('poetry', '~1.2', '1.4.0'), '~1.4');
    assert.equal(r('poetry', '^0.2', '0.3.5'), '^0.3');
    assert.equal(r('pep440', '~=1.2', '2.0.1'), '~=2.0');
    assert.equal(r('pep440', '~=1.2.3', '1.4.0'), '~=1.4.0');
    assert.equal(r('pep440', '==1.2.*', '1.4.2'), '==1.4.*');
    assert.equal(r('npm', '^1.2.3', '2.0.1'), '^2.0.1');
    assert.equal(r('npm', '~1.2.3', '1.4.0'), '~1.4.0');
    assert.equal(r('npm', '^1.2', '2.0.1'), '^2.0');
    assert.equal(r('npm', '1.x', '2.3.0'), '2.x');
    assert.equal(r('npm', '1.2.x', '1.4.0'), '1.4.x');
    assert.equal(r('npm', '1.2', '1.4.0'), '1.4');
    assert.equal(r('npm', '~> 1.2', '1.4.0'), '~> 1.4');
  });
  it('bounds: upper bounds step at their last non-zero component; a broken lower bound follows a downgrade', () => {
    assert.equal(r('pep440', '<2', '2.0.1'), '<3');
    assert.equal(r('pep440', '<2.0.0', '2.0.1'), '<3.0.0');
    assert.equal(r('pep440', '<1.5', '1.7.2'), '<1.8');
    assert.equal(r('pep440', '<=1.5', '1.6.1'), '<=1.6.1');
    assert.equal(r('pep440', '>=1.4', '1.3.2'), '>=1.3');
    assert.equal(r('npm', '<2.0.0', '2.1.0'), '<3.0.0');
  });
  it('prereleases that truncation would lose are kept in full', () => {
    assert.equal(r('poetry', '^1.2', '2.0.0b1'), '^2.0.0b1');
    assert.equal(r('pep440', '~=1.2', '2.0rc1'), '~=2.0rc1');
    assert.equal(r('npm', '^1.2.0', '2.0.0-rc.1'), '^2.0.0-rc.1');
  });
  it('an exclusion the new version hits becomes an exact pin', () => {
    assert.equal(r('pep440', '!=1.2.3', '1.2.3'), '==1.2.3');
  });
});

describe('rewriteConstraint: compound ranges', () => {
  it('AND-ranges are widened by replacing the broken upper bound', () => {
    assert.equal(r('pep440', '>=1,<2', '2.0.1'), '>=1,<3');
    assert.equal(r('pep440', '>=1.0, <2.0', '2.3.0'), '>=1.0, <3.0');
    assert.equal(r('pep440', '>=1.0,<2.0,!=1.5.0', '2.3.0'), '>=1.0,<3.0,!=1.5.0');
    assert.equal(r('poetry', '>=7.5.1,<9', '9.0.2'), '>=7.5.1,<10');
    assert.equal(r('poetry', '>= 1.2 < 2', '2.0.0'), '>= 1.2 < 3');
    assert.equal(r('npm', '>=1.0.0 <2.0.0', '2.1.0'), '>=1.0.0 <3.0.0');
    assert.equal(r('npm', '1.0.0 - 2.0.0', '2.1.0'), '1.0.0 - 2.1.0');
    assert.equal(r('npm', '1 - 2', '3.0.1'), '1 - 3');
    assert.equal(r('pep440', '>=1,<2', '1.5'), undefined);
  });
  it('anything else that breaks gives an exact pin', () => {
    assert.equal(r('pep440', '>=1.4,<2', '1.3.0'), '==1.3.0');
    assert.equal(r('pep440', '>=1,<3,!=2.0.1', '2.0.1'), '==2.0.1');
    assert.equal(r('poetry', '^1.2,!=1.3.0', '2.0.0'), '2.0.0');
    assert.equal(r('npm', '>=1.4.0 <2.0.0', '1.3.0'), '1.3.0');
  });
  it('OR-ranges are widened by appending the last alternative, rewritten, with the same separator', () => {
    assert.equal(r('npm', '1.x || 2.x', '3.0.1'), '1.x || 2.x || 3.x');
    assert.equal(r('npm', '^1.0.0||^2.0.0', '3.1.0'), '^1.0.0||^2.0.0||^3.1.0');
    assert.equal(r('poetry', '^1.0 || ^2.0', '3.1.0'), '^1.0 || ^2.0 || ^3.1');
    assert.equal(r('poetry', '^1.0 | ^2.0', '3.1.0'), '^1.0 | ^2.0 | ^3.1');
    assert.equal(r('npm', '1.x || 2.x', '2.5.0'), undefined);
  });
});

describe('rewriteConstraint: bump strategy', () => {
  it('moves floors even in range, keeps upper bounds unless broken', () => {
    assert.equal(r('npm', '^1.2.0', '1.4.0', 'bump'), '^1.4.0');
    assert.equal(r('poetry', '^1.2', '1.4.5', 'bump'), '^1.4');
    assert.equal(r('pep440', '>=1.2', '1.4.5', 'bump'), '>=1.4');
    assert.equal(r('pep440', '>=1.0,<2.0', '1.4.5', 'bump'), '>=1.4,<2.0');
    assert.equal(r('pep440', '>=1.0,<2.0', '2.4.5', 'bump'), '>=2.4,<3.0');
    assert.equal(r('pep440', '>=1', '1.4.5', 'bump'), undefined);
    assert.equal(r('pep440', '==1.2.3', '1.2.4', 'bump'), '==1.2.4');
  });
});

describe('rewriteConstraint: unreadable input throws', () => {
  it('never answers "no change" for text it cannot read', () => {
    assert.throws(() => r('pep440', 'banana', '1.0'), ConstraintRewriteError);
    assert.throws(() => r('npm', '^1.0.0 banana', '1.0.0'), ConstraintRewriteError);
    assert.throws(() => r('pep440', '>=1.0', 'not a version'), ConstraintRewriteError);
  });
  it('exactPin spells pins per ecosystem', () => {
    assert.equal(exactPin('pep440', '1.0'), '==1.0');
    assert.equal(exactPin('poetry', '1.0'), '1.0');
    assert.equal(exactPin('npm', '1.0.0'), '1.0.0');
  });
});

describe('rewriteConstraint: properties', () => {
  const part = fc.integer({ min: 0, max: 12 });
  const ver = fc.tuple(part, part, part).map(([a, b, c]) => `${a}.${b}.${c}`);
  const short = fc.tuple(part, part).map(([a, b]) => `${a}.${b}`);
  const spec = (syntax: RewriteSyntax): fc.Arbitrary<string> => {
    const single = fc.oneof(
      fc.tuple(fc.constantFrom(...(syntax === 'pep440' ? ['==', '~=', '>=', '<', '<=', '>', '!='] : syntax === 'poetry' ? ['', '^', '~', '==', '>=', '<', '~='] : ['', '^', '~', '>=', '<', '<=', '='])), fc.oneof(ver, short)).map(([op, v]) => (op === '~=' && !v.includes('.') ? `${op}${v}.0` : `${op}${v}`)),
    );
    const sep = syntax === 'npm' ? ' ' : ',';
    const and = fc.tuple(fc.constantFrom('>=', '>'), ver, fc.constantFrom('<', '<='), ver).map(([a, x, b, y]) => `${a}${x}${sep}${b}${y}`);
    const alts = syntax === 'pep440' ? [single, and] : [single, and, fc.tuple(single, single).map(([x, y]) => `${x} || ${y}`)];
    return fc.oneof(...alts);
  };
  for (const syntax of ['pep440', 'poetry', 'npm'] as const) {
    it(`${syntax}: the result always admits the new version; undefined only when the constraint already does`, () => {
      fc.assert(
        fc.property(spec(syntax), ver, fc.constantFrom<'replace' | 'bump'>('replace', 'bump'), (c, next, strategy) => {
          const before = satisfies(syntax, c, next, { prereleases: true });
          fc.pre(before !== undefined);
          const out = rewriteConstraint(syntax, c, undefined, next, { strategy });
          if (out === undefined) assert.equal(before, true, `${c} → undefined for ${next}`);
          else assert.equal(satisfies(syntax, out, next, { prereleases: true }), true, `${c} → ${out} does not admit ${next}`);
        }),
        { numRuns: 3000 },
      );
    });
  }
});
