import { Command, CommanderError } from 'commander';
import { type CliContext, EXIT, processContext, type RunResult, UserError } from './context.ts';
import { classifyError } from './errors.ts';
import { TOOL_VERSION } from './version.ts';
import { printable } from '../report/printable.ts';
import { register as registerInventory } from './commands/inventory.ts';
import { register as registerConfig } from './commands/config.ts';
import { register as registerConflicts } from './commands/conflicts.ts';
import { register as registerVulns } from './commands/vulns.ts';
import { register as registerSbom } from './commands/sbom.ts';
import { register as registerUpdates } from './commands/updates.ts';
import { register as registerGovernance } from './commands/governance.ts';
import { register as registerStore } from './commands/store.ts';
import { register as registerSupply } from './commands/supply.ts';
import { register as registerDeploy } from './commands/deploy.ts';
import { register as registerReport } from './commands/report.ts';
import { register as registerHealth } from './commands/health.ts';
import { register as registerServe } from './commands/serve.ts';
import { register as registerAlerts } from './commands/alerts.ts';

// One module per capability registers its commands; adding a capability is one line here.
const COMMANDS = [registerInventory, registerConfig, registerConflicts, registerVulns, registerSbom, registerUpdates, registerGovernance, registerStore, registerSupply, registerDeploy, registerReport, registerHealth, registerServe, registerAlerts];

export function buildProgram(ctx: CliContext, result: RunResult): Command {
  const program = new Command('depwarden')
    .description('Runs the dependency protocol for a fleet of containerised services.')
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .showHelpAfterError(false)
    // Options belong to the command they follow: `sbom -f spdx-json` and `sbom diff -f json` do not collide.
    .enablePositionalOptions();
  for (const reg of COMMANDS) reg(program, ctx, result);
  return program;
}

/** Runs the CLI and returns the exit code (documented in docs/cli.md). Never throws. */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const result: RunResult = { code: EXIT.ok };
  const program = buildProgram(ctx, result);
  try {
    await program.parseAsync(argv);
    return result.code;
  } catch (e) {
    if (e instanceof CommanderError) {
      // --help and --version end here with exitCode 0.
      return e.exitCode === 0 ? EXIT.ok : EXIT.usage;
    }
    if (e instanceof UserError) {
      // Messages quote paths and config keys from the repository: control characters shown escaped.
      ctx.stderr(`depwarden: ${printable(e.message)}\n`);
      return e.exitCode;
    }
    // Network, git, store and permission failures are the environment, not a bug: one line and their own code.
    const env = classifyError(e, ctx.env);
    if (env) {
      ctx.stderr(`depwarden: ${env.message}\n`);
      return env.code;
    }
    ctx.stderr(`depwarden: internal error (a bug; please report it): ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
    return EXIT.internal;
  }
}
