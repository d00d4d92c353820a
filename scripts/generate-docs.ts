// Writes the files generated from code (rule catalogue, config schema). Run: npm run docs
import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { generatedFiles } from '../src/docs/generated.ts';

const root = path.resolve(import.meta.dirname, '..');
for (const [rel, text] of Object.entries(generatedFiles())) {
  mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
  writeFileSync(path.join(root, rel), text);
  console.log(`wrote ${rel}`);
}
