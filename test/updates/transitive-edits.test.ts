import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { overrideEdit, poetryConstraintEdit } from '../../src/updates/apply.ts';
import type { TextEdit } from '../../src/model/update.ts';

/** The policy's fallback for a transitive fix the ranges forbid: minimal insertions, the file's own layout kept. */
const apply = (text: string, e: TextEdit): string => text.slice(0, e.start) + e.replacement + text.slice(e.end);

describe('forced transitive fixes', () => {
  it('npm: a new `overrides` object after the last key, or an entry in the existing one', () => {
    const plain = '{\n    "name": "w",\n    "dependencies": {\n        "a": "1.0.0"\n    }\n}\n';
    const out = apply(plain, overrideEdit('package.json', plain, 'held-dep', '^1.1.0'));
    assert.equal(out, '{\n    "name": "w",\n    "dependencies": {\n        "a": "1.0.0"\n    },\n    "overrides": {\n        "held-dep": "^1.1.0"\n    }\n}\n');
    const existing = '{\n  "name": "w",\n  "overrides": {\n    "x": "1"\n  }\n}\n';
    assert.deepEqual(JSON.parse(apply(existing, overrideEdit('package.json', existing, '@s/held', '^2.0.0'))).overrides, { '@s/held': '^2.0.0', x: '1' });
    const empty = '{\n  "overrides": {}\n}\n';
    assert.deepEqual(JSON.parse(apply(empty, overrideEdit('package.json', empty, 'h', '^1.0.0'))).overrides, { h: '^1.0.0' });
  });

  it('Yarn: the same in `resolutions`, which Yarn reads instead of npm\'s `overrides`', () => {
    const withOverrides = '{\n  "name": "w",\n  "overrides": {\n    "x": "1"\n  }\n}\n';
    const doc = JSON.parse(apply(withOverrides, overrideEdit('package.json', withOverrides, 'held-dep', '^1.1.0', 'resolutions')));
    assert.deepEqual(doc.resolutions, { 'held-dep': '^1.1.0' });
    assert.deepEqual(doc.overrides, { x: '1' });
    const existing = '{\n  "resolutions": {\n    "y": "2"\n  }\n}\n';
    assert.deepEqual(JSON.parse(apply(existing, overrideEdit('package.json', existing, 'h', '^1.0.0', 'resolutions'))).resolutions, { h: '^1.0.0', y: '2' });
  });

  it('Poetry: a constraint as the first entry of [tool.poetry.dependencies]; none without the table', () => {
    const text = '[tool.poetry]\nname = "a"\n\n[tool.poetry.dependencies]  # runtime\npython = "^3.11"\n';
    assert.equal(apply(text, poetryConstraintEdit('pyproject.toml', text, 'urllib3', '^2.2.2')), '[tool.poetry]\nname = "a"\n\n[tool.poetry.dependencies]  # runtime\nurllib3 = "^2.2.2"\npython = "^3.11"\n');
    assert.throws(() => poetryConstraintEdit('pyproject.toml', '[project]\nname = "a"\n', 'urllib3', '^2.2.2'), /no \[tool\.poetry\.dependencies\] table/);
  });
});
