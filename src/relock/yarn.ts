import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { jsCommand, pinnedMajor } from './js-tool.ts';
import { packageManagerOf } from './pnpm.ts';
import { baseEnv, RelockError, runTool } from './run-tool.ts';

export interface YarnRunOptions {
  /** The yarn executable or its JS entry point (default: `yarn` on PATH); classic (1.x) or berry (2+), it must match the lock. */
  yarn?: string;
  registry?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Packages to move within their ranges (`yarn upgrade` / `yarn up -R`). */
  update?: string[];
}

export interface YarnLockResult {
  lockText: string;
  version: string;
  command: string[];
  ms: number;
}

/**
 * Runs the real Yarn in the lock's folder. Berry (2+): `yarn install --mode=update-lockfile` (resolves and writes
 * the lock, links nothing), scripts off, its cache and install state in a scratch folder. Classic (1.x) has no
 * lock-only mode: `yarn install --ignore-scripts` into a scratch `--modules-folder` that is removed afterwards.
 * The lock's flavour (a berry lock has `__metadata`) and the `packageManager` pin must match the Yarn found.
 */
export async function runYarnLock(projectDir: string, opts: YarnRunOptions = {}): Promise<YarnLockResult> {
  const { command, prefix } = jsCommand(opts.yarn ?? 'yarn');
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'depwarden-yarn-'));
  const lockFile = path.join(projectDir, 'yarn.lock');
  try {
    const base: NodeJS.ProcessEnv = { ...baseEnv(['NODE_AUTH_TOKEN']), COREPACK_ENABLE_STRICT: '0', YARN_ENABLE_TELEMETRY: '0', ...opts.env };
    const version = (await runTool(command, [...prefix, '--version'], { cwd: projectDir, env: base, timeoutMs: Math.min(timeoutMs, 60_000) })).stdout.trim();
    const major = Number(version.split('.')[0]);
    const berry = major >= 2;
    const existing = fs.existsSync(lockFile) ? fs.readFileSync(lockFile, 'utf8') : undefined;
    if (existing !== undefined && /^__metadata:/m.test(existing) !== berry) throw new RelockError(`${lockFile} is a ${berry ? 'Yarn classic (v1)' : 'Yarn berry'} lock but yarn ${version} is installed: relock with the Yarn that wrote it`);
    const pinned = pinnedMajor(packageManagerOf(projectDir), 'yarn');
    if (pinned !== undefined && (pinned >= 2) !== berry) throw new RelockError(`package.json pins yarn ${pinned}.x (packageManager) but yarn ${version} is installed`);
    let args: string[];
    let env: NodeJS.ProcessEnv;
    if (berry) {
      const host = opts.registry ? new URL(opts.registry).hostname : undefined;
      env = {
        ...base,
        YARN_ENABLE_SCRIPTS: '0',
        YARN_ENABLE_GLOBAL_CACHE: '0',
        YARN_ENABLE_IMMUTABLE_INSTALLS: '0',
        YARN_CACHE_FOLDER: path.join(scratch, 'cache'),
        YARN_INSTALL_STATE_PATH: path.join(scratch, 'install-state.gz'),
        YARN_GLOBAL_FOLDER: path.join(scratch, 'global'),
        ...(opts.registry ? { YARN_NPM_REGISTRY_SERVER: opts.registry.replace(/\/$/, '') } : {}),
        ...(opts.registry?.startsWith('http:') && host ? { YARN_UNSAFE_HTTP_WHITELIST: host } : {}),
        ...opts.env,
      };
      args = opts.update?.length ? ['up', '-R', ...opts.update, '--mode=update-lockfile'] : ['install', '--mode=update-lockfile'];
    } else {
      env = base;
      const common = ['--ignore-scripts', '--non-interactive', '--no-progress', '--no-bin-links', '--ignore-engines', '--modules-folder', path.join(scratch, 'node_modules'), '--cache-folder', path.join(scratch, 'cache'), ...(opts.registry ? ['--registry', opts.registry] : [])];
      // `yarn upgrade` moves direct dependencies only: the named packages' lock entries are dropped instead, and
      // `yarn install` resolves them again within the ranges that require them (direct or not), the rest as locked.
      if (opts.update?.length && existing !== undefined) fs.writeFileSync(lockFile, pruneClassicEntries(existing, opts.update));
      args = ['install', ...common];
    }
    const r = await runTool(command, [...prefix, ...args], { cwd: projectDir, env, timeoutMs });
    if (!fs.existsSync(lockFile)) throw new RelockError(`yarn ${args.join(' ')} succeeded but wrote no ${lockFile}`);
    return { lockText: fs.readFileSync(lockFile, 'utf8'), version, command: ['yarn', ...args], ms: r.ms };
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

/** The name a Yarn 1 lock key names: `"@scope/x@^1"` → `@scope/x`, `x@npm:y@^2` → `x`. */
function keyName(key: string): string {
  const k = key.trim().replace(/^"|"$/g, '');
  const at = k.indexOf('@', k.startsWith('@') ? 1 : 0);
  return at < 0 ? k : k.slice(0, at);
}

/** A Yarn 1 lock without the entries whose keys all name one of `names` (blank-line separated blocks). */
export function pruneClassicEntries(text: string, names: string[]): string {
  const drop = new Set(names);
  return text
    .split(/\n(?=\S)/)
    .filter((block) => {
      if (/^#|^\s*$/.test(block)) return true;
      const header = block.split('\n', 1)[0]!.replace(/:\s*$/, '');
      const keys = header.split(/,\s*/);
      return !keys.every((k) => drop.has(keyName(k)));
    })
    .join('\n');
}
