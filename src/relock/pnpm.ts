import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsCommand, pinnedMajor } from './js-tool.ts';
import { baseEnv, RelockError, runTool } from './run-tool.ts';

export interface PnpmRunOptions {
  /** The pnpm executable or its JS entry point (default: `pnpm` on PATH). */
  pnpm?: string;
  registry?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Packages to move within their ranges (`pnpm update --lockfile-only <names>`). */
  update?: string[];
}

export interface PnpmLockResult {
  lockText: string;
  version: string;
  command: string[];
  ms: number;
}

/**
 * Runs the real pnpm in the lock's folder (a workspace root resolves every importer) to rewrite pnpm-lock.yaml
 * without installing: `--lockfile-only` (no node_modules, no store links), `--ignore-scripts`, a fresh store and
 * cache removed afterwards. A pnpm whose major differs from the project's `packageManager` pin is refused: it
 * would rewrite the lock in another format.
 */
export async function runPnpmLock(projectDir: string, opts: PnpmRunOptions = {}): Promise<PnpmLockResult> {
  const { command, prefix } = jsCommand(opts.pnpm ?? 'pnpm');
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'depwarden-pnpm-'));
  try {
    const env: NodeJS.ProcessEnv = { ...baseEnv(['NODE_AUTH_TOKEN']), npm_config_update_notifier: 'false', COREPACK_ENABLE_STRICT: '0', ...opts.env };
    const version = (await runTool(command, [...prefix, '--version'], { cwd: projectDir, env, timeoutMs: Math.min(timeoutMs, 60_000) })).stdout.trim();
    const pinned = pinnedMajor(packageManagerOf(projectDir), 'pnpm');
    if (pinned !== undefined && pinned !== Number(version.split('.')[0])) throw new RelockError(`package.json pins pnpm ${pinned}.x (packageManager) but pnpm ${version} is installed: relock with pnpm ${pinned} (corepack) to keep the lock's format`);
    const common = ['--lockfile-only', '--ignore-scripts', '--reporter=append-only', `--store-dir=${path.join(scratch, 'store')}`, `--cache-dir=${path.join(scratch, 'cache')}`, '--config.manage-package-manager-versions=false', ...(opts.registry ? [`--registry=${opts.registry}`] : [])];
    const args = opts.update?.length ? ['update', ...opts.update, ...common] : ['install', '--no-frozen-lockfile', ...common];
    const r = await runTool(command, [...prefix, ...args], { cwd: projectDir, env, timeoutMs });
    const lockFile = path.join(projectDir, 'pnpm-lock.yaml');
    if (!fs.existsSync(lockFile)) throw new RelockError(`pnpm ${args.join(' ')} succeeded but wrote no ${lockFile}`);
    return { lockText: fs.readFileSync(lockFile, 'utf8'), version, command: ['pnpm', ...args], ms: r.ms };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

export function packageManagerOf(dir: string): string | undefined {
  try {
    const pm = (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { packageManager?: unknown }).packageManager;
    return typeof pm === 'string' ? pm : undefined;
  } catch {
    return undefined;
  }
}
