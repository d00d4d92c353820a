import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { CORPUS, corpusCases } from '../helpers/corpus.ts';
import { runCli } from '../helpers/run-cli.ts';

interface ScanJson {
  schemaVersion: number;
  files: { path: string; kind: string; parsed: boolean; lockedPackages?: number }[];
  services: { name: string; root: string }[];
}

/** Ground truth was counted independently (tomllib / a recursive JSON walk); see corpus README. */
describe('scan --format json on every corpus case', () => {
  for (const c of corpusCases()) {
    it(`${c.dir}: locked package counts equal INDEX.tsv`, async () => {
      const r = await runCli(['scan', path.join(CORPUS, c.dir), '--format', 'json']);
      assert.equal(r.code, 0, r.stderr);
      const doc = JSON.parse(r.stdout) as ScanJson;
      assert.equal(doc.schemaVersion, 1);
      const byPath = new Map(doc.files.map((f) => [f.path, f]));
      let checked = 0;
      for (const [file, truth] of c.truth) {
        if (!/(^|\/)(poetry\.lock|package-lock\.json)$/.test(file)) continue;
        const expected = Number(/^(\d+)/.exec(truth)?.[1]);
        const got = byPath.get(file);
        assert.ok(got, `${file} not reported by scan`);
        assert.equal(got.parsed, true, `${file} did not parse`);
        assert.equal(got.lockedPackages, expected, `${file}: ${truth}`);
        checked++;
      }
      // Every case with a lock in its ground truth was checked; the others still scanned without crashing.
      assert.equal(checked, [...c.truth.keys()].filter((f) => /(poetry\.lock|package-lock\.json)$/.test(f)).length);
    });
  }
});
