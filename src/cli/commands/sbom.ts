import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Option } from 'commander';
import { loadConfig } from '../../config/load.ts';
import { inventoryOf } from '../lazy.ts';
import { type RegisterCommand, UserError } from '../context.ts';
import { writeAtomic } from '../finding-command.ts';
import { repoPath } from '../repo-path.ts';
import { TOOL_VERSION } from '../version.ts';

const FORMATS = ['cyclonedx-json', 'cyclonedx-xml', 'spdx-json'] as const;
type SbomFormat = (typeof FORMATS)[number];
const EXT: Record<SbomFormat, string> = { 'cyclonedx-json': 'cdx.json', 'cyclonedx-xml': 'cdx.xml', 'spdx-json': 'spdx.json' };

const slug = (s: string): string => s.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^_+|_+$/g, '') || 'root';

/** Builds the whole-repository SBOM text of a directory (used for files and for git revisions alike). */
async function repositoryText(root: string, format: SbomFormat, spec: string, env: NodeJS.ProcessEnv): Promise<string> {
  const { config } = await loadConfig(root);
  const inv = await inventoryOf(root, config);
  const { repositorySbom } = await import('../../sbom/model.ts');
  const { sbomTimestamp } = await import('../../sbom/timestamp.ts');
  const doc = repositorySbom(inv, path.basename(root));
  const ts = sbomTimestamp(env, root, [...new Set(inv.services.flatMap((s) => s.locked.map((p) => p.span.file)))]);
  return render(doc, format, spec, ts);
}

async function render(doc: import('../../sbom/model.ts').SbomDoc, format: SbomFormat, spec: string, timestamp: Date, matches?: import('../../vulns/audit.ts').VulnMatch[]): Promise<string> {
  if (format === 'spdx-json') return (await import('../../sbom/spdx.ts')).renderSpdx(doc, { timestamp, toolVersion: TOOL_VERSION });
  const vulnerabilities = matches && format === 'cyclonedx-json' ? (await import('../../sbom/vulnerabilities.ts')).vulnerabilitiesFor(doc, matches) : undefined;
  return (await import('../../sbom/cyclonedx.ts')).renderCycloneDx(doc, { version: spec as '1.6', timestamp, toolVersion: TOOL_VERSION, format: format === 'cyclonedx-xml' ? 'xml' : 'json', ...(vulnerabilities ? { vulnerabilities } : {}) });
}

