import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import semver from 'semver';

/**
 * The declared `engines` and the launcher agree: on the machine's own Node (20 here, older than the CLI's 22.18),
 * `npm ci` must not warn about our package, and the launcher must re-run the CLI on the pinned Node.
 */
describe('launcher', () => {
  const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { engines: { node: string }; version: string };
  const machine = spawnSync('node', ['-p', 'process.versions.node'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });

  it('runs the CLI from the machine\'s Node, whose version the engines range admits', { skip: machine.status === 0 ? false : 'no `node` on PATH' }, () => {
    const version = machine.stdout.trim();
    assert.ok(semver.satisfies(version, pkg.engines.node), `engines.node ${pkg.engines.node} must admit the machine's Node ${version}: the launcher runs there`);
    const r = spawnSync('node', [new URL('../../bin/depwarden.js', import.meta.url).pathname, '--version'], { encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout.trim(), pkg.version);
  });
});

describe('a reader that stops early (`depwarden sbom | head`)', () => {
  for (const argv of [['sbom'], ['scan', '--format', 'json']]) {
    it(`${argv[0]}: the rest of the output is dropped quietly, no EPIPE stack trace, the exit code is the command's`, async () => {
      const { spawn } = await import('node:child_process');
      const { CORPUS } = await import('../helpers/corpus.ts');
      const repo = `${CORPUS}/poetry/langchain-ai__langgraph`;
      const child = spawn(process.execPath, [new URL('../../bin/depwarden.js', import.meta.url).pathname, argv[0]!, repo, ...argv.slice(1)], { stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      // Close our end after the first chunk: the output (hundreds of KB) is far longer than one pipe buffer.
      child.stdout.once('data', () => child.stdout.destroy());
      const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
      assert.doesNotMatch(stderr, /EPIPE|Unhandled|at .*\(node:/, stderr);
      assert.equal(code, 0, stderr);
    });
  }
});
