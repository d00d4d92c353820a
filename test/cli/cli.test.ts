import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';

describe('cli', () => {
  const dirs: string[] = [];
  const tmp = (): string => {
    const d = mkdtempSync(path.join(tmpdir(), 'dw-cli-'));
    dirs.push(d);
    return d;
  };
  after(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  it('a missing path is a usage error (exit 2) that names it', async () => {
    const r = await runCli(['check', '/nonexistent/dw-test']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /no such directory: \/nonexistent\/dw-test/);
  });

  it('an unknown --fail-on is a usage error', async () => {
    const r = await runCli(['check', tmp(), '--fail-on', 'severe']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--fail-on must be one of/);
  });

  it('--fail-on decides the exit code', async () => {
    const d = tmp();
    writeFileSync(path.join(d, 'Dockerfile'), 'FROM python:3.12-slim\n'); // DW006, medium
    assert.equal((await runCli(['check', d])).code, 0);
    assert.equal((await runCli(['check', d, '--fail-on', 'medium'])).code, 1);
    assert.equal((await runCli(['check', d, '--fail-on', 'critical'])).code, 0);
  });

  it('config errors name the file, line and key (exit 2)', async () => {
    const d = tmp();
    writeFileSync(path.join(d, 'depwarden.yaml'), 'version: 1\nfailOn: high\nrules:\n  DW001: loud\nbogus: 1\n');
    const r = await runCli(['check', d]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /depwarden\.yaml:4: rules\.DW001: /);
    assert.match(r.stderr, /depwarden\.yaml:5: bogus: /);
  });

  it('invalid YAML in the config is reported with line and column', async () => {
    const d = tmp();
    writeFileSync(path.join(d, 'depwarden.yaml'), 'rules:\n  DW001: [\n');
    const r = await runCli(['config', 'validate', d]);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /depwarden\.yaml:\d+:\d+: /);
  });

  it('rule settings turn rules off per path and change severity', async () => {
    const d = tmp();
    writeFileSync(path.join(d, 'Dockerfile'), 'FROM python:3.12-slim\n');
    writeFileSync(path.join(d, 'depwarden.yaml'), 'rules:\n  DW006: critical\n');
    assert.equal((await runCli(['check', d])).code, 1);
    writeFileSync(path.join(d, 'depwarden.yaml'), 'rules:\n  DW006: { enabled: false, paths: ["Dockerfile"] }\n');
    const r = await runCli(['check', d, '--fail-on', 'info']);
    assert.equal(r.code, 0, r.stdout);
  });

  it('commands not built yet say so and exit 4', async () => {
    const { Command } = await import('commander');
    const { registerNotBuilt } = await import('../../src/cli/not-built.ts');
    let err = '';
    const result = { code: 0 };
    const program = new Command().exitOverride();
    registerNotBuilt(program, { cwd: '.', env: {}, stdout: () => {}, stderr: (s) => void (err += s), isTTY: false }, result, 'teleport <x>', 'Teleport', 99);
    await program.parseAsync(['node', 'dw', 'teleport', 'a', '--fast']);
    assert.equal(result.code, 4);
    assert.match(err, /teleport: not built yet \(tracked in issue 99\)\. Nothing was checked or changed\./);
  });

  it('config schema prints a JSON Schema', async () => {
    const r = await runCli(['config', 'schema']);
    assert.equal(r.code, 0);
    const s = JSON.parse(r.stdout) as { properties: Record<string, unknown> };
    assert.ok(s.properties.rules && s.properties.failOn);
  });

  it('colour only on a TTY without NO_COLOR', async () => {
    const { useColor } = await import('../../src/report/options.ts');
    assert.equal(useColor(true, {}), true);
    assert.equal(useColor(true, { NO_COLOR: '1' }), false);
    assert.equal(useColor(false, {}), false);
  });

  it('sarif output is SARIF 2.1.0 with rule metadata', async () => {
    const d = tmp();
    writeFileSync(path.join(d, 'Dockerfile'), 'FROM node\n');
    const r = await runCli(['check', d, '--format', 'sarif']);
    const s = JSON.parse(r.stdout) as { version: string; runs: { tool: { driver: { rules: { id: string }[] } }; results: { ruleId: string; locations: { physicalLocation: { region: { startLine: number } } }[] }[] }[] };
    assert.equal(s.version, '2.1.0');
    assert.deepEqual(s.runs[0]!.tool.driver.rules.map((x) => x.id), ['DW007']);
    assert.equal(s.runs[0]!.results[0]!.locations[0]!.physicalLocation.region.startLine, 1);
  });
});
