import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { applyEdits } from '../../src/edit/apply.ts';
import { editAction } from '../../src/edit/action-edit.ts';
import { rewriteConstraint } from '../../src/edit/constraint-rewrite.ts';
import { editDependency } from '../../src/edit/dependency-edit.ts';
import { EditError } from '../../src/edit/edit-error.ts';
import { editImage } from '../../src/edit/image-edit.ts';
import { parseCompose } from '../../src/formats/compose.ts';
import { parseDockerfile } from '../../src/formats/dockerfile.ts';
import { parseWorkflow } from '../../src/formats/gha-workflow.ts';
import { parsePackageJson } from '../../src/formats/package-json.ts';
import { parsePyproject } from '../../src/formats/pyproject.ts';
import { parseRequirements } from '../../src/formats/requirements.ts';
import type { TextEdit } from '../../src/model/update.ts';
import { CORPUS } from '../helpers/corpus.ts';

const ctx = { exists: () => false, readText: () => undefined };
const splice = (text: string, edits: TextEdit[]): string => [...edits].sort((a, b) => b.start - a.start).reduce((t, e) => t.slice(0, e.start) + e.replacement + t.slice(e.end), text);
const DIGEST_A = `sha256:${'a'.repeat(64)}`;
const DIGEST_B = `sha256:${'b'.repeat(64)}`;
const SHA = 'c'.repeat(40);

/**
 * Applies edits to a corpus file read in place (dryRun: nothing is written, nothing copied) and checks that the
 * only bytes that differ are inside the edited spans.
 */
function roundTrip(caseDir: string, file: string, edits: TextEdit[]): { before: string; after: string } {
  const root = path.join(CORPUS, caseDir);
  const [res] = applyEdits(root, edits, { dryRun: true });
  const { before, after } = res!;
  assert.equal(before, readFileSync(path.join(root, file), 'utf8'));
  let p = 0;
  while (p < before.length && p < after.length && before[p] === after[p]) p++;
  let s = 0;
  while (s < before.length - p && s < after.length - p && before[before.length - 1 - s] === after[after.length - 1 - s]) s++;
  const lo = Math.min(...edits.map((e) => e.start));
  const hi = Math.max(...edits.map((e) => e.end));
  assert.ok(p >= lo && before.length - s <= hi, `changed bytes [${p}, ${before.length - s}) outside the edits [${lo}, ${hi})`);
  return { before, after };
}

