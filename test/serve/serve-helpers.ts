import { spawn, spawnSync, execFileSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { writeTree } from '../helpers/temp-tree.ts';

/** Real `depwarden serve` processes for the server's tests: spawned from bin/depwarden.js, read back over HTTP. */

export const ROOT = path.resolve(import.meta.dirname, '..', '..');
const BIN = path.join(ROOT, 'bin', 'depwarden.js');
const NODE = path.join(ROOT, 'node_modules', '.bin', 'node');
export const PG_URL = 'postgres://postgres@127.0.0.1:5432/test';

export interface Served {
  proc: ChildProcess;
  url: string;
  stderr(): string;
  exited: Promise<number | null>;
}

export function tempDir(prefix = 'dw-serve-'): string {
  return mkdtempSync(path.join(tmpdir(), prefix));
}

/** An empty per-user home so a developer's advisory database never leaks in. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const { DATABASE_URL: _d, DEPWARDEN_DB_SCHEMA: _s, ...rest } = process.env;
  return { ...rest, DEPWARDEN_HOME: tempDir('dw-home-'), ...extra };
}

export function writeServeConfig(dataDir: string, yaml: string): void {
  writeFileSync(path.join(dataDir, 'serve.yaml'), yaml);
}

export const FAST = `jobs:\n  tickSeconds: 2\n  superviseSeconds: 1\n  leaseSeconds: 3\n  retryDelaySeconds: 0\n`;

/** Starts `depwarden serve` and resolves once it listens (or, with --workers-only, once it says so). */
export async function serve(args: string[], env: NodeJS.ProcessEnv, timeoutMs = 120_000): Promise<Served> {
  const proc = spawn(NODE, [BIN, 'serve', ...args], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)));
  proc.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  proc.stderr!.on('data', (d: Buffer) => (err += d.toString()));
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const m = /listening on (\S+)/.exec(out);
    if (m) return { proc, url: m[1]!, stderr: () => err, exited };
    if (args.includes('--workers-only') && /"msg":"workers only"/.test(err)) return { proc, url: '', stderr: () => err, exited };
    if (proc.exitCode !== null) throw new Error(`serve exited ${proc.exitCode}: ${err}`);
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`serve did not start in ${timeoutMs} ms: ${err}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

export async function stop(s: Served): Promise<number | null> {
  if (s.proc.exitCode === null) s.proc.kill('SIGTERM');
  return s.exited;
}

export function cli(args: string[], env: NodeJS.ProcessEnv): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(NODE, [BIN, ...args], { env, encoding: 'utf8' });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export async function get(url: string, token?: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: Headers; text: string; json: any }> {
  const res = await fetch(url, { headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), ...headers } });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, text, json };
}

export async function send(method: string, url: string, token: string | undefined, body: unknown, raw = false): Promise<{ status: number; headers: Headers; json: any }> {
  const res = await fetch(url, { method, headers: { ...(token ? { authorization: `Bearer ${token}` } : {}), 'content-type': 'application/json' }, body: raw ? (body as string) : JSON.stringify(body) });
  const text = await res.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: res.status, headers: res.headers, json };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined | false>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

const GIT_ENV = { ...process.env, GIT_AUTHOR_NAME: 't', GIT_AUTHOR_EMAIL: 't@t', GIT_COMMITTER_NAME: 't', GIT_COMMITTER_EMAIL: 't@t', GIT_CONFIG_NOSYSTEM: '1' };
export const git = (dir: string, ...args: string[]): string => execFileSync('git', ['-C', dir, '-c', 'commit.gpgsign=false', ...args], { encoding: 'utf8', env: GIT_ENV }).trim();

/** A package-lock.json (v3) of the fixture's web service, with leftpad at `version`. */
export function npmLock(version: string): string {
  const integrity = `sha512-${Buffer.alloc(64, version).toString('base64')}`;
  return `${JSON.stringify({ name: 'web', version: '1.0.0', lockfileVersion: 3, requires: true, packages: { '': { name: 'web', version: '1.0.0', dependencies: { leftpad: '^1.0.0' } }, 'node_modules/leftpad': { version, resolved: `https://registry.npmjs.org/leftpad/-/leftpad-${version}.tgz`, integrity } } }, null, 2)}\n`;
}

/** An advisory database with one advisory (leftpad < 1.0.1, high), imported into `home` with the real CLI. */
export function advisoryHome(home: string): void {
  const dir = tempDir('dw-osv-');
  writeFileSync(path.join(dir, 'GHSA-dw00-test-0001.json'), JSON.stringify({ schema_version: '1.6.0', id: 'GHSA-dw00-test-0001', modified: '2024-01-01T00:00:00Z', published: '2024-01-01T00:00:00Z', summary: 'test advisory', affected: [{ package: { ecosystem: 'npm', name: 'leftpad' }, ranges: [{ type: 'SEMVER', events: [{ introduced: '0' }, { fixed: '1.0.1' }] }] }], database_specific: { severity: 'HIGH' } }));
  const r = cli(['db', 'import', dir], { ...process.env, DEPWARDEN_HOME: home });
  if (r.code !== 0) throw new Error(`db import: ${r.stderr}`);
}

/** A small git repository with findings: an image pinned by tag only, an action by tag, an npm range. */
export function fixtureRepo(): string {
  const dir = writeTree({
    'api/Dockerfile': 'FROM python:3.12-slim\nRUN true\n',
    'web/package.json': JSON.stringify({ name: 'web', version: '1.0.0', dependencies: { leftpad: '^1.0.0' } }, null, 2),
    'web/package-lock.json': npmLock('1.0.0'),
    '.github/workflows/ci.yml': 'on: push\njobs:\n  t:\n    runs-on: ubuntu-latest\n    steps:\n      - uses: actions/checkout@v4\n',
  });
  git(dir, 'init', '-q', '-b', 'main');
  git(dir, 'add', '-A');
  git(dir, 'commit', '-qm', 'first');
  return dir;
}

/** A fresh schema name for one test against the real PostgreSQL. */
export function schemaName(tag: string): string {
  return `dw_${tag}_${process.pid}_${Date.now().toString(36)}`;
}

export async function pgQuery<T = Record<string, unknown>>(schema: string, text: string, params: unknown[] = []): Promise<T[]> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG_URL, options: `-c search_path=${schema}` });
  await c.connect();
  try {
    return (await c.query(text, params)).rows as T[];
  } finally {
    await c.end();
  }
}

export async function dropSchemas(schema: string): Promise<void> {
  const { default: pg } = await import('pg');
  const c = new pg.Client({ connectionString: PG_URL });
  await c.connect();
  try {
    await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await c.query(`DROP SCHEMA IF EXISTS ${schema}_boss CASCADE`);
  } finally {
    await c.end();
  }
}
