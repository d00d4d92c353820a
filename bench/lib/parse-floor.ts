// The floor for `scan`: walk the tree, read every file depwarden would read and parse it with the same
// TOML/JSON/YAML parsers, doing nothing else. Run as a child: node bench/lib/parse-floor.ts <dir>
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';

const root = process.argv[2]!;
let n = 0;
const visit = (dir: string): void => {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules' && e.name !== '.git') visit(p);
      continue;
    }
    const text = readFileSync(p, 'utf8');
    if (e.name.endsWith('.toml') || e.name.endsWith('.lock')) parseToml(text);
    else if (e.name.endsWith('.json')) JSON.parse(text);
    else if (e.name.endsWith('.yml') || e.name.endsWith('.yaml')) parseYaml(text);
    else text.split('\n'); // Dockerfiles: a line split is what any reader does
    n++;
  }
};
visit(root);
process.stdout.write(`${n}\n`);
