import path from 'node:path';
import { Option } from 'commander';
import { EXIT, type CliContext, type RegisterCommand, UserError } from '../context.ts';
import { depwardenHome } from '../../util/home.ts';
import type { Store } from '../../store/store.ts';
import type { Remote } from '../../serve/client.ts';

/**
 * `depwarden serve` (the always-on process) and the commands that feed it: `repo add|list|remove` and
 * `token create|list|revoke`. These write to the server's store directly when nothing holds it, else through
 * the running server's API (see serve/client.ts).
 */

export function defaultDataDir(env: NodeJS.ProcessEnv): string {
  return env.DEPWARDEN_DATA ?? path.join(depwardenHome(env), 'server');
}

interface Target {
  data?: string;
  server?: string;
}

export const targetOptions = (c: import('commander').Command): import('commander').Command =>
  c.option('--data <dir>', 'the server\'s data directory (default $DEPWARDEN_DATA, else ~/.cache/depwarden/server)').option('--server <url>', 'a running server (token from DEPWARDEN_TOKEN)');

/** A running server to go through, or the store to write directly. */
async function target(ctx: CliContext, t: Target): Promise<{ remote: Remote } | { store: Store; dataDir: string }> {
  if (t.server) {
    const token = ctx.env.DEPWARDEN_TOKEN;
    if (!token) throw new UserError('--server needs a token in DEPWARDEN_TOKEN (an admin token for repo add/remove and token commands)');
    try {
      new URL(t.server);
    } catch {
      throw new UserError(`--server ${t.server} is not a URL`);
    }
    return { remote: { url: t.server, token } };
  }
  const dataDir = path.resolve(ctx.cwd, t.data ?? defaultDataDir(ctx.env));
  const { openServerStore } = await import('../../serve/server.ts');
  // With DATABASE_URL the store is shared: write directly.
  if (ctx.env.DATABASE_URL) return { store: await openServerStore(dataDir, ctx.env), dataDir };
  const running = await embeddedHolder(dataDir);
  if (running) return { remote: running };
  const { StoreBusyError } = await import('../../store/store.ts');
  try {
    return { store: await openServerStore(dataDir, ctx.env), dataDir };
  } catch (e) {
    if (e instanceof StoreBusyError) throw new UserError(`${e.message} — stop that process, or reach a running server with --server URL`, EXIT.store);
    throw e;
  }
}

/**
 * The embedded store held by a running server: go through it. A server that is starting holds the store before
 * it writes its hand-off file, so while the store's lock is held by a live process and no hand-off file names
 * it, wait (bounded) for one or the other to change.
 */
async function embeddedHolder(dataDir: string): Promise<Remote | undefined> {
  const { runningServer } = await import('../../serve/client.ts');
  const { processAlive } = await import('../../util/process-alive.ts');
  const { readFileSync } = await import('node:fs');
  const deadline = Date.now() + 120_000;
  for (;;) {
    const running = runningServer(dataDir);
    if (running) return running;
    let holder = 0;
    try {
      holder = Number(readFileSync(path.join(dataDir, 'store.lock'), 'utf8')) || 0;
    } catch {
      holder = 0;
    }
    if (!holder || holder === process.pid || !processAlive(holder) || Date.now() > deadline) return undefined;
    await new Promise((r) => setTimeout(r, 200));
  }
}

export async function withTarget<T>(ctx: CliContext, t: Target, remote: (r: Remote) => Promise<T>, direct: (store: Store, dataDir: string) => Promise<T>): Promise<T> {
  const tg = await target(ctx, t);
  const { RemoteError } = await import('../../serve/client.ts');
  if ('remote' in tg) {
    try {
      return await remote(tg.remote);
    } catch (e) {
      if (e instanceof RemoteError) throw new UserError(e.message, e.status === 0 ? EXIT.network : e.status === 401 || e.status === 403 ? EXIT.permission : EXIT.usage);
      throw e;
    }
  }
  try {
    return await direct(tg.store, tg.dataDir);
  } finally {
    await tg.store.close();
  }
}

