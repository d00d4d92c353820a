import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { classifyUpdate, isExactPin, satisfies } from '../../src/versioning/constraint.ts';
import { poetryToPep440 } from '../../src/versioning/poetry-constraint.ts';
import { satisfiesSpecifier } from '../../src/versioning/pep440.ts';

describe('versioning', () => {
  it('fixes around the library: across epochs only the order decides (found by the differential test)', () => {
    assert.equal(satisfiesSpecifier('2!2c0.post0.dev7+abc', '>2'), true);
    assert.equal(satisfiesSpecifier('2.0.post1', '>2'), false); // same epoch: post-releases of V stay excluded
  });

  it("Poetry's ^ and ~ as documented", () => {
    assert.deepEqual(poetryToPep440('^1.2.3'), ['>=1.2.3,<2']);
    assert.deepEqual(poetryToPep440('^0.2.3'), ['>=0.2.3,<0.3']);
    assert.deepEqual(poetryToPep440('^0.0.3'), ['>=0.0.3,<0.0.4']);
    assert.deepEqual(poetryToPep440('^0'), ['>=0,<1']);
    assert.deepEqual(poetryToPep440('~1.2.3'), ['>=1.2.3,<1.3']);
    assert.deepEqual(poetryToPep440('~1'), ['>=1,<2']);
    assert.deepEqual(poetryToPep440('>=1.2, <1.5 || 2.*'), ['>=1.2,<1.5', '==2.*']);
    assert.equal(poetryToPep440('bogus!'), undefined);
  });

  it('satisfies by syntax, never guessing on unreadable input', () => {
    assert.equal(satisfies('poetry', '^2.31', '2.32.3'), true);
    assert.equal(satisfies('poetry', '^2.31', '3.0.0'), false);
    assert.equal(satisfies('npm', '^1.2.0', '1.9.0'), true);
    assert.equal(satisfies('npm', '^1.2.0', '2.0.0-beta.1'), false);
    assert.equal(satisfies('pep440', '>=1', 'not a version'), undefined);
    assert.equal(satisfies('none', '', '1.0'), undefined);
  });

  it('exact pins and update types', () => {
    assert.equal(isExactPin('poetry', '2.32.3'), true);
    assert.equal(isExactPin('poetry', '^2.32'), false);
    assert.equal(isExactPin('pep440', '==1.0'), true);
    assert.equal(isExactPin('pep440', '==1.*'), false);
    assert.equal(isExactPin('npm', '1.2.3'), true);
    assert.equal(isExactPin('npm', '~1.2.3'), false);
    assert.equal(classifyUpdate('PyPI', '1.2.3', '1.2.4'), 'patch');
    assert.equal(classifyUpdate('PyPI', '1!1.0', '1!2.0'), 'major');
    assert.equal(classifyUpdate('npm', '1.2.3', '1.3.0'), 'minor');
    assert.equal(classifyUpdate('npm', '2.0.0', '1.9.9'), 'downgrade');
  });
});
