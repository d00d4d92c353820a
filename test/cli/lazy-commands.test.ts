import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Command } from 'commander';
import { buildProgram, COMMANDS } from '../../src/cli/main.ts';
import type { CliContext } from '../../src/cli/context.ts';
import { runCli } from '../helpers/run-cli.ts';

const ctx: CliContext = { cwd: '.', env: {}, stdout: () => {}, stderr: () => {}, isTTY: false };

/** main.ts loads only the modules of the command a run names: its table must say what each module registers. */
describe('lazy command modules', () => {
  it('each entry names exactly the top-level commands its module registers', async () => {
    for (const entry of COMMANDS) {
      const p = new Command('x');
      (await entry.module()).register(p, ctx, { code: 0 });
      assert.deepEqual(p.commands.map((c) => c.name()).sort(), [...entry.names].sort());
    }
  });

  it('a run of one command builds that command with every subcommand the full program has', async () => {
    const full = await buildProgram(ctx, { code: 0 });
    for (const c of full.commands) {
      const one = await buildProgram(ctx, { code: 0 }, ['node', 'depwarden', c.name(), '--help']);
      const sub = one.commands.find((x) => x.name() === c.name());
      assert.ok(sub, c.name());
      assert.deepEqual(sub.commands.map((x) => x.name()), c.commands.map((x) => x.name()), c.name());
    }
  });

  it('--version loads no command; an unknown command still gets the suggestion from the full list', async () => {
    assert.equal((await buildProgram(ctx, { code: 0 }, ['node', 'depwarden', '--version'])).commands.length, 0);
    const v = await runCli(['--version']);
    assert.equal(v.code, 0);
    assert.match(v.stdout, /^\d+\.\d+\.\d+\n$/);
    const r = await runCli(['chek', '.']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /Did you mean check\?/);
  });
});