export const register: RegisterCommand = (program, ctx) => {
  const sbom = program
    .command('sbom')
    .description('Write CycloneDX and SPDX SBOMs per service and for the whole repository')
    .argument('[path]', 'repository root', '.')
    .addOption(new Option('-f, --format <format...>', 'one or more formats').choices([...FORMATS]).default(['cyclonedx-json']))
    .addOption(new Option('--spec <version>', 'CycloneDX specification version').choices(['1.5', '1.6', '1.7']).default('1.6'))
    .option('-o, --output-dir <dir>', 'write <service>.<ext> per service and repository.<ext>; without it the repository SBOM goes to stdout')
    .option('--service <name>', 'only this service (to stdout, or its file)')
    .option('--vulnerabilities', 'embed the audit (CycloneDX vulnerabilities with VEX analysis; needs the advisory database)')
    .option('--db <dir>', 'advisory database directory (with --vulnerabilities)')
    .enablePositionalOptions()
    .action(async (p: string, opts: { format: SbomFormat[]; spec: string; outputDir?: string; service?: string; vulnerabilities?: boolean; db?: string }) => {
      const root = repoPath(ctx.cwd, p);
      const { config } = await loadConfig(root);
      const inv = await inventoryOf(root, config);
      let matches: import('../../vulns/audit.ts').VulnMatch[] | undefined;
      if (opts.vulnerabilities) {
        const { AdvisoryDb, defaultDbDir } = await import('../../vulns/store.ts');
        const dir = path.resolve(ctx.cwd, opts.db ?? config.vulns.database ?? defaultDbDir(ctx.env));
        const db = AdvisoryDb.open(dir);
        if (!db) throw new UserError(`--vulnerabilities needs the advisory database, and there is none at ${dir}: run \`depwarden db sync\``);
        const { auditInventory } = await import('../../vulns/audit.ts');
        const { loadTriage } = await import('../../vulns/vex.ts');
        const { sourceDate } = await import('../source-date.ts');
        const r = auditInventory(inv, db, loadTriage(root), sourceDate(ctx.env));
        db.close();
        matches = [...r.matches.map((m) => r.suppressed.find((x) => x.id === m.id && x.pkg === m.pkg) ?? m)];
      }
      const { repositorySbom, serviceSbom } = await import('../../sbom/model.ts');
      const { sbomTimestamp } = await import('../../sbom/timestamp.ts');
      const services = opts.service ? inv.services.filter((s) => s.name === opts.service) : inv.services;
      if (opts.service && services.length === 0) throw new UserError(`no service named ${opts.service} (see \`depwarden scan\`)`);
      const docs = services.map((s) => ({ file: slug(s.name), doc: serviceSbom(s, inv), locks: [...new Set(s.locked.map((x) => x.span.file))] }));
      if (!opts.service) docs.push({ file: 'repository', doc: repositorySbom(inv, path.basename(root)), locks: [...new Set(inv.services.flatMap((s) => s.locked.map((x) => x.span.file)))] });
      if (!opts.outputDir) {
        const one = docs[docs.length - 1]!;
        ctx.stdout(await render(one.doc, opts.format[0]!, opts.spec, sbomTimestamp(ctx.env, root, one.locks), matches));
        return;
      }
      const dir = path.resolve(ctx.cwd, opts.outputDir);
      mkdirSync(dir, { recursive: true });
      let n = 0;
      for (const d of docs) {
        for (const f of opts.format) {
          writeAtomic(path.join(dir, `${d.file}.${EXT[f]}`), await render(d.doc, f, opts.spec, sbomTimestamp(ctx.env, root, d.locks), matches));
          n++;
        }
      }
      ctx.stderr(`wrote ${n} SBOM files to ${dir}\n`);
    });

  sbom
    .command('diff')
    .description('Compare two SBOM files (CycloneDX or SPDX JSON), or two git revisions of a repository (--git)')
    .argument('<old>', 'SBOM file, or a git revision with --git')
    .argument('<new>', 'SBOM file, or a git revision with --git')
    .option('--git [repo]', 'old and new are revisions of this repository (default: the current directory)')
    .addOption(new Option('-f, --format <format>').choices(['table', 'json', 'markdown']).default('table'))
    .action(async (a: string, b: string, opts: { git?: string | boolean; format: 'table' | 'json' | 'markdown' }) => {
      const { diffSboms, renderSbomDiff, sbomEntries } = await import('../../sbom/diff.ts');
      let ta: string;
      let tb: string;
      if (opts.git) {
        const repo = repoPath(ctx.cwd, typeof opts.git === 'string' ? opts.git : '.');
        const checkout = async (rev: string): Promise<string> => {
          const tmp = mkdtempSync(path.join(tmpdir(), 'dw-sbom-rev-'));
          try {
            // git archive gives the committed tree only: no work-tree noise in the comparison.
            const tar = execFileSync('git', ['-C', repo, 'archive', '--format=tar', rev], { maxBuffer: 1 << 30 });
            execFileSync('tar', ['-x', '-C', tmp], { input: tar });
            return await repositoryText(tmp, 'cyclonedx-json', '1.6', { ...ctx.env, SOURCE_DATE_EPOCH: '0' });
          } catch (e) {
            throw new UserError(`cannot read revision ${rev} of ${repo}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
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
          } catch {
            throw new UserError(`cannot read ${f}`);
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
      ctx.stdout(renderSbomDiff(d, opts.format));
    });
};
