#!/usr/bin/env node
// Launcher. The CLI is TypeScript run by Node's built-in type stripping (Node >= 22.18), so there is no build
// step between `npm ci` and `npx depwarden`. Started by an older Node, it re-runs itself on the pinned Node 24
// from node_modules (the `node` devDependency), or says plainly what is missing.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import module from 'node:module';
import { fileURLToPath } from 'node:url';
import { isMainThread, Worker } from 'node:worker_threads';

const [major, minor] = process.versions.node.split('.').map(Number);
if (major < 22 || (major === 22 && minor < 18)) {
  const pinned = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (existsSync(pinned)) {
    const r = spawnSync(pinned, [fileURLToPath(import.meta.url), ...process.argv.slice(2)], { stdio: 'inherit' });
    process.exit(r.status ?? 3);
  }
  process.stderr.write(`depwarden needs Node >= 22.18 (this is ${process.version}). Run \`npm ci\`, then \`npx depwarden\`: it uses the pinned Node 24.\n`);
  process.exit(3);
}
// Cache compiled code (and stripped TypeScript) on disk: start-up is a large part of a scan of a small repo.
module.enableCompileCache?.();
// Installed as a package (`npm install -g depwarden-<v>.tgz`), the source sits under node_modules, where Node
// refuses to strip types. Our own files (and only those) are stripped by the same built-in stripper through a
// load hook, so the installed tool is the source too, with no build step.
const here = fileURLToPath(import.meta.url);
if (/[\\/]node_modules[\\/]/.test(here) && module.registerHooks && module.stripTypeScriptTypes) {
  const src = new URL('../src/', import.meta.url).href;
  // Only the stripper's own "experimental" notice is dropped: it is about this launcher, not the user's files.
  const emit = process.emitWarning.bind(process);
  process.emitWarning = (w, ...rest) => (/stripTypeScriptTypes/.test(String(w?.message ?? w)) ? undefined : emit(w, ...rest));
  module.registerHooks({
    load(url, context, nextLoad) {
      if (url.startsWith(src) && url.endsWith('.ts')) return { format: 'module', source: module.stripTypeScriptTypes(readFileSync(fileURLToPath(url), 'utf8')), shortCircuit: true };
      return nextLoad(url, context);
    },
  });
}
// `audit` of a large fleet runs in a worker thread whose young generation is capped: V8 sizes it only when an
// isolate is created (the flag cannot be set from inside a running one), and on the 200-service bench the default
// one grew to ~100 MB of short-lived garbage, 366-378 MB peak against 275-290 MB capped (docs/benchmarks.md).
const command = process.argv.slice(2).find((a) => !a.startsWith('-'));
if (command === 'audit' && isMainThread) {
  const worker = new Worker(here, { argv: process.argv.slice(2), workerData: { stdoutIsTTY: Boolean(process.stdout.isTTY) }, resourceLimits: { maxYoungGenerationSizeMb: 16 } });
  worker.on('error', (e) => {
    process.stderr.write(`depwarden: internal error (a bug; please report it): ${e?.stack ?? String(e)}\n`);
    process.exitCode = 3;
  });
  worker.on('exit', (code) => {
    process.exitCode ??= code;
  });
} else {
  const { main } = await import('../src/cli/main.ts');
  process.exitCode = await main(process.argv);
}
