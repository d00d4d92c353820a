import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import { classify, loadParsers, parseFile } from '../../src/formats/index.ts';
import type { ParsedData } from '../../src/model/files.ts';
import { CORPUS, corpusCases } from '../helpers/corpus.ts';

function parse(caseDir: string, rel: string): ParsedData {
  const abs = path.join(CORPUS, caseDir, rel);
  const kind = classify(rel);
  assert.ok(kind, `${rel} is not classified`);
  const r = parseFile(kind, rel, readFileSync(abs, 'utf8'), {
    exists: (p) => existsSync(path.join(CORPUS, caseDir, p)),
    readText: (p) => (existsSync(path.join(CORPUS, caseDir, p)) ? readFileSync(path.join(CORPUS, caseDir, p), 'utf8') : undefined),
  });
  assert.ok(r.data, `${rel}: ${r.findings.map((f) => f.message).join('; ')}`);
  return r.data;
}

const num = (re: RegExp, text: string): number | undefined => {
  const m = re.exec(text);
  return m ? Number(m[1]) : undefined;
};

/** Each format's records against the corpus's independent counts (INDEX.tsv ground_truth_counts). */
describe('format parsers agree with the corpus ground truth', () => {
  before(() => loadParsers(['pyproject', 'poetry-lock', 'requirements', 'package-json', 'package-lock', 'uv-lock', 'pnpm-lock', 'yarn-lock', 'pipfile', 'pipfile-lock', 'dockerfile', 'compose', 'gha-workflow']));
  for (const c of corpusCases()) {
    for (const [rel, truth] of c.truth) {
      if (!classify(rel)) continue; // dependabot.yml, renovate.json: not formats depwarden reads
      it(`${c.dir}/${rel}: ${truth.slice(0, 70)}`, () => {
        const d = parse(c.dir, rel);
        switch (d.kind) {
          case 'requirements': {
            assert.equal(d.requirements.length, num(/^(\d+) requirement lines/, truth));
            assert.equal(d.includes.filter((i) => i.kind === 'requirement').length, num(/(\d+) -r/, truth) ?? 0);
            assert.equal(d.includes.filter((i) => i.kind === 'constraint').length, num(/(\d+) -c/, truth) ?? 0);
            assert.equal(d.requirements.reduce((n, r) => n + (r.hashes?.length ?? 0), 0), num(/(\d+) --hash/, truth) ?? 0);
            break;
          }
          case 'poetry-lock': {
            assert.equal(d.packages.length, num(/^(\d+) \[\[package\]\]/, truth));
            assert.equal(d.lockVersion, /lock-version ([\d.]+)/.exec(truth)?.[1]);
            const sources = /sources ([\w:,]+)/.exec(truth)?.[1];
            const counts = new Map<string, number>();
            for (const p of d.packages) if (p.source && p.source.type !== 'registry') counts.set(p.source.type, (counts.get(p.source.type) ?? 0) + 1);
            const expected = new Map((sources ?? '').split(',').filter(Boolean).map((s) => [s.split(':')[0]!, Number(s.split(':')[1])] as [string, number]));
            assert.deepEqual(counts, expected);
            const distinct = num(/(\d+) distinct names/, truth);
            if (distinct !== undefined) assert.equal(new Set(d.packages.map((p) => p.normalizedName)).size, distinct);
            // Every file hash in the text is attributed to exactly one locked package (1.1's [metadata.files] included).
            const inText = readFileSync(path.join(CORPUS, c.dir, rel), 'utf8').match(/hash = "[a-z0-9]+:[0-9a-f]+"/g) ?? [];
            assert.equal(d.packages.reduce((n, p) => n + p.hashes.length, 0), new Set(inText).size);
            break;
          }
          case 'package-lock': {
            assert.equal(d.packages.length, num(/^(\d+) /, truth));
            const links = num(/(\d+) link:true/, truth);
            if (links !== undefined) assert.equal(d.packages.filter((p) => p.link).length, links);
            const ws = num(/(\d+) workspace\/local-path keys/, truth);
            if (ws !== undefined) assert.equal(d.packages.filter((p) => p.workspace).length, ws);
            const top = num(/(\d+) top-level/, truth);
            if (top !== undefined) assert.equal(d.packages.filter((p) => p.path === `node_modules/${p.name}`).length, top);
            break;
          }
          case 'dockerfile': {
            assert.equal(d.stages.length, num(/^(\d+) FROM/, truth));
            // The ground truth counts a FROM built from an ARG as external even when it resolves to a stage
            // (Dockerfile-pinned-arg: FROM dotnet-sdk-${SDK_VERSION}); depwarden resolves it.
            const argBuilt = (s: (typeof d.stages)[number]): boolean => s.from.raw.includes('$');
            assert.equal(d.stages.filter((s) => !s.from.scratch && (!s.from.stageRef || argBuilt(s))).length, num(/(\d+) external/, truth));
            assert.equal(d.stages.filter((s) => s.from.stageRef && !argBuilt(s)).length, num(/(\d+) stage refs/, truth));
            assert.equal(d.stages.filter((s) => s.from.scratch).length, num(/(\d+) scratch/, truth));
            break;
          }
          case 'compose': {
            assert.equal(d.services.length, num(/^(\d+) services/, truth));
            assert.equal(d.services.filter((s) => s.image).length, num(/(\d+) with image:/, truth));
            assert.equal(d.services.filter((s) => s.build).length, num(/(\d+) with build:/, truth));
            break;
          }
          case 'gha-workflow': {
            assert.equal(d.uses.length, num(/^(\d+) uses/, truth));
            assert.equal(d.uses.filter((u) => u.refKind === 'sha').length, num(/(\d+) SHA-pinned/, truth));
            assert.equal(d.uses.filter((u) => u.kind === 'local').length, num(/(\d+) local/, truth));
            assert.equal(d.uses.filter((u) => u.kind === 'docker').length, num(/(\d+) docker:/, truth));
            assert.equal(d.uses.filter((u) => u.refKind === 'tag' || u.refKind === 'branch').length, num(/(\d+) tag\/branch/, truth));
            break;
          }
          case 'pyproject': {
            const project = /\[project\] (\d+) deps, (\d+) optional-dep entries in (\d+) extras/.exec(truth);
            if (project) {
              assert.equal(d.dependencies.filter((x) => x.group === 'main' && x.constraintSyntax !== 'poetry').length, Number(project[1]));
              const optional = d.dependencies.filter((x) => x.group.startsWith('optional:'));
              assert.equal(optional.length, Number(project[2]));
              assert.equal(new Set(optional.map((x) => x.group)).size, Number(project[3]));
            }
            const poetryKeys = num(/\[tool\.poetry\.dependencies\] (\d+) keys/, truth);
            if (poetryKeys !== undefined && !project) {
              const names = new Set(d.dependencies.filter((x) => x.group === 'main').map((x) => x.name));
              assert.equal(names.size + (d.requiresPython ? 1 : 0), poetryKeys);
            }
            const groups = num(/(\d+) dependency-groups/, truth);
            if (groups !== undefined) assert.equal(new Set(d.dependencies.filter((x) => x.group.startsWith('dependency-group:')).map((x) => x.group)).size, groups);
            break;
          }
          default:
            break;
        }
      });
    }
  }
});
