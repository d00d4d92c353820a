import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { it } from 'node:test';
import { generatedFiles } from '../../src/docs/generated.ts';
import { allRules } from '../../src/rules/all-rules.ts';

const root = path.resolve(import.meta.dirname, '..', '..');

it('docs generated from code are up to date (run `npm run docs`)', () => {
  for (const [rel, text] of Object.entries(generatedFiles())) assert.equal(readFileSync(path.join(root, rel), 'utf8'), text, rel);
});

it('rule ids are unique and well-formed', () => {
  const ids = allRules().map((r) => r.id);
  assert.equal(new Set(ids).size, ids.length);
  for (const id of ids) assert.match(id, /^DW\d{3}$/);
});
