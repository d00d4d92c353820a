import { existsSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { Option } from 'commander';
import { loadConfig } from '../../config/load.ts';
import type { Config } from '../../config/schema.ts';
import { inventoryOf } from '../lazy.ts';
import type { AdvisoryDb } from '../../vulns/store.ts';
import { type CliContext, EXIT, type RegisterCommand, UserError } from '../context.ts';
import { addFindingOptions, emitFindings, resolveFailOn, type FindingCommandOptions, writeAtomic } from '../finding-command.ts';
import { repoPath, requireSomething } from '../repo-path.ts';
import { sourceDate } from '../source-date.ts';

// The vulnerability modules load only when a command here runs: `scan` and `check` start faster without them.
const store = () => import('../../vulns/store.ts');
const audit = () => import('../../vulns/audit.ts');
const vexMod = () => import('../../vulns/vex.ts');

async function dbDirOf(ctx: CliContext, config: Config, opt?: string): Promise<string> {
  return path.resolve(ctx.cwd, opt ?? config.vulns.database ?? (await store()).defaultDbDir(ctx.env));
}

/** The database or a plain message saying how to get one. */
export async function openDbOrExplain(dir: string): Promise<AdvisoryDb> {
  const db = (await store()).AdvisoryDb.open(dir);
  if (!db) throw new UserError(`no advisory database at ${dir}: run \`depwarden db sync\` (online) or \`depwarden db import <dir|zip>\` (air-gapped)`);
  return db;
}

const sourceDateIso = (env: NodeJS.ProcessEnv): string => sourceDate(env).toISOString();

export const register: RegisterCommand = (program, ctx, result) => {
  const db = program.command('db').description('The offline OSV advisory database');
  db.command('sync')
    .description('Download or update the advisory database (all.zip first, then modified_id.csv increments)')
    .option('--source <url>', 'OSV export base URL or file:// directory (default: vulns.source)')
    .option('--db <dir>', 'database directory')
    .option('--ecosystem <name...>', 'ecosystems to sync (PyPI, npm)')
    .argument('[path]', 'repository whose depwarden.yaml configures the sync', '.')
    .action(async (p: string, opts: { source?: string; db?: string; ecosystem?: string[] }) => {
      const { config } = await loadConfig(repoPath(ctx.cwd, p));
      const dir = await dbDirOf(ctx, config, opts.db);
      const { syncDb } = await import('../../vulns/sync.ts');
      const { AdvisoryDb } = await store();
      let bar: { update(n: number): void; start(t: number, n: number): void; stop(): void } | undefined;
      if (ctx.isTTY) {
        const { SingleBar, Presets } = await import('cli-progress');
        bar = new SingleBar({ format: '{bar} {percentage}% {value}/{total} bytes', clearOnComplete: true }, Presets.shades_classic);
      }
      let started = false;
      try {
        const r = await syncDb({
          dbDir: dir,
          base: opts.source ?? config.vulns.source,
          ecosystems: opts.ecosystem ?? config.vulns.ecosystems,
          http: (await import('../../config/sections/http.ts')).httpOptions(config.http),
          log: (l) => ctx.stderr(`${l}\n`),
          progress: (_label, n, total) => {
            if (!bar || !total) return;
            if (!started) bar.start(total, 0);
            started = true;
            bar.update(n);
          },
        });
        bar?.stop();
        const modes = Object.entries(r.mode).map(([e, m]) => `${e} ${m}`).join(', ');
        ctx.stdout(r.written ? `advisory database updated: ${r.advisories} advisories (${modes}), ${r.invalid} unreadable records skipped\n${r.dir}\n` : `advisory database up to date (${modes}); nothing newer to apply\n`);
      } catch (e) {
        bar?.stop();
        const old = AdvisoryDb.open(dir);
        const network = e instanceof (await import('../../http/client.ts')).HttpError;
        throw new UserError(`${network ? 'network: ' : ''}sync failed: ${e instanceof Error ? e.message : String(e)}\n${old ? `the previous database (built ${old.meta.builtAt}) is unchanged and still used` : 'no database was written'}`, network ? EXIT.network : EXIT.usage);
      }
    });
  db.command('import')
    .description('Merge an OSV zip or a directory of OSV JSON/YAML into the database, per ecosystem (air-gapped sites)')
    .argument('<source>', 'all.zip, a directory, or one OSV JSON/YAML document')
    .option('--db <dir>', 'database directory')
    .option('--replace', "replace each ecosystem the source holds with the source's copy (refused when that copy is older than the database's) instead of merging record by record")
    .action(async (src: string, opts: { db?: string; replace?: boolean }) => {
      const { config } = await loadConfig(ctx.cwd);
      const { readDirectory, readDocument, readZip } = await import('../../vulns/import.ts');
      const { RecordSet, commitChanges } = await store();
      // An import allocates ~1 GB of short-lived objects for a 200,000-advisory export; V8's size-optimising
      // heap growth keeps the peak near 270 MB instead of 450 MB, for no more time (docs/benchmarks.md).
      (await import('node:v8')).setFlagsFromString('--optimize-for-size');
      const abs = path.resolve(ctx.cwd, src);
      if (!existsSync(abs)) throw new UserError(`no such file or directory: ${src}`);
      // Each advisory goes into the record set as it is read: an export is never held as parsed objects.
      const groups = new RecordSet();
      const sink = (a: Parameters<typeof groups.add>[0]): void => groups.add(a);
      const r = statSync(abs).isDirectory() ? readDirectory(abs, sink) : /\.(json|ya?ml)$/i.test(abs) ? readDocument(abs, sink) : readZip({ file: abs }, src, undefined, sink);
      if (r.count === 0) throw new UserError(`${src} holds no readable OSV advisory${r.invalid[0] ? ` (${r.invalid[0].where}: ${r.invalid[0].reason})` : ''}; the database is unchanged`);
      const elsewhere = groups.withoutEcosystem;
      if (groups.ecosystems().length === 0) throw new UserError(`${src} holds ${r.count} advisories, none of an ecosystem depwarden scans (PyPI, npm); the database is unchanged`);
      const source = `import:${abs}`;
      const mode = opts.replace ? 'replace' : 'merge';
      const c = commitChanges(
        await dbDirOf(ctx, config, opts.db),
        groups.ecosystems().map((ecosystem) => ({ ecosystem, records: groups.get(ecosystem)!, mode, source })),
        { now: new Date(), source, invalid: r.invalid, log: (l) => ctx.stderr(`${l}\n`) },
      );
      ctx.stdout(`read ${r.count} advisories from ${src}${elsewhere ? ` (${elsewhere} of other ecosystems, ignored)` : ''}, ${r.invalid.length} unreadable records skipped\n`);
      for (const o of c.outcomes) {
        if (o.result === 'refused') {
          ctx.stderr(`${o.ecosystem}: not replaced: the source's newest advisory (${o.newest}) is older than the database's (${o.previousNewest})\n`);
          continue;
        }
        const n = groups.get(o.ecosystem)!.size;
        const same = n - o.added - o.updated - o.kept;
        const counts = o.mode === 'merge' ? `${o.added} new, ${o.updated} updated${o.kept ? `, ${o.kept} kept (the database's copy is newer)` : ''}${same ? `, ${same} unchanged` : ''}` : `${o.result === 'unchanged' ? 'unchanged' : 'replaced'}: ${o.added} new, ${o.updated} updated, ${o.removed} removed`;
        ctx.stdout(`${o.ecosystem}: ${counts}\n`);
      }
      ctx.stdout(c.written ? `${c.dir}\n` : `the database is unchanged${c.dir ? ` (${c.dir})` : ''}\n`);
      for (const i of r.invalid.slice(0, 20)) ctx.stderr(`skipped ${i.where}: ${i.reason}\n`);
      if (c.outcomes.some((o) => o.result === 'refused')) result.code = EXIT.usage;
    });
  db.command('status')
    .description('Age, counts and source of the database')
    .option('--db <dir>', 'database directory')
    .addOption(new Option('-f, --format <format>').choices(['table', 'json']).default('table'))
    .action(async (opts: { db?: string; format: string }) => {
      const { config } = await loadConfig(ctx.cwd);
      const dir = await dbDirOf(ctx, config, opts.db);
      const d = (await store()).AdvisoryDb.open(dir);
      if (!d) {
        ctx.stdout(opts.format === 'json' ? `${JSON.stringify({ present: false, dir }, null, 2)}\n` : `no advisory database at ${dir}\n`);
        result.code = EXIT.findings;
        return;
      }
      const ageH = (Date.now() - Date.parse(d.meta.builtAt)) / 3.6e6;
      if (opts.format === 'json') ctx.stdout(`${JSON.stringify({ present: true, dir: d.dir, ageHours: Math.round(ageH), ...d.meta }, null, 2)}\n`);
      else {
        ctx.stdout(`source    ${d.meta.source}\nbuilt     ${d.meta.builtAt} (${ageH < 48 ? `${ageH.toFixed(1)} hours` : `${(ageH / 24).toFixed(0)} days`} ago)\nlocation  ${d.dir}\n`);
        for (const [eco, e] of Object.entries(d.meta.ecosystems).sort()) ctx.stdout(`${eco.padEnd(9)} ${e.advisories} advisories on ${e.packages} packages, newest modified ${e.lastModified} (${Math.floor((Date.now() - Date.parse(e.lastModified)) / 864e5)} days ago)${e.source ? `, from ${e.source}` : ''}${e.updatedAt ? ` (updated ${e.updatedAt})` : ''}\n`);
        if (d.meta.invalid.length) ctx.stdout(`unreadable records skipped: ${d.meta.invalid.length} (first: ${d.meta.invalid[0]!.where}: ${d.meta.invalid[0]!.reason})\n`);
      }
      d.close();
    });

  addFindingOptions(
    program
      .command('audit')
      .description('Match every locked package against the OSV advisories; exit 1 at or above --fail-on')
      .argument('[path]', 'repository root (its depwarden.yaml and .depwarden/vex.yaml apply)', '.')
      .option('--db <dir>', 'database directory')
      .option('--sbom <file>', 'audit this SBOM (CycloneDX JSON/XML, SPDX JSON, made by any tool) instead of the repository: components matched by purl')
      .option('--notify', 'send the untriaged vulnerabilities at or above alerts.rules.vulnerability.minSeverity to the alert channels (one message per advisory)'),
  ).action(async (p: string, opts: FindingCommandOptions & { db?: string; sbom?: string; notify?: boolean }) => {
    const root = repoPath(ctx.cwd, p, (l) => ctx.stderr(`note: ${l}\n`));
    const { config, file: configFile } = await loadConfig(root);
    if (opts.sbom) return auditSbom(ctx, root, config, opts as FindingCommandOptions & { db?: string; sbom: string });
    const database = await openDbOrExplain(await dbDirOf(ctx, config, opts.db));
    const inv = await inventoryOf(root, config);
    resolveFailOn(opts.failOn, config); // a usage error in the options is said before anything else
    requireSomething(inv, configFile);
    const { auditInventory } = await audit();
    const now = sourceDate(ctx.env);
    const r = auditInventory(inv, database, (await vexMod()).loadTriage(root), now);
    const { databaseFindings, maxDatabaseAgeDays } = await import('../../vulns/db-health.ts');
    const health = databaseFindings(inv, database.meta, now, maxDatabaseAgeDays(config));
    database.close();
    // Files whose packages the audit cannot see are findings too (issue 11.2): "no findings" must not hide them.
    const { auditGaps } = await import('../../rules/coverage.ts');
    const gaps = auditGaps(inv, config, (l) => ctx.stderr(`note: ${l}\n`));
    emitFindings(ctx, result, 'audit', [...health, ...r.findings, ...gaps], config, opts);
    if (opts.notify) {
      const { notifyFromCli, vulnerabilityItems } = await import('../../alerts/direct.ts');
      await notifyFromCli(config.alerts, vulnerabilityItems(path.basename(root), r.matches, config.alerts.rules.vulnerability.minSeverity), { root, env: ctx.env, stderr: ctx.stderr });
    }
  });

  /** `audit --sbom`: the SBOM's purls through the same matching, triage and output as a repository's locks. */
  async function auditSbom(c: CliContext, root: string, config: Config, opts: FindingCommandOptions & { db?: string; sbom: string }): Promise<void> {
    const abs = path.resolve(c.cwd, opts.sbom);
    if (!existsSync(abs) || !statSync(abs).isFile()) throw new UserError(`no SBOM file at ${opts.sbom}`);
    const rel = path.relative(c.cwd, abs).split(path.sep).join('/') || path.basename(abs);
    resolveFailOn(opts.failOn, config);
    const { readSbom, sbomInventory } = await import('../../sbom/read.ts');
    let sbom;
    try {
      sbom = readSbom(rel, readFileSync(abs, 'utf8'));
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const database = await openDbOrExplain(await dbDirOf(c, config, opts.db));
    const inv = sbomInventory(root, rel, sbom);
    const now = sourceDate(c.env);
    const r = (await audit()).auditInventory(inv, database, (await vexMod()).loadTriage(root), now);
    const { databaseFindings, maxDatabaseAgeDays } = await import('../../vulns/db-health.ts');
    const health = databaseFindings(inv, database.meta, now, maxDatabaseAgeDays(config));
    database.close();
    c.stderr(`note: ${rel} (${sbom.format}): ${sbom.packages.length} PyPI/npm components matched by purl\n`);
    const other = Object.entries(sbom.otherTypes).sort(([a], [b]) => (a < b ? -1 : 1));
    // What the audit could not check is said, never a silent "no findings" (as for unread locks).
    if (other.length) c.stderr(`note: not checked: ${other.map(([t, n]) => `${n} ${t}`).join(', ')} component(s) (the advisory database holds PyPI and npm)\n`);
    if (sbom.withoutPurl) c.stderr(`note: not checked: ${sbom.withoutPurl} component(s) without a purl\n`);
    emitFindings(c, result, 'audit', [...sbom.findings, ...health, ...r.findings], config, opts);
  }

  const vex = program.command('vex').description('Export or import triage decisions as OpenVEX or CycloneDX VEX');
  vex
    .command('export')
    .description("Write the repository's triage decisions (.depwarden/vex.yaml) as an OpenVEX or CycloneDX VEX document")
    .argument('[path]', 'repository root', '.')
    .addOption(new Option('-f, --format <format>', 'document format').choices(['openvex', 'cyclonedx']).default('openvex'))
    .option('--db <dir>', 'database directory')
    .option('-o, --output <file>', 'write to a file')
    .action(async (p: string, opts: { format: string; db?: string; output?: string }) => {
      const root = repoPath(ctx.cwd, p);
      const { config } = await loadConfig(root);
      const database = await openDbOrExplain(await dbDirOf(ctx, config, opts.db));
      const { exportCycloneDxVex, exportOpenVex, loadTriage } = await vexMod();
      const r = (await audit()).auditInventory(await inventoryOf(root, config), database, loadTriage(root), sourceDate(ctx.env));
      database.close();
      const all = [...r.matches.map((m) => r.suppressed.find((s) => s.id === m.id && s.pkg === m.pkg) ?? m)];
      const text = opts.format === 'openvex' ? exportOpenVex(all, { author: 'depwarden', timestamp: sourceDateIso(ctx.env) }) : exportCycloneDxVex(all, { timestamp: sourceDateIso(ctx.env) });
      if (opts.output) writeAtomic(path.resolve(ctx.cwd, opts.output), text);
      else ctx.stdout(text);
    });
  vex
    .command('import')
    .description('Print triage entries for .depwarden/vex.yaml from an OpenVEX or CycloneDX VEX file (review, then add)')
    .argument('<file>', 'VEX document')
    .requiredOption('--owner <who>', 'owner recorded on every entry')
    .requiredOption('--expires <YYYY-MM-DD>', 'expiry recorded on every entry')
    .action(async (file: string, opts: { owner: string; expires: string }) => {
      const { stringify } = await import('yaml');
      const entries = (await vexMod()).importVex(readFileSync(path.resolve(ctx.cwd, file), 'utf8'), opts);
      ctx.stdout(stringify({ triage: entries }));
    });
};
