import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { isExactPin, poetrySatisfies } from '../../src/sbom/versioning.ts';
import * as constraint from '../../src/versioning/constraint.ts';
import { CORPUS, corpusCases } from '../helpers/corpus.ts';

// src/sbom/versioning.ts restates constraint.ts's answers for Poetry and PEP 440 without loading node-semver:
// constraint.ts is the oracle.

const SYNTAXES = ['pep440', 'poetry', 'npm', 'none'] as const;
const EXTRA = ['', '*', '1.2.3', '==1.2.3', '=1.2.3', '===1.2.3', '== 1.2.3', '^1.2', '~1.2.3', '>=1,<2', '>= 1.2, < 2', '1.2.*', '==1.2.*', '1.2 || 2.0', '>=1.0 <2.0', 'not a version', '==1.2.3;python_version<"3.8"', '!=1.5', '^0.0.3', 'latest', 'v1.2.3', '  1.0  ', 'npm:foo@1.2.3', 'npm:@s/p@=2.0.0', '=1.2.3-beta.1', 'x', '1.x', '01.2.3', '1.2.3 - 2.0.0'];
const VERSIONS = ['1.2.3', '1.2.0', '0.0.3', '2.0', '1.5', '1.0.0rc1', '2.0.0.dev1', 'not-a-version', '1!2.0', '1.2.3+local'];

describe('SBOM version rules equal src/versioning/constraint.ts', () => {
  it('on every edge constraint and locked version, and every declaration, of the corpus', async () => {
    let n = 0;
    for (const c of corpusCases()) {
      const inv = await buildInventory(path.join(CORPUS, c.dir), configSchema.parse({}));
      for (const s of inv.services) {
        const versions = [...new Set(s.locked.map((p) => p.version))];
        for (const p of s.locked) {
          for (const e of p.dependencies) {
            // The versions of that name locked here (what graph.ts asks), and a sample of the lock's others.
            const own = s.locked.filter((q) => q.normalizedName === e.normalizedName).map((q) => q.version);
            for (const v of [...own, ...versions.slice(0, 5)]) {
              assert.equal(poetrySatisfies(e.constraint, v), constraint.satisfies('poetry', e.constraint, v), `${e.constraint} ${v}`);
              n++;
            }
          }
        }
        for (const d of s.dependencies) {
          for (const syntax of SYNTAXES) assert.equal(isExactPin(syntax, d.constraint), constraint.isExactPin(syntax, d.constraint), `${syntax} ${d.constraint}`);
          n++;
        }
      }
    }
    assert.ok(n > 5000, `only ${n} questions`);
  });

  it('on hand-picked constraints and versions', () => {
    for (const k of EXTRA) {
      for (const syntax of SYNTAXES) assert.equal(isExactPin(syntax, k), constraint.isExactPin(syntax, k), `${syntax} ${k}`);
      for (const v of VERSIONS) assert.equal(poetrySatisfies(k, v), constraint.satisfies('poetry', k, v), `${k} ${v}`);
    }
  });
});
