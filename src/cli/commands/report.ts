import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { CliContext, RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { findRepositoryRoot } from '../repo-path.ts';

/**
 * `depwarden report build|coverage`: CI results into a depwarden server. Reports are parsed here, on the CI
 * machine, and only their summaries travel: to the server's API (`--server URL`, token from DEPWARDEN_TOKEN) or
 * straight into a server's store (`--data DIR`, for a server on this machine or before it starts).
 */

interface Target {
  data?: string;
  server?: string;
}

function target(o: Target): Target {
  if (!o.data === !o.server) throw new UserError('give exactly one of --data DIR (write the store directly) and --server URL (send to a running server)');
  return o;
}

/** The repository name: --repo, else the name of the repository folder around the current directory. */
function repoName(ctx: CliContext, given: string | undefined): string {
  return given ?? path.basename(findRepositoryRoot(ctx.cwd));
}

/** --branch, else what GitHub Actions says (the pull request's head branch, or the pushed branch). */
function branchOf(ctx: CliContext, given: string | undefined): string | null {
  return given ?? (ctx.env.GITHUB_HEAD_REF || ctx.env.GITHUB_REF_NAME || null);
}

function readReport(ctx: CliContext, file: string, max: number): { name: string; text: string } {
  const abs = path.resolve(ctx.cwd, file);
  let size: number;
  try {
    size = statSync(abs).size;
  } catch (e) {
    throw new UserError(`cannot read ${file}: ${(e as NodeJS.ErrnoException).code ?? 'error'}`);
  }
  if (size > max) throw new UserError(`${file}: ${size} bytes is more than the ${max}-byte limit for a report`);
  return { name: file, text: readFileSync(abs, 'utf8') };
}

async function send(ctx: CliContext, server: string, route: string, body: unknown): Promise<unknown> {
  const token = ctx.env.DEPWARDEN_TOKEN;
  if (!token) throw new UserError('--server needs a token in DEPWARDEN_TOKEN (depwarden token create --scope write)');
  let base: URL;
  try {
    base = new URL(server);
  } catch {
    throw new UserError(`--server ${server} is not a URL`);
  }
  const { sendWithRetries } = await import('../../http/client.ts');
  const url = new URL(route, base).toString();
  const res = await sendWithRetries(url, {
    method: 'POST',
    allowHosts: [base.hostname],
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', accept: 'application/json' },
    body: JSON.stringify(body),
    deadlines: { totalMs: 60_000 },
    maxBytes: 1024 * 1024,
  });
  const text = Buffer.from(res.body).toString('utf8');
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  if (res.status < 200 || res.status > 299) {
    const why = (parsed as { error?: string } | undefined)?.error ?? text.slice(0, 200);
    throw new UserError(`the server refused the report (HTTP ${res.status}): ${why}`, EXIT.network);
  }
  return parsed;
}

/**
 * `--data DIR`: a server running on that directory's embedded store holds it (PGlite is one process's database),
 * so the report goes through that server's API with its local credential, as `repo` and `token` do; otherwise
 * the store is written directly.
 */
async function toDataDir<T>(ctx: CliContext, dataDir: string, route: string, input: unknown, direct: (store: import('../../store/store.ts').Store) => Promise<T>): Promise<T> {
  if (!ctx.env.DATABASE_URL) {
    const { call, runningServer, RemoteError } = await import('../../serve/client.ts');
    const remote = runningServer(path.resolve(dataDir));
    if (remote) {
      try {
        return await call<T>(remote, 'POST', route, input);
      } catch (e) {
        if (e instanceof RemoteError) throw new UserError(`the server holding ${dataDir} refused the report: ${e.message}`, e.status === 0 ? EXIT.network : EXIT.usage);
        throw e;
      }
    }
  }
  return withDataStore(ctx, dataDir, direct);
}

/** The store a server with this data directory uses: PostgreSQL when DATABASE_URL is set (as `serve` does), else the embedded one in the directory. */
async function withDataStore<T>(ctx: CliContext, dataDir: string, fn: (store: import('../../store/store.ts').Store) => Promise<T>): Promise<T> {
  const { serverStoreDir } = await import('../../serve/data-dir.ts');
  const { openStore } = await import('../../store/store.ts');
  const store = await openStore({ dir: serverStoreDir(path.resolve(dataDir)), ...(ctx.env.DATABASE_URL ? { databaseUrl: ctx.env.DATABASE_URL, ...(ctx.env.DEPWARDEN_DB_SCHEMA ? { schema: ctx.env.DEPWARDEN_DB_SCHEMA } : {}) } : {}) });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** A zod failure of what we built from the options: the option that is wrong, in words. */
async function validated<T>(schema: import('zod').ZodType<T>, input: unknown): Promise<T> {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const i = r.error.issues[0]!;
  throw new UserError(`invalid report: ${i.path.join('.') || 'input'}: ${i.message}`);
}

const pct = (covered: number | null, total: number | null): string => (covered === null || total === null || total === 0 ? 'n/a' : `${((covered / total) * 100).toFixed(2)}% (${covered}/${total})`);

export const register: RegisterCommand = (program: Command, ctx, result) => {
  const report = program.command('report').description('Send CI results (build status, tests, coverage) to a depwarden server or its store');
  report
    .command('build')
    .description('Record a build: its status, and the tests of its JUnit XML reports')
    .requiredOption('--status <status>', 'success or failure')
    .requiredOption('--commit <sha>', 'the commit built')
    .option('--branch <branch>', 'the branch built (default: GITHUB_HEAD_REF or GITHUB_REF_NAME)')
    .option('--workflow <name>', 'the workflow or job name', 'depwarden report')
    .option('--service <name>', 'the service this build is of (default: the whole repository)')
    .option('--junit <file...>', 'JUnit XML reports of the tests this build ran')
    .option('--repo <name>', 'the registered repository (default: the name of the repository folder)')
    .option('--url <url>', 'link to the build')
    .option('--data <dir>', "write into the store of the server's data directory")
    .option('--server <url>', 'send to a running server (token in DEPWARDEN_TOKEN)')
    .action(async (o: { status: string; commit: string; branch?: string; workflow: string; service?: string; junit?: string[]; repo?: string; url?: string; data?: string; server?: string }) => {
      const t = target(o);
      const { MAX_REPORT_BYTES, mergeTests, parseJUnit, ReportError } = await import('../../builds/reports/index.ts');
      const { reportedBuildSchema } = await import('../../builds/reported.ts');
      const problems: string[] = [];
      const parts = (o.junit ?? []).flatMap((f) => {
        const r = readReport(ctx, f, MAX_REPORT_BYTES);
        try {
          return [parseJUnit(r.name, r.text)];
        } catch (e) {
          if (e instanceof ReportError) problems.push(e.message);
          else throw e;
          return [];
        }
      });
      // Partial test counts would mislead: one bad file and nothing is sent.
      if (problems.length) throw new UserError(`not recorded; fix the test reports first:\n  ${problems.join('\n  ')}`);
      const tests = parts.length ? mergeTests(parts) : undefined;
      const input = await validated(reportedBuildSchema, { repo: repoName(ctx, o.repo), commit: o.commit.toLowerCase(), branch: branchOf(ctx, o.branch), workflow: o.workflow, service: o.service ?? '', status: o.status, url: o.url ?? null, ...(tests ? { tests } : {}) });
      if (t.server) await send(ctx, t.server, '/api/v1/builds', input);
      else {
        const { storeReportedBuild } = await import('../../builds/reported.ts');
        await toDataDir(ctx, t.data!, '/api/v1/builds', input, (s) => storeReportedBuild(s, input, new Date().toISOString()));
      }
      const testsLine = tests ? `, ${tests.run} tests, ${tests.failed} failed, ${tests.skipped} skipped` : '';
      ctx.stdout(`recorded build ${input.commit.slice(0, 12)}${input.branch ? ` on ${input.branch}` : ''} (${input.repo}${input.service ? `/${input.service}` : ''}, ${input.workflow}): ${input.status}${testsLine}\n`);
      for (const f of tests?.failing.slice(0, 20) ?? []) ctx.stdout(`  failed: ${f}\n`);
      result.code = EXIT.ok;
    });
  report
    .command('coverage <file>')
    .description('Record the test coverage of a commit (LCOV or Cobertura XML), with its change against the base branch')
    .requiredOption('--commit <sha>', 'the commit measured')
    .option('--service <name>', 'the service measured (default: the whole repository)')
    .option('--branch <branch>', 'the branch (default: GITHUB_HEAD_REF or GITHUB_REF_NAME)')
    .option('--base <branch>', 'the branch to compare with (default: the pull request\'s base when known, else main)')
    .option('--repo <name>', 'the registered repository (default: the name of the repository folder)')
    .option('--data <dir>', "write into the store of the server's data directory")
    .option('--server <url>', 'send to a running server (token in DEPWARDEN_TOKEN)')
    .action(async (file: string, o: { commit: string; service?: string; branch?: string; base?: string; repo?: string; data?: string; server?: string }) => {
      const t = target(o);
      const { MAX_REPORT_BYTES, parseCoverage, ReportError } = await import('../../builds/reports/index.ts');
      const { reportedCoverageSchema } = await import('../../builds/reported.ts');
      const r = readReport(ctx, file, MAX_REPORT_BYTES);
      let summary;
      try {
        summary = parseCoverage(r.name, r.text);
      } catch (e) {
        if (e instanceof ReportError) throw new UserError(`not recorded: ${e.message}`);
        throw e;
      }
      const input = await validated(reportedCoverageSchema, { repo: repoName(ctx, o.repo), commit: o.commit.toLowerCase(), branch: branchOf(ctx, o.branch), service: o.service ?? '', ...(o.base ? { baseBranch: o.base } : {}), ...summary });
      let stored: { lineDelta: number | null; baseBranch: string; baseCommit: string | null } | undefined;
      if (t.server) stored = (await send(ctx, t.server, '/api/v1/coverage', input)) as typeof stored;
      else {
        const { storeReportedCoverage } = await import('../../builds/reported.ts');
        stored = await toDataDir(ctx, t.data!, '/api/v1/coverage', input, (s) => storeReportedCoverage(s, input, new Date().toISOString()));
      }
      const delta = stored && stored.lineDelta !== null && stored.lineDelta !== undefined ? `; ${stored.lineDelta >= 0 ? '+' : ''}${stored.lineDelta.toFixed(2)} points against ${stored.baseBranch} (${stored.baseCommit?.slice(0, 12)})` : stored ? `; no coverage on ${stored.baseBranch} yet to compare with` : '';
      ctx.stdout(`recorded coverage of ${input.commit.slice(0, 12)} (${input.repo}${input.service ? `/${input.service}` : ''}, ${summary.format}): lines ${pct(summary.linesCovered, summary.linesTotal)}, branches ${pct(summary.branchesCovered, summary.branchesTotal)}${delta}\n`);
      result.code = EXIT.ok;
    });
};
