import type { Command } from 'commander';
import { type CliContext, EXIT, type RunResult } from './context.ts';

/**
 * Registers a command that is designed but not built yet. It says so plainly and exits 4,
 * so nobody mistakes it for a command that ran and found nothing.
 */
export function registerNotBuilt(program: Command, ctx: CliContext, result: RunResult, name: string, summary: string, issue: number): void {
  program
    .command(name)
    .description(`${summary} [not built yet: issue ${issue}]`)
    .allowUnknownOption(true)
    .allowExcessArguments(true)
    .action(() => {
      ctx.stderr(`depwarden ${name.split(' ')[0]}: not built yet (tracked in issue ${issue}). Nothing was checked or changed.\n`);
      result.code = EXIT.notBuilt;
    });
}