/** The actor of a direct write: whoever runs the command on this machine. */
export const localActor = (env: NodeJS.ProcessEnv): string => `local:${env.USER ?? env.LOGNAME ?? 'owner'}`;

export const register: RegisterCommand = (program, ctx, result) => {
  program
    .command('serve')
    .description('Run the server: REST API, scheduler and workers (PGlite in --data, or PostgreSQL from DATABASE_URL)')
    .option('--listen <host:port>', 'address to listen on', '127.0.0.1:8080')
    .option('--data <dir>', 'data directory: the embedded store, clones, caches (default $DEPWARDEN_DATA, else ~/.cache/depwarden/server)')
    .option('--config <file>', 'server settings (default <data>/serve.yaml when it exists)')
    .option('--workers-only', 'run jobs only: no HTTP listener')
    .option('--tls-cert <file>', 'TLS certificate (PEM)')
    .option('--tls-key <file>', 'TLS private key (PEM)')
    .option('--insecure-listen', 'allow a non-loopback address without TLS (behind a TLS-terminating proxy)')
    .action(async (o: { listen: string; data?: string; config?: string; workersOnly?: boolean; tlsCert?: string; tlsKey?: string; insecureListen?: boolean }) => {
      const m = /^(\[[^\]]+\]|[^:]+):(\d{1,5})$/.exec(o.listen);
      if (!m || Number(m[2]) > 65535) throw new UserError(`--listen ${o.listen}: expected host:port (127.0.0.1:8080)`);
      const host = m[1]!.replace(/^\[|\]$/g, '');
      if (Boolean(o.tlsCert) !== Boolean(o.tlsKey)) throw new UserError('--tls-cert and --tls-key go together');
      const { checkListen, ListenRefused, jsonLogger, startServer } = await import('../../serve/server.ts');
      try {
        checkListen(host, Boolean(o.tlsCert), Boolean(o.insecureListen));
      } catch (e) {
        if (e instanceof ListenRefused) throw new UserError(e.message);
        throw e;
      }
      if (o.workersOnly && !ctx.env.DATABASE_URL) throw new UserError('--workers-only needs DATABASE_URL: the embedded store belongs to one process, which must also serve the API');
      const dataDir = path.resolve(ctx.cwd, o.data ?? defaultDataDir(ctx.env));
      const { loadServeConfig, ServeConfigError } = await import('../../serve/config.ts');
      let config;
      try {
        config = loadServeConfig(o.config ? path.resolve(ctx.cwd, o.config) : path.join(dataDir, 'serve.yaml'), Boolean(o.config));
      } catch (e) {
        if (e instanceof ServeConfigError) throw new UserError(e.message);
        throw e;
      }
      const { FEATURES } = await import('../../serve/features.ts');
      const log = jsonLogger(ctx.stderr);
      const server = await startServer({ host, port: Number(m[2]), dataDir, workersOnly: Boolean(o.workersOnly), insecureListen: Boolean(o.insecureListen), ...(o.tlsCert ? { tls: { cert: path.resolve(ctx.cwd, o.tlsCert), key: path.resolve(ctx.cwd, o.tlsKey!) } } : {}), config, env: ctx.env, log, features: FEATURES });
      if (server.url) ctx.stdout(`depwarden serve: listening on ${server.url} (data ${dataDir}, store ${server.store.kind})\n`);
      if (server.url) ctx.stdout(`depwarden serve: dashboard at ${server.url}/ (sign in with a token from \`depwarden token create --login <you> --scope read\`)\n`);
      await new Promise<void>((resolve) => {
        const onSignal = (sig: NodeJS.Signals): void => {
          log.info('signal', { signal: sig });
          process.off('SIGTERM', onSignal);
          process.off('SIGINT', onSignal);
          server.stop().then(resolve, (e: unknown) => {
            log.error('drain failed', { error: e instanceof Error ? e.message : String(e) });
            result.code = EXIT.internal;
            resolve();
          });
        };
        process.on('SIGTERM', onSignal);
        process.on('SIGINT', onSignal);
      });
    });

  const repo = program.command('repo').description('Repositories the server checks');
  targetOptions(
    repo
      .command('add')
      .description('Register a repository: a local path (read in place) or a git URL (cloned into the data dir)')
      .argument('<path-or-url>')
      .option('--name <name>', 'its name (default: the folder or repository name)')
      .option('--branch <branch>', 'branch to follow (default: the remote\'s default / the checkout\'s HEAD)')
      .option('--webhook-secret-env <VAR>', 'environment variable holding this repository\'s webhook secret'),
  ).action(async (spec: string, o: Target & { name?: string; branch?: string; webhookSecretEnv?: string }) => {
    const { isGitUrl, normaliseRepo, insertRepo, RepoInputError } = await import('../../serve/repos.ts');
    let n;
    try {
      n = normaliseRepo({ spec, ...(o.name ? { name: o.name } : {}), ...(o.branch ? { branch: o.branch } : {}), ...(o.webhookSecretEnv ? { webhookSecretEnv: o.webhookSecretEnv } : {}) }, ctx.cwd);
    } catch (e) {
      if (e instanceof RepoInputError) throw new UserError(e.message);
      throw e;
    }
    const notes = await withTarget(
      ctx,
      o,
      async (r) => {
        const { call } = await import('../../serve/client.ts');
        const out = await call<{ notes: string[] }>(r, 'POST', '/api/v1/repos', { spec: isGitUrl(spec) ? spec : n.path, name: n.name, ...(n.branch ? { branch: n.branch } : {}), ...(n.webhookSecretEnv ? { webhookSecretEnv: n.webhookSecretEnv } : {}) });
        return out.notes;
      },
      async (store) => {
        if (!(await insertRepo(store, n))) throw new UserError(`a repository named ${n.name} is already registered (repo remove it first, or give --name)`);
        const { appendEvent } = await import('../../governance/audit-log.ts');
        await appendEvent(store, { actor: localActor(ctx.env), kind: 'repo_added', payload: { name: n.name, source: n.path ? 'path' : 'clone', remote: n.remote, via: 'cli' } });
        return n.notes;
      },
    );
    for (const l of notes) ctx.stderr(`note: ${l}\n`);
    ctx.stdout(`registered ${n.name}\n`);
  });
  targetOptions(repo.command('list').description('Registered repositories').addOption(new Option('-f, --format <format>').choices(['table', 'json']).default('table'))).action(async (o: Target & { format: 'table' | 'json' }) => {
    const { listRepos } = await import('../../serve/repos.ts');
    type R = { name: string; source: string; root: string; remote: string | null; branch: string | null; lastCommit: string | null };
    const repos = await withTarget<R[]>(
      ctx,
      o,
      async (r) => (await (await import('../../serve/client.ts')).call<{ items: R[] }>(r, 'GET', '/api/v1/repos?limit=500')).items,
      async (store, dataDir) => listRepos(store, dataDir),
    );
    if (o.format === 'json') ctx.stdout(`${JSON.stringify(repos.map(({ name, source, root, remote, branch, lastCommit }) => ({ name, source, root, remote, branch, lastCommit })), null, 2)}\n`);
    else ctx.stdout(repos.length ? repos.map((r) => `${r.name}\t${r.remote ?? r.root}${r.branch ? `\t${r.branch}` : ''}\t${r.lastCommit?.slice(0, 12) ?? '(not polled yet)'}\n`).join('') : 'no repositories registered (depwarden repo add PATH|URL)\n');
  });
  targetOptions(repo.command('remove').description('Unregister a repository (its history stays)').argument('<name>')).action(async (name: string, o: Target) => {
    const { removeRepo } = await import('../../serve/repos.ts');
    await withTarget(
      ctx,
      o,
      async (r) => (await import('../../serve/client.ts')).call(r, 'DELETE', `/api/v1/repos/${encodeURIComponent(name)}`),
      async (store, dataDir) => {
        if (!(await removeRepo(store, dataDir, name))) throw new UserError(`no repository named ${name}`);
        const { appendEvent } = await import('../../governance/audit-log.ts');
        await appendEvent(store, { actor: localActor(ctx.env), kind: 'repo_removed', payload: { name, via: 'cli' } });
      },
    );
    ctx.stdout(`removed ${name}\n`);
  });

  const token = program.command('token').description('API tokens of the server');
  targetOptions(
    token
      .command('create')
      .description('Create a token; prints only the token, once (it is stored hashed)')
      .requiredOption('--login <login>', 'whose token (its governance roles come from the policies)')
      .addOption(new Option('--scope <scope>').choices(['read', 'write', 'admin']).default('read'))
      .option('--expires <duration>', '90d, 12h, 30m or never', '90d'),
  ).action(async (o: Target & { login: string; scope: 'read' | 'write' | 'admin'; expires: string }) => {
    const { createToken, parseExpiry, LOGIN } = await import('../../api/tokens.ts');
    if (!LOGIN.test(o.login)) throw new UserError(`invalid --login ${JSON.stringify(o.login)}`);
    let expires: Date | null;
    try {
      expires = parseExpiry(o.expires, new Date());
    } catch (e) {
      throw new UserError((e as Error).message);
    }
    const t = await withTarget(
      ctx,
      o,
      async (r) => (await (await import('../../serve/client.ts')).call<{ token: string }>(r, 'POST', '/api/v1/tokens', { login: o.login, scope: o.scope, expires: o.expires })).token,
      async (store) => {
        const made = await createToken(store, o.login, o.scope, expires);
        const { appendEvent } = await import('../../governance/audit-log.ts');
        await appendEvent(store, { actor: localActor(ctx.env), kind: 'token_created', payload: { id: made.info.id, login: made.info.login, scope: made.info.scope, expires: made.info.expires, via: 'cli' } });
        return made.token;
      },
    );
    ctx.stdout(`${t}\n`);
  });
  targetOptions(token.command('list').description('Tokens (ids, logins, scopes, expiry; never the secrets)')).action(async (o: Target) => {
    const { listTokens } = await import('../../api/tokens.ts');
    type T = Awaited<ReturnType<typeof listTokens>>;
    const all = await withTarget<T>(ctx, o, async (r) => (await (await import('../../serve/client.ts')).call<{ items: T }>(r, 'GET', '/api/v1/tokens')).items, async (store) => listTokens(store));
    ctx.stdout(all.length ? all.map((t) => `${t.id}\t${t.login}\t${t.scope}\t${t.revoked ? 'revoked' : t.expires ? `expires ${t.expires}` : 'never expires'}\n`).join('') : 'no tokens\n');
  });
  targetOptions(token.command('revoke').description('Revoke a token by its id (see token list)').argument('<id>')).action(async (id: string, o: Target) => {
    const { revokeToken } = await import('../../api/tokens.ts');
    await withTarget(
      ctx,
      o,
      async (r) => (await import('../../serve/client.ts')).call(r, 'DELETE', `/api/v1/tokens/${encodeURIComponent(id)}`),
      async (store) => {
        if (!(await revokeToken(store, id))) throw new UserError(`no active token ${id}`);
        const { appendEvent } = await import('../../governance/audit-log.ts');
        await appendEvent(store, { actor: localActor(ctx.env), kind: 'token_revoked', payload: { id, via: 'cli' } });
      },
    );
    ctx.stdout(`revoked ${id}\n`);
  });
};
