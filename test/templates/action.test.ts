import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';

const REPO = path.resolve(import.meta.dirname, '..', '..');
type Step = { name: string; id?: string; uses?: string; run?: string; env?: Record<string, string>; with?: Record<string, string> };
const action = parse(readFileSync(path.join(REPO, 'action.yml'), 'utf8')) as { runs: { using: string; steps: Step[] }; inputs: Record<string, unknown> };
const text = readFileSync(path.join(REPO, 'action.yml'), 'utf8');

describe('action.yml (composite action)', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-action-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));

  it('is composite, pins its actions by commit SHA, runs the pinned Node, and never puts an expression in a script', () => {
    assert.equal(action.runs.using, 'composite');
    for (const s of action.runs.steps.filter((x) => x.uses)) assert.match(s.uses!, /^[\w.-]+\/[\w.-]+@[0-9a-f]{40}$/);
    assert.match(text, /uses: actions\/setup-node@[0-9a-f]{40} # v\d+\.\d+\.\d+/);
    const pinned = (JSON.parse(readFileSync(path.join(REPO, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies.node;
    assert.equal(action.runs.steps.find((s) => s.uses?.startsWith('actions/setup-node@'))!.with!['node-version'], pinned);
    for (const s of action.runs.steps) if (s.run) assert.doesNotMatch(s.run, /\$\{\{/, `${s.name}: expressions go through env`);
  });

  it('its scripts install a depwarden wrapper and run the command given, splitting args without a shell, reporting the exit code', () => {
    const bin = path.join(tmp, 'fake-bin');
    mkdirSync(bin);
    writeFileSync(path.join(bin, 'npm'), '#!/bin/sh\nexit 0\n'); // `npm ci` stands in: the dependencies are this checkout's
    chmodSync(path.join(bin, 'npm'), 0o755);
    const nodeDir = path.dirname(process.execPath);
    const env = { PATH: `${bin}:${nodeDir}:/usr/bin:/bin`, RUNNER_TEMP: tmp, GITHUB_PATH: path.join(tmp, 'path'), GITHUB_OUTPUT: path.join(tmp, 'out'), ACTION_PATH: REPO };
    writeFileSync(env.GITHUB_PATH, '');
    writeFileSync(env.GITHUB_OUTPUT, '');
    const install = action.runs.steps.find((s) => s.name === 'Install depwarden')!;
    execFileSync('bash', ['-c', install.run!], { env, encoding: 'utf8' });
    assert.equal(readFileSync(env.GITHUB_PATH, 'utf8').trim(), path.join(tmp, 'depwarden-bin'));
    const runStep = action.runs.steps.find((s) => s.id === 'run')!;
    const repo = path.join(tmp, 'repo');
    mkdirSync(repo);
    writeFileSync(path.join(repo, 'requirements.txt'), 'requests>=2\n');
    // `$(touch pwned)` must stay an argument, never run.
    const r = spawnSync('bash', ['-c', runStep.run!], { env: { ...env, DEPWARDEN_ARGS: `check ${repo} --format json $(touch ${path.join(tmp, 'pwned')})` }, encoding: 'utf8' });
    assert.equal(r.status, 2, r.stderr); // the stray arguments are a usage error, exit 2
    assert.match(readFileSync(env.GITHUB_OUTPUT, 'utf8'), /^exit-code=2$/m);
    assert.throws(() => readFileSync(path.join(tmp, 'pwned')));
    writeFileSync(env.GITHUB_OUTPUT, '');
    const ok = spawnSync('bash', ['-c', runStep.run!], { env: { ...env, DEPWARDEN_ARGS: `check ${repo} --format json` }, encoding: 'utf8' });
    assert.equal(ok.status, 1); // requests>=2 is unpinned and unlocked: findings
    assert.match(readFileSync(env.GITHUB_OUTPUT, 'utf8'), /^exit-code=1$/m);
    assert.ok((JSON.parse(ok.stdout) as { findings: { ruleId: string }[] }).findings.some((f) => f.ruleId === 'DW001'));
  });
});
