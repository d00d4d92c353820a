import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { writeAtomic } from '../finding-command.ts';
import { registerNotBuilt } from '../not-built.ts';
import { repoPath } from '../repo-path.ts';

const HEAD_FILE = '.depwarden/audit-head';

/** PostgreSQL when DATABASE_URL is set, else the embedded PGlite under .depwarden/state of the repository. */
async function storeFor(root: string, env: NodeJS.ProcessEnv) {
  const { openStore } = await import('../../store/store.ts');
  return openStore({ ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}), ...(env.DEPWARDEN_DB_SCHEMA ? { schema: env.DEPWARDEN_DB_SCHEMA } : {}), dir: path.join(root, '.depwarden', 'state') });
}

export const register: RegisterCommand = (program, ctx, result) => {
  registerNotBuilt(program, ctx, result, 'changes', 'List and show change requests', 7);
  registerNotBuilt(program, ctx, result, 'approve <change>', 'Approve a change request (signed)', 7);
  registerNotBuilt(program, ctx, result, 'reject <change>', 'Reject a change request', 7);
  registerNotBuilt(program, ctx, result, 'gate <change>', 'Exit 0 only when the policy is met for a change', 7);
  registerNotBuilt(program, ctx, result, 'rollback <target>', 'Roll a service or change back to its last known good state', 7);

  const log = program.command('audit-log').description('The tamper-evident audit trail (hash-chained; PGlite, or PostgreSQL with DATABASE_URL)');
  log
    .command('record')
    .description('Append an event (kind, actor, JSON payload)')
    .argument('<kind>', 'proposed, tested, approved, rejected, merged, deployed, rolled_back, suppression_added, policy_changed, ...')
    .requiredOption('--actor <who>', 'who did it')
    .option('--payload <json>', 'event details as JSON', '{}')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (kind: string, opts: { actor: string; payload: string; repo: string }) => {
      let payload: unknown;
      try {
        payload = JSON.parse(opts.payload);
      } catch {
        throw new UserError('--payload must be JSON');
      }
      const store = await storeFor(repoPath(ctx.cwd, opts.repo), ctx.env);
      try {
        const { appendEvent } = await import('../../governance/audit-log.ts');
        const e = await appendEvent(store, { actor: opts.actor, kind, payload });
        ctx.stdout(`recorded #${e.seq} ${e.hash}\n`);
      } finally {
        await store.close();
      }
    });
  log
    .command('verify')
    .description('Check the whole chain (and the head committed in .depwarden/audit-head); exit 1 naming every break')
    .argument('[path]', 'repository root', '.')
    .action(async (p: string) => {
      const root = repoPath(ctx.cwd, p);
      const store = await storeFor(root, ctx.env);
      try {
        const { readLog, verifyLog } = await import('../../governance/audit-log.ts');
        const entries = await readLog(store);
        const headPath = path.join(root, HEAD_FILE);
        const head = existsSync(headPath) ? (JSON.parse(readFileSync(headPath, 'utf8')) as { seq: number; hash: string }) : undefined;
        const problems = verifyLog(entries, head);
        for (const t of problems) ctx.stdout(`TAMPERED  ${t.message}\n`);
        ctx.stdout(problems.length ? `audit log: ${problems.length} problem(s) in ${entries.length} entries\n` : `audit log: ${entries.length} entries, chain intact${head ? `, head #${head.seq} matches ${HEAD_FILE}` : ''}\n`);
        result.code = problems.length ? EXIT.findings : EXIT.ok;
      } finally {
        await store.close();
      }
    });
  log
    .command('export')
    .description('Every entry as JSON lines')
    .argument('[path]', 'repository root', '.')
    .option('-o, --output <file>', 'write to a file')
    .action(async (p: string, opts: { output?: string }) => {
      const store = await storeFor(repoPath(ctx.cwd, p), ctx.env);
      try {
        const { exportJsonl, readLog } = await import('../../governance/audit-log.ts');
        const text = exportJsonl(await readLog(store));
        if (opts.output) writeAtomic(path.resolve(ctx.cwd, opts.output), text);
        else ctx.stdout(text);
      } finally {
        await store.close();
      }
    });
  log
    .command('head')
    .description(`Write the chain head to ${HEAD_FILE}, to commit: history cannot then be rewritten silently`)
    .argument('[path]', 'repository root', '.')
    .action(async (p: string) => {
      const root = repoPath(ctx.cwd, p);
      const store = await storeFor(root, ctx.env);
      try {
        const { readLog } = await import('../../governance/audit-log.ts');
        const entries = await readLog(store);
        const last = entries[entries.length - 1];
        if (!last) throw new UserError('the audit log is empty');
        mkdirSync(path.join(root, '.depwarden'), { recursive: true });
        writeAtomic(path.join(root, HEAD_FILE), `${JSON.stringify({ seq: last.seq, hash: last.hash })}\n`);
        ctx.stdout(`${HEAD_FILE}: #${last.seq} ${last.hash}\n`);
      } finally {
        await store.close();
      }
    });
};
