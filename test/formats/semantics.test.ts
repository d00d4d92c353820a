import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { interpolate, parseCompose } from '../../src/formats/compose.ts';
import { detectInstalls, parseDockerfile } from '../../src/formats/dockerfile.ts';
import { parseWorkflow } from '../../src/formats/gha-workflow.ts';
import { parsePackageJson } from '../../src/formats/package-json.ts';
import { parsePyproject } from '../../src/formats/pyproject.ts';
import { parseRequirements } from '../../src/formats/requirements.ts';
import type { SourceSpan } from '../../src/model/source.ts';

const slice = (text: string, s: SourceSpan | undefined): string => text.slice(s!.start!, s!.end!);
const span = { file: 'Dockerfile', line: 1, column: 1 };

describe('record spans point at the exact text an edit replaces', () => {
  it('pyproject: string, inline table, sub-table and PEP 621 constraints', () => {
    const text = `[project]\nname = "x"\ndependencies = [\n  "httpx>=0.27,<1",  # comment\n  "rich==13.7.1 ; python_version >= '3.9'",\n]\n\n[tool.poetry.dependencies]\npython = "^3.11"\nrequests = "^2.31"\npydantic = { version = "2.7.1", extras = ["email"] }\n\n[tool.poetry.dependencies.numpy]\nversion = "1.26.4"\n`;
    const d = parsePyproject('pyproject.toml', text).data!;
    const by = new Map(d.dependencies.map((x) => [x.name, x]));
    assert.equal(slice(text, by.get('httpx')!.constraintSpan), '>=0.27,<1');
    assert.equal(slice(text, by.get('rich')!.constraintSpan), '==13.7.1');
    assert.equal(by.get('rich')!.markers, "python_version >= '3.9'");
    assert.equal(slice(text, by.get('requests')!.constraintSpan), '^2.31');
    assert.equal(slice(text, by.get('pydantic')!.constraintSpan), '2.7.1');
    assert.equal(slice(text, by.get('numpy')!.constraintSpan), '1.26.4');
    assert.equal(d.requiresPython, '^3.11');
    assert.equal(by.get('requests')!.span.line, 10);
  });

  it('requirements: specifier, hashes, markers, includes resolved relative to the file', () => {
    const text = 'foo==1.2.3 ; python_version < "3.12" \\\n    --hash=sha256:aa \\\n    --hash=sha256:bb\n-r ../base.txt\n-c constraints.txt\n-e ./libs/shared[extra]\nbar @ https://example.test/bar-1.0.tar.gz\n';
    const d = parseRequirements('svc/requirements.txt', text, { exists: (p) => p === 'base.txt', readText: () => undefined }).data!;
    const foo = d.requirements[0]!;
    assert.equal(slice(text, foo.constraintSpan), '==1.2.3');
    assert.deepEqual(foo.hashes, ['sha256:aa', 'sha256:bb']);
    assert.equal(foo.markers, 'python_version < "3.12"');
    assert.deepEqual(d.includes.map((i) => [i.kind, i.resolvedPath, i.exists]), [['requirement', 'base.txt', true], ['constraint', 'svc/constraints.txt', false]]);
    assert.deepEqual(d.requirements.map((r) => [r.name, r.source?.type ?? 'registry', r.editable ?? false]), [['foo', 'registry', false], ['shared', 'directory', true], ['bar', 'url', false]]);
  });

  it('package.json: constraint spans and non-registry sources', () => {
    const text = '{\n  "dependencies": { "left-pad": "1.3.0", "lib": "file:../lib", "x": "github:o/r#abc" },\n  "devDependencies": { "left-pad": "^1.0.0" }\n}\n';
    const d = parsePackageJson('package.json', text).data!;
    assert.deepEqual(d.dependencies.map((x) => [x.name, x.group, x.source?.type ?? 'registry', slice(text, x.constraintSpan)]), [
      ['left-pad', 'main', 'registry', '1.3.0'],
      ['lib', 'main', 'directory', 'file:../lib'],
      ['x', 'main', 'git', 'github:o/r#abc'],
      ['left-pad', 'dev', 'registry', '^1.0.0'],
    ]);
  });
});

