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
