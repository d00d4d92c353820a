import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import type { RegisterCommand } from '../context.ts';
import { EXIT, UserError } from '../context.ts';
import { writeAtomic } from '../finding-command.ts';
import { repoPath } from '../repo-path.ts';
import { repositoryStore } from '../repo-store.ts';

const HEAD_FILE = '.depwarden/audit-head';


export const register: RegisterCommand = (program, ctx, result) => {
  type GovOpts = { repo: string; trustedRef?: string };
  type IdOpts = GovOpts & { key?: string; signature?: string };
  /** `-C` and `--trusted-ref`: where the repository is, and which ref its policy is read from. */
  const govOptions = (c: Command): Command =>
    c.option('-C, --repo <path>', 'repository root', '.').option('--trusted-ref <ref>', 'ref the policy (roles, keys) is read from (default $DEPWARDEN_TRUSTED_REF, else origin/HEAD, main, master)');
  /** `--key` / `--signature`: the proof of identity every step the policy gives to a role needs. */
  const idOptions = (c: Command): Command =>
    govOptions(c).option('--key <file>', 'SSH private key to sign the step with (its public key must be listed for the login in the trusted policy)').option('--signature <file>', 'an SSH signature of the step\'s payload made with `ssh-keygen -Y sign -n depwarden-approval` (without --key/--signature the payload is printed)');
  const actorFrom = async (login: string, o: IdOpts): Promise<import('../../governance/trust.ts').Actor> => {
    const t = await import('../../governance/trust.ts');
    if (o.key && o.signature) throw new UserError('give --key or --signature, not both');
    if (o.signature) return t.signatureActor(login, readFileSync(path.resolve(ctx.cwd, o.signature), 'utf8'));
    if (o.key) return t.keyActor(login, path.resolve(ctx.cwd, o.key));
    return t.unprovenActor(login);
  };

  program
    .command('known-good')
    .description("Record a service's last known good state (its dependency files at a commit, and the checks that passed)")
    .argument('<service>')
    .requiredOption('--actor <login>')
    .option('--commit <rev>', 'revision that was proven good', 'HEAD')
    .option('--checks <list>', 'comma-separated checks that proved it good', '')
    .option('-C, --repo <path>', 'repository root', '.')
    .action(async (name: string, o: { actor: string; commit: string; checks: string; repo: string }) => {
      const root = repoPath(ctx.cwd, o.repo);
      const { loadConfig } = await import('../../config/load.ts');
      const { config } = await loadConfig(root);
      const store = await repositoryStore(root, ctx.env);
      try {
        const inv = await (await import('../lazy.ts')).inventoryOf(root, config);
        const svc = inv.services.find((s) => s.name === name);
        if (!svc) throw new UserError(`no service named ${name} (see \`depwarden scan\`)`);
        const { recordKnownGood } = await import('../../governance/rollback.ts');
        const kg = await recordKnownGood(store, root, svc, o.checks.split(',').map((c) => c.trim()).filter(Boolean), o.actor, o.commit);
        ctx.stdout(`${name}: known good at ${kg.commit.slice(0, 12)} (${Object.keys(kg.files).length} files)\n`);
      } finally {
        await store.close();
      }
    });
  govOptions(
    program
      .command('rollback')
      .description('Roll a service back to its last known good state on a new branch, as a change request under the policy (proposed by --actor, signed with --key)')
      .argument('<service>')
      .requiredOption('--actor <login>')
      .requiredOption('--key <file>', 'SSH private key of --actor: signs the rollback\'s proposal (and its emergency merge)')
      .requiredOption('--reason <text>')
      .option('--change <id>', 'the merged change that caused it (becomes rolled_back)')
      .option('--health-check-failed', 'triggered by a failed health check: take the emergency lane (--actor needs an emergency.mergeRoles role)')
      .option('--notify', 'tell the alert channels (alerts: in depwarden.yaml) that the rollback was made'),
  ).action(async (name: string, o: GovOpts & { actor: string; key: string; reason: string; change?: string; healthCheckFailed?: boolean; notify?: boolean }) =>
    withGovernance(o, async (gov) => {
      const { rollback } = await import('../../governance/rollback.ts');
      const { sourceDate } = await import('../source-date.ts');
      const r = await rollback(gov, gov.root, { service: name, reason: o.reason, actor: await actorFrom(o.actor, o), healthCheckFailed: o.healthCheckFailed ?? false, ...(o.change ? { badChange: o.change } : {}), now: sourceDate(ctx.env) });
      if (r.nothingToRestore) ctx.stdout(`${name}: nothing to restore: the working tree already holds its last known good state (${r.to.slice(0, 12)}); no branch, commit or change made\n`);
      else ctx.stdout(`${r.resumed ? 'finished the interrupted rollback: ' : ''}branch ${r.branch} (${r.commit.slice(0, 12)}) restores ${r.restored.join(', ')}; change ${r.changeId} ${r.emergency ? 'merged through the emergency lane (post-update review opened)' : 'proposed: it needs the policy\'s approvals'}\n`);
      if (o.notify && !r.nothingToRestore) {
        const { loadConfig } = await import('../../config/load.ts');
        const { notifyFromCli } = await import('../../alerts/direct.ts');
        const { basename } = await import('node:path');
        const repo = basename(gov.root);
        await notifyFromCli((await loadConfig(gov.root)).config.alerts, [{ rule: 'rollback.performed', severity: 'critical', title: `${name}: rolled back to its last known good state`, text: `${o.reason}\nBranch ${r.branch} restores ${r.restored.join(', ')}; change ${r.changeId} ${r.emergency ? 'merged through the emergency lane' : 'awaits approval'}.`, fields: { service: name, branch: r.branch, change: r.changeId, actor: o.actor, ...(o.change ? { badChange: o.change } : {}) }, repo, service: name, dedupKey: `rollback:${r.changeId}` }], { root: gov.root, env: ctx.env, stderr: ctx.stderr });
      }
    }),
  );

  /** Opens the store and the trusted policy, runs `fn`, turns policy refusals into plain errors, always closes. */
  const withGovernance = async <T>(o: GovOpts, fn: (gov: import('../../governance/trust.ts').Gov, g: typeof import('../../governance/changes.ts')) => Promise<T>, create = true): Promise<T> => {
    const root = repoPath(ctx.cwd, o.repo);
    const g = await import('../../governance/changes.ts');
    const { openGov } = await import('../../governance/trust.ts');
    const { UnreadableEntryError } = await import('../../governance/audit-log.ts');
    const store = await repositoryStore(root, ctx.env, create);
    try {
      return await fn(await openGov(store, root, o.trustedRef ?? ctx.env.DEPWARDEN_TRUSTED_REF), g);
    } catch (e) {
      if (e instanceof g.PolicyError) throw new UserError(e.message, EXIT.findings);
      if (e instanceof UnreadableEntryError) throw new UserError(e.message);
      throw e;
    } finally {
      await store.close();
    }
  };

  const changes = program.command('changes').description('Change requests: propose, list, show, record tests, merge, verify (every step SSH-signed by a login of the trusted policy)');
  idOptions(
    changes
      .command('propose')
      .description('Propose the change at a commit (depwarden computes its digest from the dependency files there); signed by --author')
      .argument('<id>')
      .requiredOption('--title <text>')
      .requiredOption('--class <class>', 'patch, minor, major or security')
      .requiredOption('--author <login>', 'who proposes it (proven by --key or --signature)')
      .option('--commit <rev>', 'the commit (e.g. the branch) the change consists of', 'HEAD')
      .option('--impact', 'an impact assessment is attached'),
  ).action(async (id: string, o: IdOpts & { title: string; class: string; author: string; commit: string; impact?: boolean }) =>
    withGovernance(o, async (gov, g) => {
      if (!(g.UPDATE_CLASSES as readonly string[]).includes(o.class)) throw new UserError(`--class must be one of ${g.UPDATE_CLASSES.join(', ')}`);
      const c = await g.proposeChange(gov, { id, title: o.title, class: o.class as 'minor', author: await actorFrom(o.author, o), commit: o.commit, impact: o.impact ?? false });
      ctx.stdout(`${c.id} proposed (${c.class}) at ${c.commit.slice(0, 12)}, digest ${c.digest}\n`);
    }),
  );
  govOptions(changes.command('list').description('List change requests: state, class, author, title, what the gate still needs and post-update reviews due')).action(async (o: GovOpts) =>
    withGovernance(o, async (gov, g) => {
      const { openReviews } = await import('../../governance/emergency.ts');
      const { sourceDate } = await import('../source-date.ts');
      const now = sourceDate(ctx.env).toISOString();
      const reviews = new Map((await openReviews(gov.store)).map((r) => [r.changeId, r]));
      const list = await g.listChanges(gov.store);
      if (list.length === 0) ctx.stdout('no changes\n');
      for (const c of list) {
        const open = g.OPEN_STATES.includes(c.state);
        const gt = open ? await g.gate(gov, c.id) : undefined;
        const r = reviews.get(c.id);
        const review = r ? `  [post-update review by ${r.role} ${r.due < now ? `OVERDUE since ${r.due}` : `due ${r.due}`}]` : '';
        const needs = gt && !gt.ok ? `  [needs: ${gt.missing.join('; ')}]` : '';
        ctx.stdout(`${c.id.padEnd(12)} ${c.state.padEnd(12)} ${c.class.padEnd(8)} ${c.author.padEnd(10)} ${c.title}${needs}${review}\n`);
      }
    }, false),
  );
  govOptions(changes.command('show').description('Show one change request as JSON: its approvals, the gate and its security-update record').argument('<id>', 'change id')).action(async (id: string, o: GovOpts) =>
    withGovernance(o, async (gov, g) => {
      const c = await g.getChange(gov.store, id);
      const approvals = await g.approvalsOf(gov.store, id);
      const gt = await g.gate(gov, id);
      // A security update's record (issue 17), committed by the change itself.
      const { recordOfCommit } = await import('../../changes/record-show.ts');
      const securityRecord = recordOfCommit(gov.root, c.commit);
      ctx.stdout(`${JSON.stringify({ ...c, approvals: approvals.map((a) => ({ approver: a.approver, roles: a.roles, time: a.time })), gate: gt, ...(securityRecord ? { securityRecord } : {}) }, null, 2)}\n`);
    }, false),
  );
  for (const [name, desc] of [['tested', 'Record that the tests passed (or failed with --failed)'], ['merge', 'Record that the change was merged (it must be in --into, default the trusted ref; only when the policy is met). depwarden does not merge: the forge or git does'], ['verified', 'Record the post-update verification']] as const) {
    const cmd = changes.command(name).description(desc).argument('<id>').requiredOption('--actor <login>', 'who records it (proven by --key or --signature)');
    if (name === 'tested') cmd.option('--failed', 'the tests failed (the change is then rejected)');
    if (name === 'merge') cmd.option('--into <rev>', 'the commit that contains the merged change (default: the trusted ref)');
    idOptions(cmd).action(async (id: string, o: IdOpts & { actor: string; failed?: boolean; into?: string }) =>
      withGovernance(o, async (gov, g) => {
        const actor = await actorFrom(o.actor, o);
        const c = name === 'tested' ? await g.recordTests(gov, id, actor, !o.failed) : name === 'merge' ? await g.merge(gov, id, actor, o.into) : await g.verifyChange(gov, id, actor);
        ctx.stdout(name === 'merge' ? `${c.id} recorded as merged (in ${o.into ?? gov.policy.ref})\n` : `${c.id} is ${c.state}\n`);
      }),
    );
  }
  idOptions(
    changes
      .command('emergency-merge')
      .description('Merge a security fix without the normal approvals (only when the policy allows it, by a member of emergency.mergeRoles); opens a post-update review')
      .argument('<id>')
      .requiredOption('--actor <login>', 'who takes the lane (proven by --key or --signature)')
      .requiredOption('--reason <text>'),
  ).action(async (id: string, o: IdOpts & { actor: string; reason: string }) =>
    withGovernance(o, async (gov) => {
      const { emergencyMerge } = await import('../../governance/emergency.ts');
      const { sourceDate } = await import('../source-date.ts');
      await emergencyMerge(gov, id, await actorFrom(o.actor, o), o.reason, sourceDate(ctx.env));
      const e = gov.policy.governance.emergency;
      ctx.stdout(`${id} merged through the emergency lane; post-update review by ${e.reviewRole} due in ${e.reviewDeadlineHours} h\n`);
    }),
  );
  idOptions(changes.command('review').description('Sign off the post-update review of an emergency change (SSH-signed)').argument('<id>').requiredOption('--as <login>')).action(async (id: string, o: IdOpts & { as: string }) =>
    withGovernance(o, async (gov) => {
      const { signOffReview } = await import('../../governance/emergency.ts');
      await signOffReview(gov, id, await actorFrom(o.as, o));
      ctx.stdout(`${id}: post-update review signed off by ${o.as}\n`);
    }),
  );
  idOptions(
    program
      .command('approve')
      .description('Approve a change with an SSH-signed approval (signs with --key, or takes a made --signature)')
      .argument('<change>')
      .requiredOption('--as <login>', 'the approver (a member of a role in the trusted policy)'),
  ).action(async (id: string, o: IdOpts & { as: string }) =>
    withGovernance(o, async (gov, g) => {
      const r = await g.approve(gov, id, await actorFrom(o.as, o));
      ctx.stdout(`${id}: approved by ${o.as}; ${r.gate.ok ? 'the policy is met' : `still needs: ${r.gate.missing.join('; ')}`}\n`);
    }),
  );
  idOptions(program.command('reject').description('Reject a change (SSH-signed, by a role that may approve its class)').argument('<change>').requiredOption('--as <login>').requiredOption('--reason <text>')).action(async (id: string, o: IdOpts & { as: string; reason: string }) =>
    withGovernance(o, async (gov, g) => {
      await g.reject(gov, id, await actorFrom(o.as, o), o.reason);
      ctx.stdout(`${id} rejected\n`);
    }),
  );
  govOptions(
    program
      .command('gate')
      .description('Exit 0 only when the policy is met for a change (for CI and required status checks); --github reads PR reviews')
      .argument('[change]', 'change id (not with --github)')
      .option('--github <owner/repo#pr>', 'evaluate the pull request\'s approving reviews instead (GITHUB_TOKEN, GITHUB_API_URL)')
      .option('--class <class>', 'update class of the pull request (with --github)', 'minor')
      .option('--tests-passed', 'the pull request\'s tests passed (with --github)')
      .option('--impact', 'an impact assessment is attached (with --github)')
      .option('--publish', 'publish the result as the commit status depwarden/approvals (with --github)'),
  ).action(async (id: string | undefined, o: GovOpts & { github?: string; class: string; testsPassed?: boolean; impact?: boolean; publish?: boolean }) => {
    if (o.github) {
      const m = /^([\w.-]+)\/([\w.-]+)#(\d+)$/.exec(o.github);
      if (!m) throw new UserError('--github takes owner/repo#number');
      const { UPDATE_CLASSES } = await import('../../governance/changes.ts');
      if (!(UPDATE_CLASSES as readonly string[]).includes(o.class)) throw new UserError(`--class must be one of ${UPDATE_CLASSES.join(', ')}`);
      const { loadTrustedPolicy } = await import('../../governance/trust.ts');
      const { PolicyError } = await import('../../governance/errors.ts');
      // Roles come from the trusted ref, never from the pull request's own depwarden.yaml.
      const policy = await loadTrustedPolicy(repoPath(ctx.cwd, o.repo), o.trustedRef ?? ctx.env.DEPWARDEN_TRUSTED_REF).catch((e: unknown) => {
        throw e instanceof PolicyError ? new UserError(e.message) : e;
      });
      const { githubGate, publishStatus } = await import('../../governance/github.ts');
      const target = { api: ctx.env.GITHUB_API_URL ?? 'https://api.github.com', owner: m[1]!, repo: m[2]!, pull: Number(m[3]), ...(ctx.env.GITHUB_TOKEN ? { token: ctx.env.GITHUB_TOKEN } : {}) };
      const g = await githubGate({ governance: policy.governance }, target, o.class as 'minor', { tests: Boolean(o.testsPassed), impact: Boolean(o.impact) });
      if (o.publish) await publishStatus(target, g);
      ctx.stdout(g.ok ? `${o.github}: policy met (${g.approvers.map((a) => `${a.login}: ${a.roles.join('/')}`).join(', ')})\n` : `${o.github}: policy not met: ${g.missing.join('; ')}\n`);
      result.code = g.ok ? EXIT.ok : EXIT.findings;
      return;
    }
    if (!id) throw new UserError('give a change id, or --github owner/repo#pr');
    await withGovernance(o, async (gov, g) => {
      const r = await g.gate(gov, id);
      ctx.stdout(r.ok ? `${id}: policy met\n` : `${id}: policy not met: ${r.missing.join('; ')}\n`);
      result.code = r.ok ? EXIT.ok : EXIT.findings;
    }, false);
  });

  const log = program.command('audit-log').description('The tamper-evident audit trail (hash-chained; PGlite, or PostgreSQL with DATABASE_URL)');
  log
    .command('record')
    .description('Append an event (kind, actor, JSON payload)')
    .argument('<kind>', 'deployed, suppression_added, policy_changed, ... (the governance kinds — proposed, approved, merged, … — are refused)')
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
      const { GOVERNANCE_EVENT_KINDS } = await import('../../governance/changes.ts');
      // Governance events are written only by the signed steps that own them: a hand-recorded "approved" is a forgery.
      if ((GOVERNANCE_EVENT_KINDS as readonly string[]).includes(kind)) throw new UserError(`${kind} is a governance event: it is recorded only by its own command (changes, approve, reject, rollback), never by hand`);
      const store = await repositoryStore(repoPath(ctx.cwd, opts.repo), ctx.env);
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
      const store = await repositoryStore(root, ctx.env, false);
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
      const store = await repositoryStore(repoPath(ctx.cwd, p), ctx.env, false);
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
      const store = await repositoryStore(root, ctx.env, false);
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
