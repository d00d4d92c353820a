import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { after, describe, it } from 'node:test';
import { configSchema } from '../../src/config/schema.ts';
import { walkRepository } from '../../src/discover/walk.ts';
import { buildInventory } from '../../src/inventory/build.ts';
import { writeTree } from '../helpers/temp-tree.ts';

const repo = (files: Record<string, string>): string => writeTree(files);

const PKG = '{"name":"x","version":"1.0.0","dependencies":{"left-pad":"1.3.0"}}';

describe('discovery', () => {
  const roots: string[] = [];
  after(() => roots.forEach((r) => rmSync(r, { recursive: true, force: true })));

  it('honours nested .gitignore files and skips installed-dependency folders', async () => {
    const root = repo({
      '.gitignore': 'build/\n*.generated.txt\n',
      'web/package.json': PKG,
      'web/node_modules/left-pad/package.json': PKG,
      'api/.venv/lib/requirements.txt': 'x==1\n',
      'api/requirements.txt': 'flask==3.0.0\n',
      'api/sub/.gitignore': 'local/\n',
      'api/sub/local/Dockerfile': 'FROM x\n',
      'api/sub/Dockerfile': 'FROM python:3.12\n',
      'build/Dockerfile': 'FROM x\n',
      'reqs.generated.txt': 'x\n',
      'extra/requirements-dev.txt': 'pytest==8\n',
    });
    roots.push(root);
    const { files } = await walkRepository(root, { ignore: ['extra/**'] });
    assert.deepEqual(
      files.map((f) => `${f.kind} ${f.path}`),
      ['requirements api/requirements.txt', 'dockerfile api/sub/Dockerfile', 'package-json web/package.json'],
    );
  });

  it('groups files into services: folders, compose build contexts and image-only compose services', async () => {
    const root = repo({
      'compose.yaml': 'services:\n  api:\n    build: ./api\n  db:\n    image: postgres:16\n  worker:\n    build:\n      context: ./jobs\n      dockerfile: docker/Worker.Dockerfile\n',
      'api/pyproject.toml': '[project]\nname = "api"\nversion = "1"\ndependencies = ["fastapi==0.115.0"]\n',
      'api/requirements/dev.txt': 'pytest==8.3.3\n',
      'api/Dockerfile': 'FROM python:3.12\n',
      'jobs/docker/Worker.Dockerfile': 'FROM node:22\n',
      'web/package.json': PKG,
      '.github/workflows/ci.yml': 'on: push\njobs:\n  a:\n    runs-on: x\n    steps:\n      - uses: actions/checkout@v4\n',
    });
    roots.push(root);
    const inv = await buildInventory(root, configSchema.parse({}));
    const summary = inv.services.map((s) => ({ name: s.name, root: s.root, origin: s.origin, files: s.files }));
    assert.deepEqual(summary, [
      { name: 'api', root: 'api', origin: 'discovered', files: ['api/Dockerfile', 'api/pyproject.toml', 'api/requirements/dev.txt', 'compose.yaml'] },
      { name: 'db', root: '.', origin: 'compose', files: ['compose.yaml'] },
      { name: 'web', root: 'web', origin: 'discovered', files: ['web/package.json'] },
      { name: 'worker', root: 'jobs', origin: 'compose', files: ['compose.yaml', 'jobs/docker/Worker.Dockerfile'] },
    ]);
    assert.equal(inv.actions.length, 1);
    const db = inv.services.find((s) => s.name === 'db')!;
    assert.equal(db.images[0]?.tag, '16');
  });

  it('depwarden.yaml services replace discovery', async () => {
    const root = repo({ 'a/package.json': PKG, 'a/b/Dockerfile': 'FROM node:22\n', 'c/requirements.txt': 'x==1\n' });
    roots.push(root);
    const inv = await buildInventory(root, configSchema.parse({ services: [{ name: 'alpha', path: 'a' }] }));
    assert.deepEqual(inv.services.map((s) => [s.name, s.files]), [['alpha', ['a/b/Dockerfile', 'a/package.json']]]);
  });
});
