// `npm run test:area -- test/rules/ [test/x/y.test.ts ...]`: runs the tests of one or more areas on the Node that
// runs this script (npm puts node_modules/.bin first on PATH, so that is the pinned Node 24 whatever the
// machine's node is). `node --test` takes files and globs, not folders: a folder becomes `<folder>/**/*.test.ts`.
import { spawnSync } from 'node:child_process';
import { statSync } from 'node:fs';

const args = process.argv.slice(2);
const flags = args.filter((a) => a.startsWith('-'));
const targets = args.filter((a) => !a.startsWith('-'));
if (!targets.length) {
  process.stderr.write('usage: npm run test:area -- <test folder or file>... (e.g. test/rules/)\n');
  process.exit(2);
}
const patterns = targets.map((t) => {
  try {
    if (statSync(t).isDirectory()) return `${t.replace(/\/+$/, '')}/**/*.test.ts`;
  } catch {
    // not a path: passed through as a glob
  }
  return t;
});
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=2', ...flags, ...patterns], { stdio: 'inherit' });
process.exit(r.status ?? 1);
