import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { baseEnv, RelockError, runTool } from './run-tool.ts';

export interface PoetryRunOptions {
  /** The poetry executable (default: `poetry` on PATH). */
  poetry?: string;
  /** Variables added last (tests set HOME; callers may add POETRY_HTTP_BASIC_* for private sources). */
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Packages to move within their constraints (`poetry update --lock <names>`); default: none (`lock --no-update`). */
  update?: string[];
}

export interface PoetryLockResult {
  lockText: string;
  version: string;
  command: string[];
  ms: number;
}

/** `poetry --version` → "1.3.2" (the output is "Poetry (version 1.3.2)"; Poetry 2 adds nothing before it). */
export async function poetryVersion(poetry: string, env: NodeJS.ProcessEnv, timeoutMs: number): Promise<string> {
  const r = await runTool(poetry, ['--version', '--no-ansi'], { cwd: os.tmpdir(), env, timeoutMs });
  const m = /(\d+\.\d+(?:\.\d+)?)/.exec(r.stdout);
  if (!m) throw new RelockError(`cannot read the Poetry version from ${JSON.stringify(r.stdout.trim())}`);
  return m[1]!;
}

/**
 * The lock command for a Poetry version: 1.x re-resolves everything on `poetry lock` unless told `--no-update`;
 * 2.x keeps locked versions by default and removed `--no-update` (it has `--regenerate` for the old meaning).
 */
export function poetryLockArgs(version: string, update: string[] = []): string[] {
  const major = Number(version.split('.')[0]);
  if (update.length) return ['update', '--lock', '--no-interaction', '--no-ansi', ...update];
  return major >= 2 ? ['lock', '--no-interaction', '--no-ansi'] : ['lock', '--no-update', '--no-interaction', '--no-ansi'];
}

/**
 * Runs the real Poetry in `projectDir` (where pyproject.toml is) and returns the poetry.lock it wrote. The
 * environment is controlled: a fresh cache directory (no stale metadata, removed afterwards), no virtualenv
 * creation (locking needs none), the null keyring backend (no desktop keyring prompts or lookups), no
 * interaction, and only locale/proxy/CA variables plus POETRY_* inherited.
 */
export async function runPoetryLock(projectDir: string, opts: PoetryRunOptions = {}): Promise<PoetryLockResult> {
  const poetry = opts.poetry ?? 'poetry';
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'depwarden-poetry-cache-'));
  try {
    const env: NodeJS.ProcessEnv = {
      ...baseEnv(['POETRY_']),
      POETRY_CACHE_DIR: cache,
      POETRY_VIRTUALENVS_CREATE: 'false',
      POETRY_NO_INTERACTION: '1',
      PYTHON_KEYRING_BACKEND: 'keyring.backends.null.Keyring',
      PYTHONDONTWRITEBYTECODE: '1',
      ...opts.env,
    };
    const version = await poetryVersion(poetry, env, Math.min(timeoutMs, 60_000));
    const args = poetryLockArgs(version, opts.update);
    const r = await runTool(poetry, args, { cwd: projectDir, env, timeoutMs });
    const lockFile = path.join(projectDir, 'poetry.lock');
    if (!fs.existsSync(lockFile)) throw new RelockError(`poetry ${args.join(' ')} succeeded but wrote no ${lockFile}`);
    return { lockText: fs.readFileSync(lockFile, 'utf8'), version, command: [poetry, ...args], ms: r.ms };
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
}
