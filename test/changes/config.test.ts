import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { renderConfigChangesMarkdown, secretLooking } from '../../src/changes/config-diff.ts';
import { runCli } from '../helpers/run-cli.ts';

const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, '-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8' }).trim();
function write(dir: string, files: Record<string, string>): void {
  for (const [f, t] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, f)), { recursive: true });
    writeFileSync(path.join(dir, f), t);
  }
}

const V1: Record<string, string> = {
  'api/Dockerfile': 'FROM python:3.11-slim AS build\nRUN pip wheel .\nFROM python:3.11-slim\nENV APP_MODE=prod DATABASE_PASSWORD=hunter2\nARG RELEASE=1\nEXPOSE 8000\nUSER app\nHEALTHCHECK CMD curl -f http://localhost:8000/health\nCMD ["gunicorn", "app:app"]\n',
  'api/pyproject.toml': '[tool.poetry]\nname = "api"\nversion = "1"\n\n[[tool.poetry.source]]\nname = "corp"\nurl = "https://pkgs.example.com/simple"\npriority = "supplemental"\n\n[build-system]\nrequires = ["poetry-core>=1.0"]\nbuild-backend = "poetry.core.masonry.api"\n',
  'web/package.json': '{"name":"web","scripts":{"build":"vite build"},"engines":{"node":">=20"}}\n',
  'web/.npmrc': 'registry=https://registry.npmjs.org/\n//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n',
  'compose.yaml': 'services:\n  api:\n    build:\n      context: ./api\n      target: runtime\n      args:\n        VERSION: "1"\n    environment:\n      LOG_LEVEL: info\n      SENTRY_DSN: https://abc@sentry.example/1\n    env_file: [.env]\n    ports: ["8000:8000"]\n    restart: always\n',
  '.github/workflows/ci.yml': 'on: push\npermissions:\n  contents: read\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@11bd71901bbe5b1630ceea73d27597364c9af683 # v4.2.2\n',
};
const V2: Record<string, string> = {
  'api/Dockerfile': 'FROM python:3.12-slim AS build\nRUN pip wheel .\nFROM python:3.12-slim\nENV APP_MODE=staging DATABASE_PASSWORD=swordfish\nARG RELEASE=1\nEXPOSE 8000 9090\nUSER root\nHEALTHCHECK CMD curl -f http://localhost:8000/health\nCMD ["gunicorn", "app:app"]\n',
  'api/pyproject.toml': V1['api/pyproject.toml']!.replace('https://pkgs.example.com/simple', 'https://mirror.example.com/simple'),
  'web/package.json': '{"name":"web","scripts":{"build":"vite build --mode prod","postinstall":"node x.js"},"engines":{"node":">=22"}}\n',
  'web/.npmrc': 'registry=https://npm.corp.example/\n//npm.corp.example/:_authToken=${NPM_TOKEN}\n',
  'compose.yaml': 'services:\n  api:\n    build:\n      context: ./api\n      target: runtime\n      args:\n        VERSION: "2"\n    environment:\n      LOG_LEVEL: debug\n      SENTRY_DSN: https://def@sentry.example/1\n      FEATURE_X: "on"\n    env_file: [.env, .env.prod]\n    ports: ["8000:8000"]\n    restart: unless-stopped\n    deploy:\n      replicas: 3\n      resources:\n        limits:\n          memory: 512M\n',
  '.github/workflows/ci.yml': 'on: push\npermissions:\n  contents: write\njobs:\n  test:\n    runs-on: ubuntu-24.04\n    steps:\n      - uses: actions/checkout@v4\n      - run: ./deploy.sh ${{ secrets.DEPLOY_KEY }}\n',
};

function repo(): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-cfg-'));
  git(dir, 'init', '-q');
  write(dir, V1);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'one');
  write(dir, V2);
  // An uncommitted edit: not part of either revision.
  git(dir, 'commit', '-qam', 'two');
  writeFileSync(path.join(dir, 'api/Dockerfile'), 'FROM scratch\n');
  return dir;
}