describe('Dockerfile', () => {
  it('substitutes ARGs (build args over defaults), finds stages, scratch and digests', () => {
    const text = `# escape=\\\nARG PY=3.11\nARG BASE\nFROM --platform=linux/amd64 python:\${PY}-slim AS build\nFROM \${BASE:-debian:12}@sha256:${'b'.repeat(64)}\nFROM build\nFROM scratch\nFROM $BASE\n`;
    const d = parseDockerfile('Dockerfile', text, { PY: '3.12' }).data!;
    assert.deepEqual(d.stages.map((s) => [s.from.resolved, s.from.tag ?? '', s.from.digest ? 'digest' : '', s.from.stageRef ?? false, s.from.scratch ?? false, s.from.unresolved.join()]), [
      ['python:3.12-slim', '3.12-slim', '', false, false, ''],
      [`debian:12@sha256:${'b'.repeat(64)}`, '12', 'digest', false, false, ''],
      ['build', '', '', true, false, ''],
      ['scratch', '', '', false, true, ''],
      ['', '', '', false, false, 'BASE'],
    ]);
    assert.equal(d.stages[0]!.from.platform, 'linux/amd64');
    assert.equal(d.stages[0]!.from.repository, 'library/python');
    assert.equal(slice(text, d.stages[0]!.from.refSpan), '${PY}-slim');
  });

  it('a malformed digest is a finding', () => {
    const r = parseDockerfile('Dockerfile', 'FROM python@sha256:1234\n');
    assert.equal(r.findings[0]?.ruleId, 'DW000');
  });

  it('detects installs that bypass the lock or are unpinned', () => {
    const pick = (cmd: string) => detectInstalls(cmd, span).map((i) => `${i.tool}:${i.bypassesLock ? 'bypass' : i.usesLock ? 'lock' : 'plain'}:${i.unpinned.join(',')}`);
    assert.deepEqual(pick('pip install --no-cache-dir -r requirements.txt --require-hashes'), ['pip:lock:']);
    assert.deepEqual(pick('pip install requests flask==3.0.0'), ['pip:plain:requests']);
    assert.deepEqual(pick('python -m pip install "poetry==1.8.3" && poetry install --no-root'), ['pip:plain:', 'poetry:lock:']);
    assert.deepEqual(pick('npm ci && npm install -g pm2'), ['npm:lock:', 'npm:plain:pm2']);
    assert.deepEqual(pick('npm install'), ['npm:bypass:']);
    assert.deepEqual(pick('apt-get update && apt-get install -y --no-install-recommends curl=7.88.1-10 git'), ['apt-get:plain:git']);
    assert.deepEqual(pick('apk add --no-cache --virtual .deps gcc musl-dev=1.2.4-r2'), ['apk:plain:gcc']);
    assert.deepEqual(pick('go install -tags extended github.com/x/y@latest'), ['go:plain:github.com/x/y@latest']);
    assert.deepEqual(pick('yarn install --frozen-lockfile'), ['yarn:lock:']);
  });
});

describe('compose', () => {
  it('interpolates from .env only, with defaults and required variables', () => {
    const env = { TAG: '1.2', EMPTY: '' };
    assert.equal(interpolate('app:${TAG}', env).value, 'app:1.2');
    assert.equal(interpolate('app:${EMPTY:-fallback}', env).value, 'app:fallback');
    assert.equal(interpolate('app:${EMPTY-fallback}', env).value, 'app:');
    assert.equal(interpolate('$$HOME', env).value, '$HOME');
    assert.deepEqual(interpolate('app:${MISSING?must be set}', env).errors, ['MISSING: must be set']);
    assert.deepEqual(interpolate('app:$MISSING', env).unresolved, ['MISSING']);
  });

  it('resolves anchors, merges, build contexts and reports ${VAR?err}', () => {
    const text = 'x-base: &base\n  image: "redis:${REDIS:-7}"\nservices:\n  cache:\n    <<: *base\n  api:\n    build:\n      context: ../api\n      args: ["PY=3.12"]\n  broken:\n    image: "app:${NOPE?set NOPE}"\n';
    const r = parseCompose('deploy/compose.yaml', text, { exists: () => true, readText: (p) => (p === 'deploy/.env' ? 'REDIS=7.2\n' : undefined) });
    const by = new Map(r.data!.services.map((s) => [s.name, s]));
    assert.equal(by.get('cache')!.image!.resolved, 'redis:7.2');
    assert.deepEqual(by.get('api')!.build, { context: '../api', resolvedContext: 'api', args: { PY: '3.12' } });
    assert.match(r.findings[0]!.message, /NOPE: set NOPE/);
  });
});

describe('workflows', () => {
  it('classifies refs and keeps version comments', () => {
    const sha = 'b4ffde65f46336ab88eb53be808477a3936bae11';
    const text = `on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@${sha} # v4.1.1\n      - uses: actions/cache/restore@v4\n      - uses: org/repo@main\n      - uses: ./local-action\n      - uses: docker://alpine:3.20\n  b:\n    uses: org/wf/.github/workflows/release.yml@v1.2.0\n`;
    const d = parseWorkflow('.github/workflows/ci.yml', text).data!;
    assert.deepEqual(d.uses.map((u) => [u.kind, u.refKind, u.path ?? '', u.versionComment ?? '']), [
      ['action', 'sha', '', 'v4.1.1'],
      ['action', 'tag', 'restore', ''],
      ['action', 'branch', '', ''],
      ['local', 'none', './local-action', ''],
      ['docker', 'none', '', ''],
      ['reusable-workflow', 'tag', '.github/workflows/release.yml', ''],
    ]);
    assert.equal(slice(text, d.uses.find((u) => u.refKind === 'sha')!.refSpan), sha);
  });
});
