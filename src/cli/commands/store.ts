import type { RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { repoPath } from '../repo-path.ts';

/** A database URL for messages: no user, password or query. */
function shown(url: string): string {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}${u.pathname}`;
  } catch {
    return 'the given URL';
  }
}

export const register: RegisterCommand = (program, ctx, result) => {
  const store = program.command('store').description('The governance store (embedded PGlite under .depwarden/state, or PostgreSQL with DATABASE_URL)');
  store
    .command('migrate')
    .description("Copy the whole governance history (audit log, changes, approvals, reviews, known-good states) into an empty PostgreSQL store, and check the copy row by row")
    .requiredOption('--to <url>', 'PostgreSQL URL of the target (postgres://...)')
    .option('--schema <name>', 'schema in the target (default: DEPWARDEN_DB_SCHEMA, else the search path)')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (o: { to: string; schema?: string; repo: string }) => {
      const root = repoPath(ctx.cwd, o.repo);
      if (!/^postgres(ql)?:\/\//.test(o.to)) throw new UserError('--to takes a PostgreSQL URL (postgres://user@host:port/database)');
      const schema = o.schema ?? ctx.env.DEPWARDEN_DB_SCHEMA;
      if (schema && !/^[a-z_][a-z0-9_]*$/.test(schema)) throw new UserError(`--schema: ${schema} is not a plain lower-case schema name`);
      if (ctx.env.DATABASE_URL === o.to && (ctx.env.DEPWARDEN_DB_SCHEMA ?? '') === (schema ?? '')) throw new UserError('--to names the store DATABASE_URL already points at: nothing to migrate');
      const { StoreError, openRepositoryStore, openStore } = await import('../../store/store.ts');
      const { copyStore, MigrateError } = await import('../../store/migrate.ts');
      const { readableEntries, readLog, UnreadableEntryError, verifyLog } = await import('../../governance/audit-log.ts');
      let from;
      try {
        from = await openRepositoryStore(root, ctx.env, { create: false });
      } catch (e) {
        throw e instanceof StoreError ? new UserError(e.message) : e;
      }
      try {
        const problems = verifyLog(readableEntries(await readLog(from)));
        if (problems.length) throw new UserError(`the source audit log does not verify (${problems.map((p) => p.message).join('; ')}): not copied`, EXIT.findings);
        let to;
        try {
          to = await openStore({ databaseUrl: o.to, dir: '', ...(schema ? { schema } : {}) });
        } catch (e) {
          throw new UserError(`cannot open the target store at ${shown(o.to)}: ${e instanceof Error ? e.message : String(e)}`);
        }
        try {
          const r = await copyStore(from, to);
          const copied = await readLog(to);
          if (verifyLog(copied, r.head).length) throw new UserError('the copied audit log does not verify against the source head: do not switch stores', EXIT.internal);
          ctx.stdout(`copied ${Object.entries(r.rows).map(([t, n]) => `${n} ${t}`).join(', ')} from the ${from.kind === 'pglite' ? 'embedded store' : 'DATABASE_URL store'} to ${shown(o.to)}${schema ? ` (schema ${schema})` : ''}\n`);
          ctx.stdout(`verified: the copy matches the source row for row (sha256 ${r.digest.slice(0, 16)}…)${r.head ? ` and its chain ends at the same head #${r.head.seq} ${r.head.hash.slice(0, 12)}…` : ''}\n`);
          ctx.stdout(`use it from now on: DATABASE_URL=<that url>${schema ? ` DEPWARDEN_DB_SCHEMA=${schema}` : ''}; the old store is left as it was\n`);
        } catch (e) {
          if (e instanceof MigrateError) throw new UserError(e.message);
          throw e;
        } finally {
          await to.close();
        }
      } catch (e) {
        if (e instanceof UnreadableEntryError) throw new UserError(e.message);
        throw e;
      } finally {
        await from.close();
      }
      result.code = EXIT.ok;
    });
};
