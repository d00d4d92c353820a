import { writeFileAtomic } from '../edit/atomic-write.ts';
import path from 'node:path';
import { type Command, Option } from 'commander';
import { type Finding, isSeverity, type Severity } from '../model/finding.ts';
import type { Config } from '../config/schema.ts';
import { FINDING_FORMATS, type FindingFormat, renderFindings, summarize, useColor } from '../report/index.ts';
import { applyRuleConfig } from '../rules/apply-config.ts';
import { allRules } from '../rules/all-rules.ts';
import { type CliContext, EXIT, type RunResult, UserError } from './context.ts';
import { TOOL_VERSION } from './version.ts';

export interface FindingCommandOptions {
  format: FindingFormat;
  failOn?: string;
  output?: string;
}

/** The options every finding-producing command shares (check, conflicts, audit). */
export function addFindingOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('-f, --format <format>', 'output format').choices([...FINDING_FORMATS]).default('table'))
    .option('--fail-on <severity>', 'exit 1 when a finding is at or above this severity (info, low, medium, high, critical; default from depwarden.yaml, else high)')
    .option('-o, --output <file>', 'write the report to a file instead of stdout');
}

export function resolveFailOn(opt: string | undefined, config: Config): Severity {
  if (opt === undefined) return config.failOn;
  if (!isSeverity(opt)) throw new UserError(`--fail-on must be one of info, low, medium, high, critical (got "${opt}")`);
  return opt;
}

/**
 * Applies the config's rule settings, renders, writes and sets the exit code. Exit 1 only for findings at or
 * above --fail-on (docs/cli.md).
 */
export function emitFindings(ctx: CliContext, result: RunResult, command: string, raw: Finding[], config: Config, opts: FindingCommandOptions, extend?: (text: string) => string): void {
  const failOn = resolveFailOn(opts.failOn, config);
  const findings = applyRuleConfig(raw, config);
  let text = renderFindings(findings, opts.format, {
    command,
    failOn,
    rules: allRules(),
    color: !opts.output && opts.format === 'table' && useColor(ctx.isTTY, ctx.env),
    toolVersion: TOOL_VERSION,
  });
  // A capability may add its own part to the report (provenance: the packages and who built them).
  if (extend) text = extend(text);
  if (opts.output) writeAtomic(path.resolve(ctx.cwd, opts.output), text);
  else ctx.stdout(text);
  result.code = summarize(findings, failOn).failed ? EXIT.findings : EXIT.ok;
}

/** A reader never sees half a report (temp file + rename; devices such as /dev/null are written in place). */
export function writeAtomic(file: string, text: string): void {
  writeFileAtomic(file, Buffer.from(text, 'utf8'));
}
