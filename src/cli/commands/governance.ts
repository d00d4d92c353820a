import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { writeAtomic } from '../finding-command.ts';
import { repoPath } from '../repo-path.ts';

const HEAD_FILE = '.depwarden/audit-head';

/**
 * PostgreSQL when DATABASE_URL is set, else the embedded PGlite under .depwarden/state of the repository.
 * Commands that only read pass `create: false`: where there is no store they say so (exit 2) and create none.
 */
async function storeFor(root: string, env: NodeJS.ProcessEnv, create = true) {
  const { StoreError, openRepositoryStore } = await import('../../store/store.ts');
  try {
    return await openRepositoryStore(root, env, { create });
  } catch (e) {
    throw e instanceof StoreError ? new UserError(e.message) : e;
  }
}

export const register: RegisterCommand = (program, ctx, result) => {
  program
    .command('known-good')
    .description("Record a service's last known good state (its dependency files at a commit, and the checks that passed)")
    .argument('<service>')
    .requiredOption('--actor <login>')
    .option('--commit <rev>', 'revision that was proven good', 'HEAD')
    .option('--checks <list>', 'comma-separated checks that proved it good', '')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (name: string, o: { actor: string; commit: string; checks: string; repo: string }) =>
      withGovernance(o.repo, async (store, config) => {
        const root = repoPath(ctx.cwd, o.repo);
        const inv = await (await import('../lazy.ts')).inventoryOf(root, config);
        const svc = inv.services.find((s) => s.name === name);
        if (!svc) throw new UserError(`no service named ${name} (see \`depwarden scan\`)`);
        const { recordKnownGood } = await import('../../governance/rollback.ts');
        const kg = await recordKnownGood(store, root, svc, o.checks.split(',').map((c) => c.trim()).filter(Boolean), o.actor, o.commit);
        ctx.stdout(`${name}: known good at ${kg.commit.slice(0, 12)} (${Object.keys(kg.files).length} files)\n`);
      }),
    );
  program
    .command('rollback')
    .description('Roll a service back to its last known good state on a new branch, as a change request under the policy')
    .argument('<service>')
    .requiredOption('--actor <login>')
    .requiredOption('--reason <text>')
    .option('--change <id>', 'the merged change that caused it (becomes rolled_back)')
    .option('--health-check-failed', 'triggered by a failed health check: take the emergency lane')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (name: string, o: { actor: string; reason: string; change?: string; healthCheckFailed?: boolean; repo: string }) =>
      withGovernance(o.repo, async (store, config) => {
        const { rollback } = await import('../../governance/rollback.ts');
        const { sourceDate } = await import('../source-date.ts');
        const r = await rollback(store, config, repoPath(ctx.cwd, o.repo), { service: name, reason: o.reason, actor: o.actor, healthCheckFailed: o.healthCheckFailed ?? false, ...(o.change ? { badChange: o.change } : {}), now: sourceDate(ctx.env) });
        if (r.nothingToRestore) ctx.stdout(`${name}: nothing to restore: the working tree already holds its last known good state (${r.to.slice(0, 12)}); no branch, commit or change made\n`);
        else ctx.stdout(`${r.resumed ? 'finished the interrupted rollback: ' : ''}branch ${r.branch} (${r.commit.slice(0, 12)}) restores ${r.restored.join(', ')}; change ${r.changeId} ${r.emergency ? 'merged through the emergency lane (post-update review opened)' : 'proposed: it needs the policy\'s approvals'}\n`);
      }),
    );

  /** Opens the store and the policy, runs `fn`, turns policy refusals into plain errors, always closes. */
  const withGovernance = async <T>(repo: string, fn: (store: import('../../store/store.ts').Store, config: import('../../config/schema.ts').Config, g: typeof import('../../governance/changes.ts')) => Promise<T>, create = true): Promise<T> => {
    const root = repoPath(ctx.cwd, repo);
    const { loadConfig } = await import('../../config/load.ts');
    const { config } = await loadConfig(root);
    const g = await import('../../governance/changes.ts');
    const { UnreadableEntryError } = await import('../../governance/audit-log.ts');
    const store = await storeFor(root, ctx.env, create);
    try {
      return await fn(store, config, g);
    } catch (e) {
      if (e instanceof g.PolicyError) throw new UserError(e.message, EXIT.findings);
      if (e instanceof UnreadableEntryError) throw new UserError(e.message);
      throw e;
    } finally {
      await store.close();
    }
  };

  const changes = program.command('changes').description('Change requests: propose, list, show, record tests, merge, verify');
  changes
    .command('propose')
    .argument('<id>')
    .requiredOption('--title <text>')
    .requiredOption('--class <class>', 'patch, minor, major or security')
    .requiredOption('--author <login>')
    .requiredOption('--digest <digest>', 'content digest of the change (e.g. the commit SHA); approvals sign it')
    .option('--impact', 'an impact assessment is attached')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (id: string, o: { title: string; class: string; author: string; digest: string; impact?: boolean; repo: string }) =>
      withGovernance(o.repo, async (store, _c, g) => {
        if (!(g.UPDATE_CLASSES as readonly string[]).includes(o.class)) throw new UserError(`--class must be one of ${g.UPDATE_CLASSES.join(', ')}`);
        const c = await g.proposeChange(store, { id, title: o.title, class: o.class as 'minor', author: o.author, digest: o.digest, impact: o.impact ?? false });
        ctx.stdout(`${c.id} proposed (${c.class})\n`);
      }),
    );
  changes
    .command('list')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (o: { repo: string }) =>
      withGovernance(o.repo, async (store, config, g) => {
        const { openReviews } = await import('../../governance/emergency.ts');
        const { sourceDate } = await import('../source-date.ts');
        const now = sourceDate(ctx.env).toISOString();
        const reviews = new Map((await openReviews(store)).map((r) => [r.changeId, r]));
        for (const c of await g.listChanges(store)) {
          const gt = await g.gate(store, config, c.id);
          const r = reviews.get(c.id);
          const review = r ? `  [post-update review by ${r.role} ${r.due < now ? `OVERDUE since ${r.due}` : `due ${r.due}`}]` : '';
          const needs = c.state === 'proposed' || c.state === 'tests_passed' ? (gt.ok ? '' : `  [needs: ${gt.missing.join('; ')}]`) : '';
          ctx.stdout(`${c.id.padEnd(12)} ${c.state.padEnd(12)} ${c.class.padEnd(8)} ${c.author.padEnd(10)} ${c.title}${needs}${review}\n`);
        }
      }, false),
    );
  changes
    .command('show')
    .argument('<id>')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (id: string, o: { repo: string }) =>
      withGovernance(o.repo, async (store, config, g) => {
        const c = await g.getChange(store, id);
        const approvals = await g.approvalsOf(store, id);
        const gt = await g.gate(store, config, id);
        ctx.stdout(`${JSON.stringify({ ...c, approvals: approvals.map((a) => ({ approver: a.approver, roles: a.roles, time: a.time })), gate: gt }, null, 2)}\n`);
      }, false),
    );
  for (const [name, desc] of [['tested', 'Record that the tests passed (or failed with --failed)'], ['merge', 'Merge (only when the policy is met)'], ['verified', 'Record the post-update verification']] as const) {
    changes
      .command(name)
      .description(desc)
      .argument('<id>')
      .requiredOption('--actor <login>')
      .option('--failed', 'the tests failed (tested only)')
      .option('-C, --repo <path>', 'repository root', '.')
      .action(async (id: string, o: { actor: string; failed?: boolean; repo: string }) =>
        withGovernance(o.repo, async (store, config, g) => {
          const c = name === 'tested' ? await g.recordTests(store, id, o.actor, !o.failed) : name === 'merge' ? await g.merge(store, config, id, o.actor) : await g.verifyChange(store, id, o.actor);
          ctx.stdout(`${c.id} is ${c.state}\n`);
        }),
      );
  }
  changes
    .command('emergency-merge')
    .description('Merge a security fix without the normal approvals (only when the policy allows it); opens a post-update review')
    .argument('<id>')
    .requiredOption('--actor <login>')
    .requiredOption('--reason <text>')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (id: string, o: { actor: string; reason: string; repo: string }) =>
      withGovernance(o.repo, async (store, config) => {
        const { emergencyMerge } = await import('../../governance/emergency.ts');
        const { sourceDate } = await import('../source-date.ts');
        await emergencyMerge(store, config, id, o.actor, o.reason, sourceDate(ctx.env));
        ctx.stdout(`${id} merged through the emergency lane; post-update review by ${config.governance.emergency.reviewRole} due in ${config.governance.emergency.reviewDeadlineHours} h\n`);
      }),
    );
  changes
    .command('review')
    .description('Sign off the post-update review of an emergency change (SSH-signed)')
    .argument('<id>')
    .requiredOption('--as <login>')
    .option('--key <file>', 'SSH private key to sign with')
    .option('--signature <file>', 'a made signature of the review payload')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (id: string, o: { as: string; key?: string; signature?: string; repo: string }) =>
      withGovernance(o.repo, async (store, config, g) => {
        const { reviewPayload, signOffReview } = await import('../../governance/emergency.ts');
        const c = await g.getChange(store, id);
        if (!o.key && !o.signature) throw new UserError(`give --key or --signature; the payload to sign is: ${reviewPayload(c)}`);
        const sig = o.signature ? readFileSync(path.resolve(ctx.cwd, o.signature), 'utf8') : g.signPayload(reviewPayload(c), path.resolve(ctx.cwd, o.key!));
        await signOffReview(store, config, id, o.as, sig);
        ctx.stdout(`${id}: post-update review signed off by ${o.as}\n`);
      }),
    );
  program
    .command('approve')
    .description('Approve a change with an SSH-signed approval (signs with --key, or takes a made --signature)')
    .argument('<change>')
    .requiredOption('--as <login>', 'the approver (a member of a role in depwarden.yaml)')
    .option('--key <file>', 'SSH private key to sign with')
    .option('--signature <file>', 'an SSH signature made with `ssh-keygen -Y sign -n depwarden-approval`')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (id: string, o: { as: string; key?: string; signature?: string; repo: string }) =>
      withGovernance(o.repo, async (store, config, g) => {
        const c = await g.getChange(store, id);
        if (!o.key && !o.signature) throw new UserError(`give --key or --signature; the payload to sign is: ${g.approvalPayload(c)}`);
        const sig = o.signature ? readFileSync(path.resolve(ctx.cwd, o.signature), 'utf8') : g.signApproval(c, path.resolve(ctx.cwd, o.key!));
        const r = await g.approve(store, config, id, o.as, sig);
        ctx.stdout(`${id}: approved by ${o.as}; ${r.gate.ok ? 'the policy is met' : `still needs: ${r.gate.missing.join('; ')}`}\n`);
      }),
    );
  program
    .command('reject')
    .argument('<change>')
    .requiredOption('--as <login>')
    .requiredOption('--reason <text>')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (id: string, o: { as: string; reason: string; repo: string }) =>
      withGovernance(o.repo, async (store, _c, g) => {
        await g.reject(store, id, o.as, o.reason);
        ctx.stdout(`${id} rejected\n`);
      }),
    );
  program
    .command('gate')
    .description('Exit 0 only when the policy is met for a change (for CI and required status checks); --github reads PR reviews')
    .argument('[change]', 'change id (not with --github)')
    .option('--github <owner/repo#pr>', 'evaluate the pull request\'s approving reviews instead (GITHUB_TOKEN, GITHUB_API_URL)')
    .option('--class <class>', 'update class of the pull request (with --github)', 'minor')
    .option('--tests-passed', 'the pull request\'s tests passed (with --github)')
    .option('--impact', 'an impact assessment is attached (with --github)')
    .option('--publish', 'publish the result as the commit status depwarden/approvals (with --github)')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (id: string | undefined, o: { github?: string; class: string; testsPassed?: boolean; impact?: boolean; publish?: boolean; repo: string }) => {
      if (o.github) {
        const m = /^([\w.-]+)\/([\w.-]+)#(\d+)$/.exec(o.github);
        if (!m) throw new UserError('--github takes owner/repo#number');
        if (!['patch', 'minor', 'major', 'security'].includes(o.class)) throw new UserError('--class must be patch, minor, major or security');
        const { loadConfig } = await import('../../config/load.ts');
        const { config } = await loadConfig(repoPath(ctx.cwd, o.repo));
        const { githubGate, publishStatus } = await import('../../governance/github.ts');
        const target = { api: ctx.env.GITHUB_API_URL ?? 'https://api.github.com', owner: m[1]!, repo: m[2]!, pull: Number(m[3]), ...(ctx.env.GITHUB_TOKEN ? { token: ctx.env.GITHUB_TOKEN } : {}) };
        const g = await githubGate(config, target, o.class as 'minor', { tests: Boolean(o.testsPassed), impact: Boolean(o.impact) });
        if (o.publish) await publishStatus(target, g);
        ctx.stdout(g.ok ? `${o.github}: policy met (${g.approvers.map((a) => `${a.login}: ${a.roles.join('/')}`).join(', ')})\n` : `${o.github}: policy not met: ${g.missing.join('; ')}\n`);
        result.code = g.ok ? EXIT.ok : EXIT.findings;
        return;
      }
      if (!id) throw new UserError('give a change id, or --github owner/repo#pr');
      await withGovernance(o.repo, async (store, config, g) => {
        const r = await g.gate(store, config, id);
        ctx.stdout(r.ok ? `${id}: policy met\n` : `${id}: policy not met: ${r.missing.join('; ')}\n`);
        result.code = r.ok ? EXIT.ok : EXIT.findings;
      }, false);
    });

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
      const store = await storeFor(root, ctx.env, false);
      try {
        const { readLog, verifyLog } = await import('../../governance/audit-log.ts');
        const entries = await readLog(store);
        const headPath = path.join(root, HEAD_FILE);
        const head = existsSync(headPath) ? (JSON.parse(readFileSync(headPath, 'utf8')) as { seq: number; hash: string }) : undefined;
        const problems = verifyLog(entries, head);
        for (const t of problems) ctx.stdout(`${t.kind === 'truncated' ? 'MISMATCH' : 'TAMPERED'}  ${t.message}\n`);
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
      const store = await storeFor(repoPath(ctx.cwd, p), ctx.env, false);
      try {
        const { exportJsonl, readableEntries, readLog, UnreadableEntryError } = await import('../../governance/audit-log.ts');
        let text: string;
        try {
          text = exportJsonl(readableEntries(await readLog(store)));
        } catch (e) {
          throw e instanceof UnreadableEntryError ? new UserError(e.message) : e;
        }
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
      const store = await storeFor(root, ctx.env, false);
      try {
        const { readLog } = await import('../../governance/audit-log.ts');
        const entries = await readLog(store);
        const last = entries[entries.length - 1];
        if (!last) throw new UserError('the audit log is empty');
        const { writeFileInside } = await import('../../edit/atomic-write.ts');
        try {
          writeFileInside(root, HEAD_FILE, Buffer.from(`${JSON.stringify({ seq: last.seq, hash: last.hash })}\n`, 'utf8'));
        } catch (e) {
          throw new UserError(e instanceof Error ? e.message : String(e));
        }
        ctx.stdout(`${HEAD_FILE}: #${last.seq} ${last.hash}\n`);
      } finally {
        await store.close();
      }
    });
};