test('changes config: per service, environment/build/runtime/CI changes between two real git revisions; secret values never shown', async () => {
  const dir = repo();
  const r = await runCli(['changes', 'config', 'HEAD~1', 'HEAD', '-C', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  const doc = JSON.parse(r.stdout);
  assert.equal(doc.from.commit, git(dir, 'rev-parse', 'HEAD~1'));
  const of = (svc: string) => Object.fromEntries(doc.services.find((s: any) => s.service === svc).changes.map((c: any) => [c.key, c]));
  const api = of('api');
  assert.deepEqual(api['ENV APP_MODE (stage 1)'], { category: 'environment', key: 'ENV APP_MODE (stage 1)', change: 'changed', before: 'prod', after: 'staging', file: 'api/Dockerfile' });
  assert.deepEqual(api['ENV DATABASE_PASSWORD (stage 1)'], { category: 'environment', key: 'ENV DATABASE_PASSWORD (stage 1)', change: 'changed', secret: true, file: 'api/Dockerfile' });
  assert.equal(api['environment SENTRY_DSN'].secret, true);
  assert.equal(api['environment LOG_LEVEL'].after, 'debug');
  assert.equal(api['environment FEATURE_X'].change, 'added');
  assert.equal(api.env_file.after, '.env, .env.prod');
  assert.equal(api['base image (stage build)'].after, 'python:3.12-slim');
  assert.equal(api['build arg VERSION'].after, '2');
  assert.equal(api['Poetry source corp'].after, 'https://mirror.example.com/simple (supplemental)');
  assert.equal(api.EXPOSE.after, '8000 9090');
  assert.equal(api.USER.after, 'root');
  assert.equal(api['deploy replicas'].after, '3');
  assert.equal(api['deploy resources'].after, '{"limits":{"memory":"512M"}}');
  assert.equal(api.restart.after, 'unless-stopped');
  assert.equal(api['ARG RELEASE (stage 1)'], undefined, 'unchanged settings are not listed');
  assert.equal(api.HEALTHCHECK, undefined);
  const web = of('web');
  assert.equal(web['script build'].after, 'vite build --mode prod');
  assert.equal(web['script postinstall'].change, 'added');
  assert.equal(web['engines node'].after, '>=22');
  assert.equal(web['.npmrc registry'].after, 'https://npm.corp.example/');
  const ci = of('CI ci.yml');
  assert.equal(ci.permissions.after, '{"contents":"write"}');
  assert.equal(ci['action actions/checkout'].after, 'v4');
  assert.deepEqual([ci['secret DEPLOY_KEY'].change, ci['secret DEPLOY_KEY'].after], ['added', 'referenced']);
  // Nothing secret reaches the output, in either format.
  const md = await runCli(['changes', 'config', 'HEAD~1', 'HEAD', '-C', dir]);
  for (const out of [r.stdout, md.stdout]) for (const s of ['hunter2', 'swordfish', 'abc@sentry', 'def@sentry', '_authToken']) assert.ok(!out.includes(s), s);
  assert.match(md.stdout, /^## Configuration changes: HEAD~1 \([0-9a-f]{12}\) → HEAD \([0-9a-f]{12}\)/);
  assert.match(md.stdout, /\| ~ \| `USER` \| `app` \| `root` \| `api\/Dockerfile` \|/);
  assert.match(md.stdout, /\*\*Environment variables\*\*[\s\S]*\*\*Build configuration\*\*[\s\S]*\*\*Runtime configuration\*\*/);
  // Byte-identical across runs.
  assert.equal((await runCli(['changes', 'config', 'HEAD~1', 'HEAD', '-C', dir, '--format', 'json'])).stdout, r.stdout);
});

test('changes config: a revision that does not exist is a git error (exit 6); an unreadable file is a change, not a crash', async () => {
  const dir = repo();
  const bad = await runCli(['changes', 'config', 'HEAD~1', 'no-such-rev', '-C', dir]);
  assert.equal(bad.code, 6, bad.stderr);
  writeFileSync(path.join(dir, 'compose.yaml'), 'services: [\n');
  git(dir, 'commit', '-qam', 'broken');
  const r = await runCli(['changes', 'config', 'HEAD~1', 'HEAD', '-C', dir, '--format', 'json']);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /compose\.yaml \(unreadable\)/);
});

test('secret-looking names and values', () => {
  for (const [k, v] of [['ENV DB_PASSWORD', 'x'], ['environment API_KEY', 'x'], ['environment URL', 'postgres://u:p@db/x'], ['ENV X', 'ghp_abcdefghijklmnopqrstuvwxyz012345'], ['ENV Y', 'aZ3kP9qL2mN8vB7xC6zR5tY4']] as const) assert.ok(secretLooking(k, v), `${k}=${v}`);
  for (const [k, v] of [['ENV LOG_LEVEL', 'debug'], ['base image', 'python:3.12@sha256:' + 'a'.repeat(64)], ['action actions/checkout', '11bd71901bbe5b1630ceea73d27597364c9af683'], ['secret DEPLOY_KEY', 'referenced'], ['ENV PATH', '/usr/local/bin:/usr/bin']] as const) assert.ok(!secretLooking(k, v), `${k}=${v}`);
  assert.match(renderConfigChangesMarkdown([]), /No environment, build, runtime or CI configuration changed/);
});

test('update hook: the PR body and changelog entry carry the configuration an update changed (base commit vs its worktree)', async () => {
  const { worktreeConfigChanges } = await import('../../src/changes/config-diff.ts');
  const { changelogEntry, renderPrBody } = await import('../../src/publish/pr-body.ts');
  const { configSchema } = await import('../../src/config/schema.ts');
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-cfg-wt-'));
  git(dir, 'init', '-q');
  write(dir, V1);
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'one');
  const base = git(dir, 'rev-parse', 'HEAD');
  // The update's worktree: the image bumped, nothing else.
  writeFileSync(path.join(dir, 'api/Dockerfile'), V1['api/Dockerfile']!.replaceAll('python:3.11-slim', 'python:3.11.9-slim'));
  const changes = worktreeConfigChanges(dir, base, dir);
  assert.deepEqual(changes.map((s) => [s.service, s.changes.map((c) => `${c.key}: ${c.before} -> ${c.after}`)]), [['api', ['base image (stage 1): python:3.11-slim -> python:3.11.9-slim', 'base image (stage build): python:3.11-slim -> python:3.11.9-slim']]]);
  const change = { title: 'update python to 3.11.9-slim in api', updates: [], rationale: ['Policy: patch'], class: 'patch', lane: 'planned', slug: 'api-python', labels: ['dependencies'] } as unknown as Parameters<typeof renderPrBody>[1];
  const config = configSchema.parse({});
  const body = renderPrBody(config, change, { services: ['api'], lockDiffs: [], releaseNotes: [], configChanges: changes });
  assert.match(body, /### Configuration changes\n\n### api\n\n\*\*Build configuration\*\*[\s\S]*\| ~ \| `base image \(stage build\)` \| `python:3\.11-slim` \| `python:3\.11\.9-slim` \|/);
  assert.match(changelogEntry(change, { services: ['api'], lockDiffs: [], releaseNotes: [], configChanges: changes }, '2026-12-06'), /- Configuration changes: api: base image \(stage 1\) changed \(python:3\.11-slim -> python:3\.11\.9-slim\)/);
  assert.doesNotMatch(renderPrBody(config, change, { services: ['api'], lockDiffs: [], releaseNotes: [] }), /Configuration changes/);
});

test('sbom diff --git carries the configuration changes of the same two revisions', async () => {
  const dir = repo();
  const md = await runCli(['sbom', 'diff', 'HEAD~1', 'HEAD', '--git', dir, '--format', 'markdown']);
  assert.equal(md.code, 0, md.stderr);
  assert.match(md.stdout, /### Configuration changes\n\n### CI ci\.yml[\s\S]*\| ~ \| `USER` \| `app` \| `root` \|/);
  const json = JSON.parse((await runCli(['sbom', 'diff', 'HEAD~1', 'HEAD', '--git', dir, '--format', 'json'])).stdout);
  assert.ok(json.configChanges.some((s: any) => s.service === 'api' && s.changes.some((c: any) => c.key === 'USER')));
  assert.match((await runCli(['sbom', 'diff', 'HEAD~1', 'HEAD', '--git', dir])).stdout, /Configuration changes: CI ci\.yml \(\d+\), api \(\d+\), web \(\d+\)/);
});
