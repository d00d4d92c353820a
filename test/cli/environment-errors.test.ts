import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { Command } from 'commander';
import pg from 'pg';
import { EXIT } from '../../src/cli/context.ts';
import { buildProgram } from '../../src/cli/main.ts';
import { closedPort } from '../helpers/closed-port.ts';
import { type CliRun, runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * Issue 11.8: ordinary environment problems (no network, no git repository, a DATABASE_URL that is unreachable or
 * names a missing database) are one line and their own exit code, never "internal error" with a stack trace.
 * Every command of the program is swept (enumerated from buildProgram, so a new command is swept too).
 */
const PG = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Leaf {
  names: string[];
  cmd: Command;
}

/** Every command that runs something (has an action), subcommands included. */
function leaves(c: Command, prefix: string[] = []): Leaf[] {
  return c.commands.flatMap((s) => {
    const names = [...prefix, s.name()];
    const own = (s as unknown as { _actionHandler?: unknown })._actionHandler ? [{ names, cmd: s }] : [];
    return [...own, ...leaves(s, names)];
  });
}

/** Values for required arguments and options, by name; a path argument or -C is the repository under test. */
const VALUES: Record<string, string> = {
  service: 'svc',
  package: 'requests',
  services: 'svc',
  id: 'c1',
  change: 'c1',
  kind: 'proposed',
  actor: 'alice',
  title: 't',
  class: 'minor',
  author: 'alice',
  digest: 'd1',
  as: 'alice',
  reason: 'r',
  owner: 'alice',
  expires: '2030-01-01',
};

function argvOf(l: Leaf, repo: string, extra: Record<string, string[]>): string[] {
  const argv = [...l.names];
  for (const a of l.cmd.registeredArguments) {
    if (a.name() === 'path') argv.push(repo);
    else if (a.required || VALUES[a.name()]) argv.push(VALUES[a.name()] ?? path.join(repo, `missing-${a.name()}`));
  }
  for (const o of l.cmd.options) {
    const key = o.attributeName();
    if (o.long === '--repo') argv.push('-C', repo);
    else if (o.mandatory) argv.push(o.long!, VALUES[key] ?? 'x');
  }
  return [...argv, ...(extra[l.names.join(' ')] ?? [])];
}

function assertEnvironmentError(what: string, r: CliRun): void {
  assert.notEqual(r.code, EXIT.internal, `${what}: exit 3 (internal)\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /internal error/, `${what}: called a bug\n${r.stderr}`);
  assert.doesNotMatch(r.stderr, /\n\s+at .+:\d+:\d+\)?\n/, `${what}: stack trace\n${r.stderr}`);
}

const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

const program = await buildProgram({ cwd: '.', env: {}, stdout: () => {}, stderr: () => {}, isTTY: false }, { code: 0 });

describe('environment failures: one line and their own exit code, for every command', () => {
  // `serve` runs until a signal: its failures at start (store unreachable: 7, refused address: 2) are tested on
  // real processes in test/serve/api.test.ts.
  const all = leaves(program).filter((l) => l.names.join(' ') !== 'serve');
  const dirs: string[] = [];
  const schema = `dw_env_${process.pid}`;
  let port: number;
  let gitRepo: string;
  let noGit: string;
  let home: string;
  const files = (p: number): Record<string, string> => ({
    'svc/requirements.txt': 'requests==2.0.0\n',
    'svc/Dockerfile': 'FROM python:3.11.4\n',
    'svc/package.json': '{"name":"svc","version":"1.0.0","dependencies":{"left-pad":"1.0.0"}}\n',
    '.github/workflows/ci.yml': 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4.1.0\n',
    // Every registry and the OSV mirror at a closed port; small deadlines keep the sweep fast.
    'depwarden.yaml': `updates:\n  minimumReleaseAgeDays: 0\n  registries:\n    pypi: http://127.0.0.1:${p}/pypi\n    npm: http://127.0.0.1:${p}/npm\n    github: http://127.0.0.1:${p}/gh\n    oci: { docker.io: 'http://127.0.0.1:${p}' }\nvulns:\n  source: http://127.0.0.1:${p}/osv\nhttp:\n  totalTimeoutSeconds: 1\n  retries: 1\n`,
  });

  before(async () => {
    port = await closedPort();
    noGit = writeTree(files(port));
    gitRepo = writeTree(files(port));
    home = mkdtempSync(path.join(tmpdir(), 'dw-env-home-'));
    dirs.push(noGit, gitRepo, home);
    git(gitRepo, 'init', '-q', '-b', 'main');
    git(gitRepo, 'add', '-A');
    git(gitRepo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
  });
  after(async () => {
    dirs.forEach((d) => rmSync(d, { recursive: true, force: true }));
    const c = new pg.Client({ connectionString: PG });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.end();
  });

  // A working store (the test PostgreSQL, own schema) so that only the failure under test can fail.
  const goodEnv = (): NodeJS.ProcessEnv => ({ DEPWARDEN_HOME: home, DATABASE_URL: PG, DEPWARDEN_DB_SCHEMA: schema, GITHUB_API_URL: `http://127.0.0.1:${port}`, GITHUB_TOKEN: 'ghs_test', GITHUB_REPOSITORY: 'acme/fleet' });

  it('the sweep covers every command of the program', () => {
    assert.ok(all.length >= 30, `${all.length} commands`);
    for (const n of ['outdated', 'update', 'gate', 'known-good', 'rollback', 'db sync', 'changes list', 'audit-log verify']) assert.ok(all.some((l) => l.names.join(' ') === n), n);
  });

  it('no network (every URL at a closed port): exit 5 where the network is needed, never a stack trace', async () => {
    const extra = { gate: ['--github', 'acme/fleet#1'], update: ['--force'] };
    const codes = new Map<string, number>();
    for (const l of all) {
      const r = await runCli(argvOf(l, gitRepo, extra), { env: goodEnv() });
      assertEnvironmentError(l.names.join(' '), r);
      codes.set(l.names.join(' '), r.code);
      if (r.code === EXIT.network) assert.match(r.stderr, /^depwarden: network: [^\n]+$/m, r.stderr);
    }
    assert.equal(codes.get('gate'), EXIT.network);
    assert.equal(codes.get('outdated'), EXIT.network);
    assert.equal(codes.get('update'), EXIT.network);
    assert.equal(codes.get('db sync'), EXIT.network);
  });

  it('no git repository: exit 6 where git is needed, never a stack trace', async () => {
    const codes = new Map<string, number>();
    for (const l of all) {
      const r = await runCli(argvOf(l, noGit, {}), { env: goodEnv() });
      assertEnvironmentError(l.names.join(' '), r);
      codes.set(l.names.join(' '), r.code);
      if (r.code === EXIT.git) assert.match(r.stderr, /^depwarden: git[^\n]*not a git repository[^\n]*— [^\n]+\n$/m, r.stderr);
    }
    assert.equal(codes.get('known-good'), EXIT.git);
    assert.equal(codes.get('update'), EXIT.git);
  });

  for (const [label, url] of [
    ['unreachable', 'postgres://postgres@127.0.0.1:1/x'],
    ['naming a missing database', `postgres://postgres@127.0.0.1:5432/dw_missing_${process.pid}`],
  ] as const) {
    it(`DATABASE_URL ${label}: exit 7 for every command that uses the store, never a stack trace`, async () => {
      const codes = new Map<string, number>();
      for (const l of all) {
        const r = await runCli(argvOf(l, gitRepo, { update: ['--force'] }), { env: { ...goodEnv(), DATABASE_URL: url } });
        assertEnvironmentError(l.names.join(' '), r);
        codes.set(l.names.join(' '), r.code);
        if (r.code === EXIT.store) assert.match(r.stderr, /^depwarden: database: [^\n]+ — [^\n]+\n$/m, r.stderr);
      }
      for (const n of ['changes list', 'audit-log verify', 'audit-log export', 'known-good', 'approve', 'gate']) assert.equal(codes.get(n), EXIT.store, n);
    });
  }
});
