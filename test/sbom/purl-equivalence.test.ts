import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { PackageURL } from 'packageurl-js';
import { configSchema } from '../../src/config/schema.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { packageUrl, type PurlArgs, purlArgsOf, purlArgsOfAction, purlArgsOfImage } from '../../src/sbom/purl.ts';
import { CORPUS, corpusCases } from '../helpers/corpus.ts';

// packageurl-js is the oracle for src/sbom/purl.ts's packageUrl: the same string, or both refuse.

type Outcome = { ok: string } | { error: true };
const run = (f: () => string): Outcome => {
  try {
    return { ok: f() };
  } catch {
    return { error: true };
  }
};
const ours = (a: PurlArgs): Outcome => run(() => packageUrl(...a));
const oracle = (a: PurlArgs): Outcome => run(() => new PackageURL(...a).toString());

function same(a: PurlArgs, what: string): void {
  assert.deepEqual(ours(a), oracle(a), `${what}: ${JSON.stringify(a)}`);
}

describe('purls equal packageurl-js', () => {
  it('for every locked package, declaration, image and action of the corpus', async () => {
    let n = 0;
    for (const c of corpusCases()) {
      const inv = await buildInventory(path.join(CORPUS, c.dir), configSchema.parse({}));
      for (const s of inv.services) {
        for (const p of s.locked) {
          same(purlArgsOf(p, p.version), `${c.dir} ${p.name}`);
          n++;
        }
        for (const d of s.dependencies) {
          if (!d.name) continue;
          // The pinned version or none (model.ts); the raw constraint as a harder input.
          for (const v of ['', d.constraint]) same(purlArgsOf(d, v), `${c.dir} ${d.name}`);
          n++;
        }
        for (const img of s.images) {
          const a = purlArgsOfImage(img);
          if (a) same(a, `${c.dir} ${img.raw}`);
          n++;
        }
      }
      for (const act of inv.actions) {
        const a = purlArgsOfAction(act);
        if (a) same(a, `${c.dir} action`);
        n++;
      }
    }
    assert.ok(n > 5000, `only ${n} corpus items`);
  });

  it('for generated hostile input (whitespace, slashes, case, percent, unicode, lone surrogates, bad qualifier keys)', () => {
    // A fixed-seed generator: the same cases every run.
    let seed = 0x2545f491;
    const rnd = (k: number): number => {
      seed ^= seed << 13;
      seed ^= seed >>> 17;
      seed ^= seed << 5;
      return (seed >>> 0) % k;
    };
    const atoms = ['a', 'Z', '0', '9', '_', '-', '.', '..', '/', '//', ' ', '\t', '\u00a0', '\u2003', '\ufeff', '\u0085', '@', '?', '#', ':', '+', '%', '%20', '&', '=', '~', '!', '*', "'", '(', 'é', 'ß', 'İ', '日本', '😀', '\ud800', '\udc00', '"', '<', '\\', '$X', 'Foo_Bar', 'git+https://u:p@h/x'];
    const str = (max: number): string => Array.from({ length: rnd(max + 1) }, () => atoms[rnd(atoms.length)]).join('');
    const opt = (max: number): string | undefined => (rnd(5) === 0 ? undefined : str(max));
    const keys = ['repository_url', 'download_url', 'vcs_url', 'file_name', 'tag', 'platform', 'Tag', 'TAG', '9lives', 'a b', 'x.y-z_', '', 'ü'];
    const types = ['pypi', 'npm', 'docker', 'github'] as const;
    let refused = 0;
    for (let i = 0; i < 20000; i++) {
      let q: Record<string, string> | undefined;
      if (rnd(2)) {
        q = {};
        for (let j = rnd(4); j > 0; j--) q[keys[rnd(keys.length)]!] = str(6);
      }
      const a: PurlArgs = [types[rnd(types.length)]!, opt(5), str(6), opt(5), q, opt(6)];
      const o = oracle(a);
      if ('error' in o) refused++;
      assert.deepEqual(ours(a), o, JSON.stringify(a));
    }
    // Both accepting and refusing were exercised.
    assert.ok(refused > 100 && refused < 19900, `refused ${refused}`);
  });
});