describe('editDependency', () => {
  it('replaces only the constraint text in every manifest layout', () => {
    const text = `[project]\nname = "x"\ndependencies = [\n  "httpx>=0.27,<1",  # comment\n  "rich[jupyter] ; python_version >= '3.9'",\n]\n\n[tool.poetry.dependencies]\nrequests = "^2.31"\npydantic = { version = "2.7.1", extras = ["email"] }\n\n[tool.poetry.dependencies.numpy]\nversion = "1.26.4"\n`;
    const by = new Map(parsePyproject('pyproject.toml', text).data!.dependencies.map((d) => [d.name, d]));
    const edits = [
      ...editDependency(by.get('httpx')!, '>=0.27,<2', text),
      ...editDependency(by.get('rich')!, '==13.7.1', text),
      ...editDependency(by.get('requests')!, '^3.0', text),
      ...editDependency(by.get('pydantic')!, '2.8.0', text),
      ...editDependency(by.get('numpy')!, '2.0.0', text),
    ];
    const after = splice(text, edits);
    assert.equal(after, text.replace('<1"', '<2"').replace('rich[jupyter] ;', 'rich[jupyter]==13.7.1 ;').replace('^2.31', '^3.0').replace('"2.7.1"', '"2.8.0"').replace('"1.26.4"', '"2.0.0"'));
    const again = new Map(parsePyproject('pyproject.toml', after).data!.dependencies.map((d) => [d.name, d.constraint]));
    assert.deepEqual([...again], [['httpx', '>=0.27,<2'], ['rich', '==13.7.1'], ['requests', '^3.0'], ['pydantic', '2.8.0'], ['numpy', '2.0.0']]);
  });

  it('gives a bare requirement a specifier after its name and extras', () => {
    const text = 'requests\nhttpx [http2] ; python_version < "3.12"\nfoo==1.0\n';
    const d = parseRequirements('requirements.txt', text, ctx).data!;
    const after = splice(text, [...editDependency(d.requirements[0]!, '==2.32.0', text), ...editDependency(d.requirements[1]!, '==0.27.0', text)]);
    assert.equal(after, 'requests==2.32.0\nhttpx [http2]==0.27.0 ; python_version < "3.12"\nfoo==1.0\n');
    assert.deepEqual(parseRequirements('requirements.txt', after, ctx).data!.requirements.map((r) => r.constraint), ['==2.32.0', '==0.27.0', '==1.0']);
  });

  it('refuses what it cannot edit, and stale records', () => {
    const text = 'bar @ https://example.test/bar-1.0.tar.gz\nfoo==1.0\n';
    const d = parseRequirements('requirements.txt', text, ctx).data!;
    assert.throws(() => editDependency(d.requirements[0]!, '==2.0', text), /declared by location/);
    assert.throws(() => editDependency(d.requirements[1]!, '==2.0', text.replace('foo==1.0', 'foo==1.1')), /file changed since it was read/);
    assert.throws(() => editDependency(d.requirements[1]!, '==2.0"', text), EditError);
    const py = '[tool.poetry.dependencies]\nlib = { extras = ["x"] }\n';
    assert.throws(() => editDependency(parsePyproject('pyproject.toml', py).data!.dependencies[0]!, '^1.0', py), /no version key/);
  });

  it('corpus round trip: Poetry string and inline table (Textualize/rich)', () => {
    const caseDir = 'poetry/Textualize__rich';
    const text = readFileSync(path.join(CORPUS, caseDir, 'pyproject.toml'), 'utf8');
    const deps = parsePyproject('pyproject.toml', text).data!.dependencies;
    const pygments = deps.find((d) => d.name === 'pygments')!;
    const ipywidgets = deps.find((d) => d.name === 'ipywidgets')!;
    const c1 = rewriteConstraint('poetry', pygments.constraint, '2.19.1', '3.0.1')!;
    const c2 = rewriteConstraint('poetry', ipywidgets.constraint, '8.1.0', '9.0.2')!;
    assert.deepEqual([c1, c2], ['^3.0.1', '>=7.5.1,<10']);
    const { after } = roundTrip(caseDir, 'pyproject.toml', [...editDependency(pygments, c1, text), ...editDependency(ipywidgets, c2, text)]);
    const again = parsePyproject('pyproject.toml', after).data!.dependencies;
    assert.deepEqual(again.map((d) => [d.name, d.constraint]), deps.map((d) => [d.name, d.name === 'pygments' ? c1 : d.name === 'ipywidgets' ? c2 : d.constraint]));
  });

  it('corpus round trip: PEP 621 list (mozilla/kitsune) and bare requirement (oobabooga)', () => {
    let text = readFileSync(path.join(CORPUS, 'pep621/mozilla__kitsune', 'pyproject.toml'), 'utf8');
    const django = parsePyproject('pyproject.toml', text).data!.dependencies.find((d) => d.name === 'Django')!;
    let r = roundTrip('pep621/mozilla__kitsune', 'pyproject.toml', editDependency(django, rewriteConstraint('pep440', django.constraint, '5.2.1', '6.0.1')!, text));
    assert.equal(parsePyproject('pyproject.toml', r.after).data!.dependencies.find((d) => d.name === 'Django')!.constraint, '>=5.2,<7');

    text = readFileSync(path.join(CORPUS, 'requirements/oobabooga__text-generation-webui__requirements-full', 'requirements.txt'), 'utf8');
    const data = parseRequirements('requirements.txt', text, ctx).data!;
    const einops = data.requirements.find((d) => d.name === 'einops')!;
    r = roundTrip('requirements/oobabooga__text-generation-webui__requirements-full', 'requirements.txt', editDependency(einops, '==0.8.1', text));
    const again = parseRequirements('requirements.txt', r.after, ctx).data!.requirements;
    assert.deepEqual(again.map((d) => [d.name, d.constraint]), data.requirements.map((d) => [d.name, d.name === 'einops' ? '==0.8.1' : d.constraint]));
  });

  it('corpus round trip: package.json (tj/commander.js)', () => {
    const text = readFileSync(path.join(CORPUS, 'npm/tj__commander.js', 'package.json'), 'utf8');
    const deps = parsePackageJson('package.json', text).data!.dependencies;
    const eslint = deps.find((d) => d.name === 'eslint')!;
    const c = rewriteConstraint('npm', eslint.constraint, '10.0.2', '11.1.0')!;
    assert.equal(c, '^11.1.0');
    const { after } = roundTrip('npm/tj__commander.js', 'package.json', editDependency(eslint, c, text));
    assert.deepEqual(parsePackageJson('package.json', after).data!.dependencies.map((d) => [d.name, d.constraint]), deps.map((d) => [d.name, d.name === 'eslint' ? c : d.constraint]));
  });
});

