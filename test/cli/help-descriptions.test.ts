import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Command } from 'commander';
import { buildProgram } from '../../src/cli/main.ts';

function walk(c: Command, prefix: string[] = []): { path: string; description: string }[] {
  const name = [...prefix, c.name()];
  return [{ path: name.join(' '), description: c.description() }, ...c.commands.flatMap((sub) => walk(sub, name))];
}

/** `depwarden <command> --help` says what every command does (issue 19, item 6). */
describe('help', () => {
  it("every command and subcommand has a description", async () => {
    const program = await buildProgram({ cwd: process.cwd(), env: {}, stdout: () => {}, stderr: () => {}, isTTY: false }, { code: 0 });
    const all = walk(program);
    assert.ok(all.length > 40, `${all.length} commands walked`);
    const empty = all.filter((c) => c.description.trim() === '').map((c) => c.path);
    assert.deepEqual(empty, []);
  });
});
