import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parsePackageJson } from '../../src/formats/package-json.ts';
import { parsePackageLock } from '../../src/formats/package-lock.ts';

describe('JSON that parses but holds numbers/objects where versions belong is a DW000 with file:line (issue 20.12)', () => {
  it('package-lock v3: a numeric version, an object range, a non-object dependency map', () => {
    const text = `{
  "name": "x",
  "lockfileVersion": 3,
  "packages": {
    "": { "dependencies": { "a": "1.0.0" } },
    "node_modules/a": {
      "version": 1.5,
      "dependencies": { "b": { "evil": true } }
    },
    "node_modules/b": {
      "version": "2.0.0",
      "resolved": ["https://x"],
      "optionalDependencies": 7
    }
  }
}
`;
    const r = parsePackageLock('svc/package-lock.json', text);
    assert.deepEqual(
      r.findings.map((f) => `${f.ruleId} ${f.location.file}:${f.location.line} ${f.message}`),
      [
        'DW000 svc/package-lock.json:7 cannot parse svc/package-lock.json: packages["node_modules/a"].version is a number, not a string; ignored',
        'DW000 svc/package-lock.json:8 cannot parse svc/package-lock.json: packages["node_modules/a"].dependencies has a non-string range for "b"; ignored',
        'DW000 svc/package-lock.json:12 cannot parse svc/package-lock.json: packages["node_modules/b"].resolved is an array, not a string; ignored',
        'DW000 svc/package-lock.json:13 cannot parse svc/package-lock.json: packages["node_modules/b"].optionalDependencies is a number, not an object of version ranges; ignored',
      ],
    );
    assert.equal(r.data?.packages.length, 2, 'the rest of the lock is still read');
  });

  it('package-lock v1: a version object and a non-object entry', () => {
    const text = '{\n  "lockfileVersion": 1,\n  "dependencies": {\n    "a": { "version": {"x": 1} },\n    "b": 3\n  }\n}\n';
    const r = parsePackageLock('package-lock.json', text);
    assert.deepEqual(r.findings.map((f) => `${f.location.line} ${f.message.replace(/^cannot parse package-lock\.json: /, '')}`), ['4 dependencies["a"].version is an object, not a string; ignored', '5 dependencies["b"] is not an object']);
  });

  it('package.json: a numeric range and a dependency section that is an array', () => {
    const text = '{\n  "name": "x",\n  "dependencies": {\n    "left-pad": 1.3,\n    "ok": "1.0.0"\n  },\n  "devDependencies": ["jest"]\n}\n';
    const r = parsePackageJson('package.json', text);
    assert.deepEqual(r.findings.map((f) => `${f.location.line} ${f.message.replace(/^cannot parse package\.json: /, '')}`), ['4 dependencies.left-pad is a number, not a version range string; ignored', '7 devDependencies is not an object of name: range; ignored']);
    assert.deepEqual(r.data?.dependencies.map((d) => d.name), ['ok']);
  });
});