describe('editImage', () => {
  it('tag and digest in Dockerfile FROM, keeping flags, stage names and variables in the repository', () => {
    const text = 'ARG REG=ghcr.io\nFROM --platform=$BUILDPLATFORM python:3.12-slim AS base\nFROM ${REG}/org/app:1.0@' + DIGEST_A + '\nFROM node\nFROM base\n';
    const d = parseDockerfile('Dockerfile', text).data!;
    const [py, app, node, base] = d.stages.map((s) => s.from);
    let after = splice(text, editImage(py!, { tag: '3.13-slim', digest: DIGEST_B }, text));
    assert.equal(after, text.replace('python:3.12-slim', `python:3.13-slim@${DIGEST_B}`));
    after = splice(text, editImage(app!, { tag: '1.1', digest: DIGEST_B }, text));
    assert.equal(after, text.replace(`app:1.0@${DIGEST_A}`, `app:1.1@${DIGEST_B}`));
    assert.equal(parseDockerfile('Dockerfile', after).data!.stages[1]!.from.digest, DIGEST_B);
    after = splice(text, editImage(node!, { digest: DIGEST_B }, text));
    assert.equal(after, text.replace('FROM node\n', `FROM node@${DIGEST_B}\n`));
    after = splice(text, editImage(app!, { digest: null }, text));
    assert.equal(after, text.replace(`@${DIGEST_A}`, ''));
    assert.throws(() => editImage(base!, { tag: 'x' }, text), /build stage/);
    assert.throws(() => editImage(app!, { tag: '1.1' }, text), /pinned by digest/);
    assert.deepEqual(editImage(py!, { tag: '3.12-slim' }, text), []);
  });

  it('refuses tags that come from variables', () => {
    const text = 'ARG PY=3.12\nARG IMAGE=python:3.12\nFROM python:${PY}-slim\nFROM ${IMAGE}\n';
    const [a, b] = parseDockerfile('Dockerfile', text).data!.stages.map((s) => s.from);
    assert.throws(() => editImage(a!, { tag: '3.13-slim' }, text), /comes from a variable/);
    assert.throws(() => editImage(b!, { digest: DIGEST_A }, text), /ends in a variable/);
  });

  it('compose image: plain and quoted scalars keep their quoting', () => {
    const text = 'services:\n  web:\n    image: "nginx:1.25"\n  db:\n    image: postgres:15 # pinned\n  x:\n    image: \'${REG:-docker.io}/redis:7\'\n';
    const by = new Map(parseCompose('docker-compose.yml', text, ctx).data!.services.map((s) => [s.name, s.image!]));
    const after = splice(text, [...editImage(by.get('web')!, { tag: '1.27' }, text), ...editImage(by.get('db')!, { tag: '16', digest: DIGEST_A }, text), ...editImage(by.get('x')!, { tag: '7.2' }, text)]);
    assert.equal(after, text.replace('nginx:1.25', 'nginx:1.27').replace('postgres:15', `postgres:16@${DIGEST_A}`).replace('redis:7', 'redis:7.2'));
    const again = new Map(parseCompose('docker-compose.yml', after, ctx).data!.services.map((s) => [s.name, s.image!]));
    assert.deepEqual([again.get('web')!.tag, again.get('db')!.digest, again.get('x')!.raw], ['1.27', DIGEST_A, '${REG:-docker.io}/redis:7.2']);
  });

  it('corpus round trip: Dockerfile tag+digest (ossf/scorecard), variant tag (pypi/warehouse), compose (mozilla/treeherder)', () => {
    let text = readFileSync(path.join(CORPUS, 'docker/ossf__scorecard', 'Dockerfile'), 'utf8');
    const stages = parseDockerfile('Dockerfile', text).data!.stages;
    let r = roundTrip('docker/ossf__scorecard', 'Dockerfile', editImage(stages[0]!.from, { tag: '1.26.3', digest: DIGEST_B }, text));
    let again = parseDockerfile('Dockerfile', r.after).data!.stages;
    assert.deepEqual([again[0]!.from.tag, again[0]!.from.digest], ['1.26.3', DIGEST_B]);
    assert.deepEqual(again.slice(1).map((s) => s.from.raw), stages.slice(1).map((s) => s.from.raw));

    text = readFileSync(path.join(CORPUS, 'docker/pypi__warehouse', 'Dockerfile'), 'utf8');
    const py = parseDockerfile('Dockerfile', text).data!.stages.find((s) => s.from.raw.startsWith('python:'))!.from;
    r = roundTrip('docker/pypi__warehouse', 'Dockerfile', editImage(py, { tag: '3.14.8-slim-trixie' }, text));
    again = parseDockerfile('Dockerfile', r.after).data!.stages;
    assert.equal(again.find((s) => s.from.repository === 'library/python')!.from.tag, '3.14.8-slim-trixie');

    text = readFileSync(path.join(CORPUS, 'compose/mozilla__treeherder', 'docker-compose.yml'), 'utf8');
    const services = parseCompose('docker-compose.yml', text, ctx).data!.services;
    const node = services.find((s) => s.image?.raw === 'node:23.5.0-alpine3.20')!;
    r = roundTrip('compose/mozilla__treeherder', 'docker-compose.yml', editImage(node.image!, { tag: '23.6.0-alpine3.20', digest: DIGEST_A }, text));
    const svc2 = parseCompose('docker-compose.yml', r.after, ctx).data!.services;
    assert.equal(svc2.find((s) => s.name === node.name)!.image!.resolved, `node:23.6.0-alpine3.20@${DIGEST_A}`);
    assert.deepEqual(svc2.filter((s) => s.name !== node.name).map((s) => s.image?.raw), services.filter((s) => s.name !== node.name).map((s) => s.image?.raw));
  });
});

