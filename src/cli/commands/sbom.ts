import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Option } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { inventoryOf } from '../lazy.ts';
import { EXIT, type RegisterCommand, UserError } from '../context.ts';
import { repoPath, requireSomething } from '../repo-path.ts';
import { TOOL_VERSION } from '../version.ts';

// Kept here (not imported from src/sbom) so that registering the command loads none of the SBOM code.
const FORMATS = ['cyclonedx-json', 'cyclonedx-xml', 'spdx-json'] as const;
type SbomFormat = (typeof FORMATS)[number];
type Spec = '1.5' | '1.6' | '1.7';

/** The repository SBOM (CycloneDX 1.6 JSON) of a directory: what `sbom diff --git` compares. */
async function repositoryJson(root: string, name: string): Promise<string> {
  const { config } = await loadConfig(root);
  const inv = await inventoryOf(root, config);
  const { sbomDocuments, renderSbom } = await import('../../sbom/documents.ts');
  const repo = sbomDocuments(inv, name).at(-1)!;
  // A fixed timestamp: only the components are compared.
  return renderSbom(repo.doc, 'cyclonedx-json', { spec: '1.6', timestamp: new Date(0), toolVersion: TOOL_VERSION });
}

export const register: RegisterCommand = (program, ctx, result) => {
  const sbom = program
    .command('sbom')
    .description('Write CycloneDX and SPDX SBOMs per service and for the whole repository')
    .argument('[path]', 'repository root', '.')
    .addOption(new Option('-f, --format <format...>', 'one or more formats (default: sbom.formats in depwarden.yaml, else cyclonedx-json)').choices([...FORMATS]))
    .addOption(new Option('--spec <version>', 'CycloneDX specification version (default: sbom.specVersion, else 1.6)').choices(['1.5', '1.6', '1.7']))
    .option('-o, --output-dir <dir>', 'write <service>.<ext> per service and repository.<ext>; without it (and without sbom.outputDir) the repository SBOM goes to stdout')
    .option('--service <name>', 'only this service (to stdout, or its file)')
    .option('--vulnerabilities', 'embed the audit (CycloneDX vulnerabilities with VEX analysis; needs the advisory database)')
    .option('--db <dir>', 'advisory database directory (with --vulnerabilities)')
    .option('--provenance', 'add the verdicts of `depwarden provenance` (from its cache): integrity, signature, attestation, who built it')
    .option('--registry-licenses', 'fill the licences the locks do not record from PyPI / npm (cached on disk)')
    .option('--offline', 'with --registry-licenses: answer from the caches only, and say what is missing')
    .enablePositionalOptions()
    .action(async (p: string, opts: { format?: SbomFormat[]; spec?: Spec; outputDir?: string; service?: string; vulnerabilities?: boolean; db?: string; provenance?: boolean; registryLicenses?: boolean; offline?: boolean }) => {
      const root = repoPath(ctx.cwd, p, (l) => ctx.stderr(`note: ${l}\n`));
      const { config, file: configFile } = await loadConfig(root);
      const formats = opts.format ?? config.sbom.formats;
      const spec = opts.spec ?? config.sbom.specVersion;
      const outputDir = opts.outputDir ? path.resolve(ctx.cwd, opts.outputDir) : config.sbom.outputDir ? path.resolve(root, config.sbom.outputDir) : undefined;
      // Said before any work: `-o` names a folder (one file per service and format), not a file such as /dev/null.
      if (outputDir && existsSync(outputDir) && !statSync(outputDir).isDirectory()) {
        throw new UserError(`${outputDir} is not a directory: -o/--output-dir (or sbom.outputDir) names the folder the SBOM files are written to; without it the repository SBOM goes to stdout`);
      }
      const inv = await inventoryOf(root, config);
      requireSomething(inv, configFile);
      if (opts.registryLicenses) {
        const { applyRegistryLicenses } = await import('../registry-licenses.ts');
        await applyRegistryLicenses(ctx, root, config, inv, { ask: true, offline: Boolean(opts.offline) });
      }
      let matches: import('../../vulns/audit.ts').VulnMatch[] | undefined;
      if (opts.vulnerabilities) {
        const { AdvisoryDb, defaultDbDir } = await import('../../vulns/store.ts');
        const dir = path.resolve(ctx.cwd, opts.db ?? config.vulns.database ?? defaultDbDir(ctx.env));
        const db = AdvisoryDb.open(dir);
        if (!db) throw new UserError(`--vulnerabilities needs the advisory database, and there is none at ${dir}: run \`depwarden db sync\``);
        const { auditInventory } = await import('../../vulns/audit.ts');
        const { applyTriage, loadTriage } = await import('../../vulns/vex.ts');
        const { sourceDate } = await import('../source-date.ts');
        const triage = loadTriage(root);
        const now = sourceDate(ctx.env);
        const r = auditInventory(inv, db, triage, now);
        db.close();
        // Every match, each with its triage decision when there is one (that is the VEX analysis).
        const t = applyTriage(r.matches, triage, now);
        matches = [...t.active, ...t.suppressed];
        if (formats.includes('spdx-json')) ctx.stderr('note: SPDX 2.3 has no vulnerability section; the audit goes into the CycloneDX files only\n');
      }
      const { sbomDocuments, renderSbom, SBOM_EXT } = await import('../../sbom/documents.ts');
      const { sbomTimestamp } = await import('../../sbom/timestamp.ts');
      if (opts.service !== undefined && !inv.services.some((s) => s.name === opts.service)) throw new UserError(`no service named ${opts.service} (see \`depwarden scan\`)`);
      let docs = sbomDocuments(inv, path.basename(root), opts.service, { repositoryOnly: !outputDir });
      if (opts.provenance) {
        const { sbomWithProvenance } = await import('../../provenance/sbom.ts');
        const r = await sbomWithProvenance(inv, config, ctx.env, docs);
        docs = r.docs;
        if (r.missing) ctx.stderr(`note: no provenance verdict for ${r.missing} locked package version${r.missing === 1 ? '' : 's'} (run \`depwarden provenance\` first)\n`);
      }
      const stamps = new Map<(typeof docs)[number], Date>();
      const render = (d: (typeof docs)[number], f: SbomFormat): string => {
        if (!stamps.has(d)) stamps.set(d, sbomTimestamp(ctx.env, root, d.sources));
        return renderSbom(d.doc, f, { spec, timestamp: stamps.get(d)!, toolVersion: TOOL_VERSION, ...(matches ? { vulnerabilities: matches } : {}) });
      };
      // An SBOM that misses dependency files is still written (it says so inside), but the run is not a success.
      const gaps = docs.at(-1)!.doc.gaps ?? [];
      const { printable } = await import('../../report/printable.ts');
      const incomplete = (): void => {
        if (!gaps.length) return;
        ctx.stderr(`depwarden: the inventory is incomplete; the SBOM says so and lists ${gaps.length} file${gaps.length === 1 ? '' : 's'} it could not include:\n${gaps.map((g) => `  ${printable(g.file)}: ${g.reason}`).join('\n')}\n`);
        result.code = EXIT.findings;
      };
      if (!outputDir) {
        ctx.stdout(render(docs.at(-1)!, formats[0]!));
        incomplete();
        return;
      }
      mkdirSync(outputDir, { recursive: true });
      // Imported here: finding-command.ts (where writeAtomic lives) loads every rule and report format, ~25
      // modules an SBOM to stdout never uses.
      const { writeAtomic } = await import('../finding-command.ts');
      let n = 0;
      for (const d of docs) {
        for (const f of formats) {
          writeAtomic(path.join(outputDir, `${d.file}.${SBOM_EXT[f]}`), render(d, f));
          n++;
        }
      }
      ctx.stderr(`wrote ${n} SBOM files to ${outputDir}\n`);
      incomplete();
    });

  sbom
    .command('diff')
    .description('Compare two SBOM files (CycloneDX or SPDX JSON), or two git revisions of a repository (--git)')
    .argument('<old>', 'SBOM file, or a git revision with --git')
    .argument('<new>', 'SBOM file, or a git revision with --git')
    .option('--git [repo]', 'old and new are revisions of this repository (default: the current directory)')
    .addOption(new Option('-f, --format <format>').choices(['table', 'json', 'markdown']).default('table'))
    .option('--fail-on-hash-change', `exit ${EXIT.findings} when a package kept its version but changed its hashes (a supply-chain red flag)`)
    .action(async (a: string, b: string, opts: { git?: string | boolean; format: 'table' | 'json' | 'markdown'; failOnHashChange?: boolean }) => {
      const { diffSboms, renderSbomDiff, sbomEntries } = await import('../../sbom/diff.ts');
      let ta: string;
      let tb: string;
      if (opts.git) {
        const repo = repoPath(ctx.cwd, typeof opts.git === 'string' ? opts.git : '.');
        const checkout = async (rev: string): Promise<string> => {
          const tmp = mkdtempSync(path.join(tmpdir(), 'dw-sbom-rev-'));
          // Same folder name as the repository: service names derived from it stay equal across revisions.
          const dir = path.join(tmp, path.basename(repo));
          let tar: Buffer;
          try {
            // git archive gives the committed tree only: no work-tree noise in the comparison.
            tar = execFileSync('git', ['-C', repo, 'archive', '--format=tar', rev], { maxBuffer: 1 << 30, stdio: ['ignore', 'pipe', 'pipe'] });
            mkdirSync(dir);
            execFileSync('tar', ['-x', '-C', dir], { input: tar, stdio: ['pipe', 'ignore', 'pipe'] });
            return await repositoryJson(dir, path.basename(repo));
          } catch (e) {
            const msg = e instanceof Error && 'stderr' in e && e.stderr ? String(e.stderr).trim().split('\n')[0] : e instanceof Error ? e.message.split('\n')[0] : String(e);
            throw new UserError(`cannot read revision ${rev} of ${repo}: ${msg}`);
          } finally {
            rmSync(tmp, { recursive: true, force: true });
          }
        };
        ta = await checkout(a);
        tb = await checkout(b);
      } else {
        const read = (f: string): string => {
          try {
            return readFileSync(path.resolve(ctx.cwd, f), 'utf8');
          } catch (e) {
            throw new UserError(`cannot read ${f}: ${e instanceof Error && 'code' in e ? String(e.code) : 'error'}`);
          }
        };
        ta = read(a);
        tb = read(b);
      }
      let d;
      try {
        d = diffSboms(sbomEntries(ta, a), sbomEntries(tb, b));
      } catch (e) {
        throw new UserError(e instanceof Error ? e.message : String(e));
      }
      let text = renderSbomDiff(d, opts.format);
      // Between two revisions, the configuration that changed with the dependencies (issue 17).
      if (opts.git) {
        const repo = repoPath(ctx.cwd, typeof opts.git === 'string' ? opts.git : '.');
        const { configDiff, renderConfigChangesMarkdown } = await import('../../changes/config-diff.ts');
        const cfg = configDiff(repo, a, b);
        if (opts.format === 'markdown') text = `${text.trimEnd()}\n\n${renderConfigChangesMarkdown(cfg.services, '### Configuration changes')}`;
        else if (opts.format === 'json') text = `${JSON.stringify({ ...(JSON.parse(text) as object), configChanges: cfg.services }, null, 2)}\n`;
        else if (cfg.services.length) text = `${text.trimEnd()}\n\nConfiguration changes: ${cfg.services.map((s) => `${s.service} (${s.changes.length})`).join(', ')} — \`depwarden changes config ${a} ${b}\` lists them\n`;
      }
      ctx.stdout(text);
      if (opts.failOnHashChange && d.hashChanges.length) result.code = EXIT.findings;
    });
};
