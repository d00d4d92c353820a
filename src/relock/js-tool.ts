import path from 'node:path';

/**
 * How to start a JavaScript package manager given as an executable or as its JS entry point (`.js`, `.cjs`,
 * `.mjs`, e.g. a package's bin file): the latter runs on the Node that runs depwarden, so the pinned runtime is used.
 */
export function jsCommand(tool: string): { command: string; prefix: string[] } {
  return /\.(c|m)?js$/.test(tool) ? { command: process.execPath, prefix: [path.resolve(tool)] } : { command: tool, prefix: [] };
}

/** The major version a project's `packageManager` field pins for this tool ("pnpm@9.1.0+sha512..." → 9), if any. */
export function pinnedMajor(packageManager: string | undefined, tool: 'pnpm' | 'yarn'): number | undefined {
  const m = packageManager ? new RegExp(`^${tool}@(\\d+)\\.`).exec(packageManager) : null;
  return m ? Number(m[1]) : undefined;
}