describe('editAction', () => {
  it('pins to a SHA, replaces or adds the version comment, keeps quoting', () => {
    const text = 'jobs:\n  a:\n    steps:\n      - uses: actions/checkout@v4\n      - uses: "actions/setup-node@v3" # v3\n      - uses: org/repo/.github/workflows/x.yml@main   \n      - uses: ./local\n';
    const uses = parseWorkflow('.github/workflows/ci.yml', text).data!.uses;
    const after = splice(text, [
      ...editAction(uses[0]!, { sha: SHA, comment: 'v4.2.0' }, text),
      ...editAction(uses[1]!, { sha: SHA, comment: 'v3.8.1' }, text),
      ...editAction(uses[2]!, { sha: SHA }, text),
    ]);
    assert.equal(after, `jobs:\n  a:\n    steps:\n      - uses: actions/checkout@${SHA} # v4.2.0\n      - uses: "actions/setup-node@${SHA}" # v3.8.1\n      - uses: org/repo/.github/workflows/x.yml@${SHA}   \n      - uses: ./local\n`);
    const again = parseWorkflow('.github/workflows/ci.yml', after).data!.uses;
    assert.deepEqual(again.map((u) => [u.ref, u.versionComment]), [[SHA, 'v4.2.0'], [SHA, 'v3.8.1'], [SHA, undefined], [undefined, undefined]]);
    assert.throws(() => editAction(uses[3]!, { sha: SHA }, text), /local reference/);
    assert.throws(() => editAction(uses[0]!, { sha: 'v5' }, text), /full commit SHA/);
  });

  it('corpus round trip: ossf/scorecard workflow', () => {
    const text = readFileSync(path.join(CORPUS, 'actions/ossf__scorecard', 'main.yml'), 'utf8');
    const uses = parseWorkflow('main.yml', text).data!.uses;
    const checkout = uses.find((u) => u.owner === 'actions' && u.repo === 'checkout')!;
    const { after } = roundTrip('actions/ossf__scorecard', 'main.yml', editAction(checkout, { sha: SHA, comment: 'v7.1.0' }, text));
    const again = parseWorkflow('main.yml', after).data!.uses;
    const i = uses.indexOf(checkout);
    assert.deepEqual([again[i]!.ref, again[i]!.versionComment], [SHA, 'v7.1.0']);
    assert.deepEqual(again.filter((_, k) => k !== i).map((u) => [u.raw, u.versionComment]), uses.filter((_, k) => k !== i).map((u) => [u.raw, u.versionComment]));
  });
});
