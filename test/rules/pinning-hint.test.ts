import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/** DW001's hint names the version the lock holds, in the manifest's own syntax (issue 19, item 5). */
describe('DW001 hint', () => {
  it('package.json and Poetry tables get the pin to paste, from their lock; without a lock the generic hint', async () => {
    const root = writeTree({
      'web/package.json': '{"name":"web","version":"1.0.0","dependencies":{"ioredis":"^4.28.3"}}\n',
      'web/package-lock.json': '{"name":"web","lockfileVersion":3,"requires":true,"packages":{"":{"name":"web","dependencies":{"ioredis":"^4.28.3"}},"node_modules/ioredis":{"version":"4.28.5","resolved":"https://registry.npmjs.org/ioredis/-/ioredis-4.28.5.tgz","integrity":"sha512-AAAA"}}}\n',
      'agent/pyproject.toml': '[tool.poetry]\nname = "agent"\nversion = "0.1.0"\ndescription = ""\nauthors = []\n\n[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "^2.31"\n',
      'agent/poetry.lock': '[[package]]\nname = "requests"\nversion = "2.32.3"\ndescription = ""\noptional = false\npython-versions = ">=3.8"\nfiles = [{file = "requests-2.32.3.tar.gz", hash = "sha256:55365417734eb18255590a9ff9eb97e9e1da868d4ccd6402399eaf68af20a760"}]\n\n[metadata]\nlock-version = "2.0"\npython-versions = "^3.11"\ncontent-hash = "0"\n',
      'tool/requirements.txt': 'httpx>=0.27\n',
      'web/Dockerfile': 'FROM node:22-bookworm\n',
    });
    const r = await runCli(['check', root, '--format', 'json', '--fail-on', 'critical']);
    const hints = Object.fromEntries((JSON.parse(r.stdout) as { findings: { ruleId: string; file: string; hint: string }[] }).findings.filter((f) => f.ruleId === 'DW001').map((f) => [f.file, f.hint]));
    assert.equal(hints['web/package.json'], 'Pin it to the version web/package-lock.json holds: "ioredis": "4.28.5".');
    assert.equal(hints['agent/pyproject.toml'], 'Pin it to the version agent/poetry.lock holds: requests = "2.32.3".');
    assert.equal(hints['tool/requirements.txt'], 'No lock pins them: pin each to one exact version (e.g. httpx==<version>) and commit a lock (DW002).');
    // DW006 names the image itself, not an example of another.
    const dw006 = (JSON.parse(r.stdout) as { findings: { ruleId: string; hint: string }[] }).findings.find((f) => f.ruleId === 'DW006');
    assert.equal(dw006?.hint, 'Append the digest: `node:22-bookworm@sha256:<digest>` (keep the tag for readers; `depwarden update` writes both).');
  });
});
