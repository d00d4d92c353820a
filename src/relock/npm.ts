import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseNpmrc } from '../http/auth.ts';
import { baseEnv, RelockError, runTool } from './run-tool.ts';

export interface NpmRunOptions {
  /** The npm executable (default: `npm` on PATH). */
  npm?: string;
  /** Registry from depwarden's config; a `registry=` in the project's .npmrc wins, as npm itself would have it. */
  registry?: string;
  env?: Record<string, string>;
  timeoutMs?: number;
  /** Packages to move within their ranges (`npm update <names>`); default: none (`npm install`). */
  update?: string[];
}

export interface NpmLockResult {
  lockText: string;
  lockFile: string;
  version: string;
  command: string[];
  ms: number;
}

/** The project's own .npmrc names a default registry (npm reads it from the project directory itself). */
function projectRegistry(dir: string): string | undefined {
  const file = path.join(dir, '.npmrc');
  if (!fs.existsSync(file)) return undefined;
  return parseNpmrc(fs.readFileSync(file, 'utf8'), process.env).get('registry');
}

/**
 * Runs the real npm in `projectDir` to rewrite package-lock.json (or npm-shrinkwrap.json) without installing:
 * `--package-lock-only` (no node_modules), `--ignore-scripts` (no lifecycle code from the registry runs),
 * `--no-audit --no-fund --no-update-notifier` (no calls besides the registry), a fresh `--cache` (logs land
 * there too, and it is removed afterwards).
 */
export async function runNpmLock(projectDir: string, opts: NpmRunOptions = {}): Promise<NpmLockResult> {
  const npm = opts.npm ?? 'npm';
  const timeoutMs = opts.timeoutMs ?? 300_000;
  const cache = fs.mkdtempSync(path.join(os.tmpdir(), 'depwarden-npm-cache-'));
  try {
    // npm_config_* variables are not inherited: a parent npm (`npm run`, `npm test`) exports its whole resolved
    // configuration that way (omit-lockfile-registry-resolved, prefix, cache...), which would make the lock depend
    // on how depwarden was started. npm reads the project, user and global .npmrc files itself.
    const env: NodeJS.ProcessEnv = { ...baseEnv(['NODE_AUTH_TOKEN']), npm_config_update_notifier: 'false', ...opts.env };
    const registry = projectRegistry(projectDir) ? undefined : opts.registry;
    const common = ['--package-lock-only', '--ignore-scripts', '--no-audit', '--no-fund', '--no-update-notifier', '--loglevel=warn', '--cache', cache, ...(registry ? ['--registry', registry] : [])];
    const args = opts.update?.length ? ['update', ...opts.update, ...common] : ['install', ...common];
    const version = (await runTool(npm, ['--version'], { cwd: projectDir, env, timeoutMs: Math.min(timeoutMs, 60_000) })).stdout.trim();
    const r = await runTool(npm, args, { cwd: projectDir, env, timeoutMs });
    const shrink = path.join(projectDir, 'npm-shrinkwrap.json');
    const lockFile = fs.existsSync(shrink) ? shrink : path.join(projectDir, 'package-lock.json');
    if (!fs.existsSync(lockFile)) throw new RelockError(`npm ${args.join(' ')} succeeded but wrote no ${lockFile}`);
    return { lockText: fs.readFileSync(lockFile, 'utf8'), lockFile, version, command: [npm, ...args], ms: r.ms };
  } finally {
    fs.rmSync(cache, { recursive: true, force: true });
  }
}
