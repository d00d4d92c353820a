import { Option } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { inventoryOf } from '../lazy.ts';
import { applyRuleConfig } from '../../rules/apply-config.ts';
import type { RegisterCommand } from '../context.ts';
import { addFindingOptions, emitFindings, resolveFailOn, type FindingCommandOptions, writeAtomic } from '../finding-command.ts';
import { repoPath, requireSomething } from '../repo-path.ts';
import { TOOL_VERSION } from '../version.ts';
import { sourceDate } from '../source-date.ts';
import path from 'node:path';

export const register: RegisterCommand = (program, ctx, result) => {
  program
    .command('scan')
    .description('List the services of a repository and what each depends on')
    .argument('[path]', 'repository root', '.')
    .addOption(new Option('-f, --format <format>', 'output format').choices(['table', 'json']).default('table'))
    .option('-o, --output <file>', 'write to a file instead of stdout')
    .action(async (p: string, opts: { format: 'table' | 'json'; output?: string }) => {
      const root = repoPath(ctx.cwd, p, (l) => ctx.stderr(`note: ${l}\n`));
      const { config } = await loadConfig(root);
      const inv = await inventoryOf(root, config);
      const findings = applyRuleConfig(inv.findings, config);
      const { renderScanJson, renderScanTable } = await import('../../report/inventory.ts');
      const text = opts.format === 'json' ? renderScanJson(inv, findings, TOOL_VERSION) : renderScanTable(inv, findings);
      if (opts.output) writeAtomic(path.resolve(ctx.cwd, opts.output), text);
      else ctx.stdout(text);
    });

  addFindingOptions(
    program
      .command('check')
      .description("Check the protocol's rules; exit 1 when a finding is at or above --fail-on")
      .argument('[path]', 'repository root', '.')
      .option('--registry-licenses', 'ask PyPI / npm for the licences the locks do not record (without it: earlier answers only)')
      .option('--offline', 'with --registry-licenses: answer from the caches only')
      .option('--fix', "pin unpinned direct dependencies (DW001) to the versions their locks hold, then check the result"),
  ).action(async (p: string, opts: FindingCommandOptions & { registryLicenses?: boolean; offline?: boolean; fix?: boolean }) => {
    const root = repoPath(ctx.cwd, p, (l) => ctx.stderr(`note: ${l}\n`));
    const { config, file: configFile } = await loadConfig(root);
    let inv = await inventoryOf(root, config);
    resolveFailOn(opts.failOn, config); // a usage error in the options is said before anything else
    requireSomething(inv, configFile);
    if (opts.fix) {
      const { fixPins } = await import('../../check/fix-pins.ts');
      const fixed = fixPins(inv);
      // stderr: stdout stays the report in the chosen format (json, sarif).
      for (const l of fixed.changed) ctx.stderr(`pinned: ${l}\n`);
      for (const l of fixed.left) ctx.stderr(`left: ${l}\n`);
      ctx.stderr(fixed.files.length ? `fix: wrote ${fixed.files.join(', ')}\n` : 'fix: nothing to pin\n');
      if (fixed.files.length) inv = await inventoryOf(root, config);
    }
    // Only a licence policy reads licences: without one, no cache is read and no registry asked.
    if (config.licenses.allow.length || config.licenses.deny.length) {
      const { applyRegistryLicenses } = await import('../registry-licenses.ts');
      await applyRegistryLicenses(ctx, root, config, inv, { ask: Boolean(opts.registryLicenses), offline: Boolean(opts.offline) });
    }
    const { collectCheckFindings } = await import('../../check/index.ts');
    const findings = await collectCheckFindings(inv, config, { env: ctx.env, now: sourceDate(ctx.env), note: (l) => ctx.stderr(`note: ${l}\n`) });
    emitFindings(ctx, result, 'check', findings, config, opts);
  });
};
