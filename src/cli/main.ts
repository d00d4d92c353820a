import { Command, CommanderError } from 'commander';
import { type CliContext, EXIT, processContext, type RegisterCommand, type RunResult, UserError } from './context.ts';
import { classifyError } from './errors.ts';
import { TOOL_VERSION } from './version.ts';
import { printable } from '../report/printable.ts';

type Module = () => Promise<{ register: RegisterCommand }>;

/**
 * One module per capability registers its commands; adding a capability is one entry here, with the top-level
 * commands it registers (test/cli/lazy-commands.test.ts checks the names against what each module really
 * registers). A run loads only the modules of its command: `depwarden --version` or `scan` does not load the
 * server, the deploy drivers or the alert channels — start-up is most of a run on a small repository.
 */
export const COMMANDS: { module: Module; names: string[] }[] = [
  { module: () => import('./commands/inventory.ts'), names: ['scan', 'check'] },
  { module: () => import('./commands/config.ts'), names: ['config'] },
  { module: () => import('./commands/conflicts.ts'), names: ['conflicts', 'why', 'agree'] },
  { module: () => import('./commands/vulns.ts'), names: ['db', 'audit', 'vex'] },
  { module: () => import('./commands/sbom.ts'), names: ['sbom'] },
  { module: () => import('./commands/updates.ts'), names: ['outdated', 'update'] },
  { module: () => import('./commands/governance.ts'), names: ['known-good', 'rollback', 'changes', 'approve', 'reject', 'gate', 'audit-log'] },
  { module: () => import('./commands/store.ts'), names: ['store'] },
  // `changes config` and `changes show` join governance's `changes`: both modules load for it, in this order.
  { module: () => import('./commands/supply.ts'), names: ['export', 'provenance', 'changes'] },
  { module: () => import('./commands/deploy.ts'), names: ['deploy', 'deploys'] },
  { module: () => import('./commands/report.ts'), names: ['report'] },
  { module: () => import('./commands/health.ts'), names: ['health'] },
  { module: () => import('./commands/serve.ts'), names: ['serve', 'repo', 'token'] },
  { module: () => import('./commands/alerts.ts'), names: ['alerts'] },
];

/** The command a run names (its first argument that is not an option), when one module table entry knows it. */
function commandOf(argv: string[]): string | undefined {
  const first = argv.slice(2).find((a) => !a.startsWith('-'));
  return first && COMMANDS.some((c) => c.names.includes(first)) ? first : undefined;
}

/**
 * The program with every command (no `argv`), or with only the modules of the command `argv` names. `--version`
 * alone loads none; `--help`, no command or an unknown one load all (the help and the suggestion list them all).
 */
export async function buildProgram(ctx: CliContext, result: RunResult, argv?: string[]): Promise<Command> {
  const program = new Command('depwarden')
    .description('Runs the dependency protocol for a fleet of containerised services.')
    .version(TOOL_VERSION)
    .exitOverride()
    .configureOutput({ writeOut: ctx.stdout, writeErr: ctx.stderr })
    .showHelpAfterError(false)
    // Options belong to the command they follow: `sbom -f spdx-json` and `sbom diff -f json` do not collide.
    .enablePositionalOptions();
  const command = argv && commandOf(argv);
  const versionOnly = argv && !command && argv.slice(2).length === 1 && ['-V', '--version'].includes(argv[2]!);
  const wanted = versionOnly ? [] : command ? COMMANDS.filter((c) => c.names.includes(command)) : COMMANDS;
  const modules = await Promise.all(wanted.map((c) => c.module()));
  for (const m of modules) m.register(program, ctx, result);
  return program;
}

/** Runs the CLI and returns the exit code (documented in docs/cli.md). Never throws. */
export async function main(argv: string[], ctx: CliContext = processContext()): Promise<number> {
  const result: RunResult = { code: EXIT.ok };
  try {
    const program = await buildProgram(ctx, result, argv);
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
