// Export of the largest Poetry locks of the corpus: langgraph's docs lock (lock 2.1, 327 packages, 744 KB, read by
// group and marker) and private-gpt's (lock 2.0, 255 packages, 626 KB, walked from the project with every extra).
// In-process time of `exportRequirements` (median of 15 after one warm-up) and the whole CLI run (median of 5, peak
// memory). Run: node_modules/.bin/node bench/export.ts   (DEPWARDEN_CORPUS=<dir> when the corpus is not ../shared/corpus)
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { exportRequirements } from '../src/export/requirements.ts';
import { measure, median, NODE, REPO } from './lib/measure.ts';

const CORPUS = process.env.DEPWARDEN_CORPUS ?? path.resolve(REPO, '..', 'shared', 'corpus');
const load = (dir: string) => ({
  dir,
  pyprojectFile: 'pyproject.toml',
  pyprojectText: readFileSync(path.join(dir, 'pyproject.toml'), 'utf8'),
  lockFile: 'poetry.lock',
  lockText: readFileSync(path.join(dir, 'poetry.lock'), 'utf8'),
});
const LANGGRAPH = path.join(CORPUS, 'poetry', 'langchain-ai__langgraph', 'docs');
const PRIVATE_GPT = path.join(CORPUS, 'poetry', 'zylon-ai__private-gpt');
const lg = load(LANGGRAPH);
const pg = load(PRIVATE_GPT);
const groups = ['main', ...[...lg.pyprojectText.matchAll(/^\[tool\.poetry\.group\.([\w-]+)\.dependencies\]/gm)].map((m) => m[1]!)];
const extrasTable = pg.pyprojectText.split('[tool.poetry.extras]')[1]?.split('\n[')[0] ?? '';
const extras = [...extrasTable.matchAll(/^([\w-]+) =/gm)].map((m) => m[1]!);
const CASES = [
  ['langgraph docs (2.1), main, hashes', lg, {}],
  [`langgraph docs (2.1), all groups, without hashes`, lg, { groups, hashes: false }],
  [`private-gpt (2.0), all ${extras.length} extras, hashes`, pg, { extras }],
] as const;
for (const [label, project, opts] of CASES) {
  exportRequirements(project, opts);
  const times: number[] = [];
  let lines = 0;
  for (let i = 0; i < 15; i++) {
    const t = performance.now();
    const out = exportRequirements(project, opts);
    times.push(performance.now() - t);
    lines = out.split('\n').filter((l) => l && !l.startsWith(' ')).length;
  }
  console.log(`in-process, ${label}: median ${median(times).toFixed(1)} ms, ${lines} lines`);
}
const runs = Array.from({ length: 5 }, () => measure(NODE, ['bin/depwarden.js', 'export', LANGGRAPH, '--without-hashes', '--with', ...groups.filter((g) => g !== 'main')]));
console.log(`CLI, all groups: median ${median(runs.map((r) => r.ms)).toFixed(0)} ms wall, peak ${median(runs.map((r) => r.peakMb)).toFixed(0)} MB (exit ${runs[0]!.status})`);
