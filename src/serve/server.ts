import { chmodSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import path from 'node:path';
import type { PgBoss } from 'pg-boss';
import { openApiDocument } from '../api/openapi.ts';
import { newLocalToken, Router } from '../api/router.ts';
import { coreRoutes } from '../api/routes.ts';
import { openQueue } from '../jobs/queue.ts';
import { drainInflight, startScheduler, startWorkers, type JobEnv } from '../jobs/runner.ts';
import { openStore, type Store } from '../store/store.ts';
import { serverStoreDir } from './data-dir.ts';
import { redactSecrets } from '../util/redact.ts';
import { defaultDbDir } from '../vulns/store.ts';
import type { ServeConfig } from './config.ts';
import type { FeatureContext, Logger, RegisteredRepo, ServeFeature } from './feature.ts';
import { createMetrics } from './metrics.ts';
import { listRepos } from './repos.ts';

/**
 * One `depwarden serve` process: the store, the job queue with this process's workers and its share of the
 * scheduler, every feature of FEATURES, and the HTTP server (unless --workers-only). SIGTERM drains: no new jobs
 * are taken, in-flight jobs finish (up to the lease), the listener closes, features stop, the store closes.
 */

export interface ServeOptions {
  host: string;
  port: number;
  dataDir: string;
  workersOnly: boolean;
  tls?: { cert: string; key: string };
  /** A non-loopback address without TLS was asked for explicitly (`--insecure-listen`). */
  insecureListen?: boolean;
  config: ServeConfig;
  env: NodeJS.ProcessEnv;
  log: Logger;
  features: ServeFeature[];
}

export interface RunningServer {
  url: string | undefined;
  store: Store;
  stop(): Promise<void>;
}

export class ListenRefused extends Error {}

export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || (isIP(host) === 4 && host.startsWith('127.'));
}

/** Refuses to put the API on a network without TLS unless told to (`--insecure-listen`). */
export function checkListen(host: string, tls: boolean, insecure: boolean): void {
  if (!isLoopback(host) && !tls && !insecure) throw new ListenRefused(`refusing to listen on ${host} without TLS: tokens would cross the network in clear — give --tls-cert and --tls-key, or --insecure-listen behind a TLS-terminating proxy`);
}

export function jsonLogger(write: (s: string) => void): Logger {
  const line = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => write(`${redactSecrets(JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields }))}\n`);
  return { info: line('info'), warn: line('warn'), error: line('error') };
}

/** The data dir's hand-off file: where the running server listens and the local credential (owner-only). */
export const serverFile = (dataDir: string): string => path.join(dataDir, 'server.json');

export interface ServerFile {
  url: string;
  pid: number;
  token: string;
}

export function readServerFile(dataDir: string): ServerFile | undefined {
  try {
    const s = JSON.parse(readFileSync(serverFile(dataDir), 'utf8')) as ServerFile;
    return typeof s.url === 'string' && typeof s.token === 'string' && typeof s.pid === 'number' ? s : undefined;
  } catch {
    return undefined;
  }
}

export async function openServerStore(dataDir: string, env: NodeJS.ProcessEnv): Promise<Store> {
  return openStore({ dir: serverStoreDir(dataDir), ...(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : {}), ...(env.DEPWARDEN_DB_SCHEMA ? { schema: env.DEPWARDEN_DB_SCHEMA } : {}) });
}

const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_r, reject) => setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms).unref())]);

export async function startServer(o: ServeOptions): Promise<RunningServer> {
  checkListen(o.host, Boolean(o.tls), Boolean(o.insecureListen));
  mkdirSync(o.dataDir, { recursive: true, mode: 0o700 });
  const store = await openServerStore(o.dataDir, o.env);
  let boss: PgBoss | undefined;
  const stops: (() => Promise<void> | void)[] = [];
  const repos = async (): Promise<RegisteredRepo[]> => (await listRepos(store, o.dataDir)).map(({ name, root, branch, remote, webhookSecretEnv }) => ({ name, root, branch, remote, webhookSecretEnv }));
  try {
    const metrics = createMetrics(store, () => boss, o.features);
    let queueError: string | undefined;
    boss = await openQueue(store, o.env, o.config, {
      schedule: true,
      onError: (e) => {
        queueError = redactSecrets(e.message);
        o.log.warn('queue error', { error: queueError });
      },
    });
    const je: JobEnv = {
      store,
      boss,
      cfg: o.config,
      dataDir: o.dataDir,
      env: o.env,
      log: o.log,
      advisoryDb: o.config.advisories.database ? path.resolve(o.dataDir, o.config.advisories.database) : defaultDbDir(o.env),
      cacheDir: path.join(o.dataDir, 'cache', 'http'),
      observe: metrics.observeJob,
    };
    await startWorkers(je);
    stops.push(await startScheduler(je));
    const drain = new AbortController();
    stops.push(() => drain.abort());
    const fctx: FeatureContext = { store, log: o.log, signal: drain.signal, repos, dataDir: o.dataDir, env: o.env };
    for (const f of o.features) if (f.start) stops.push(await f.start(fctx));

    let url: string | undefined;
    let server: http.Server | undefined;
    if (!o.workersOnly) {
      const localToken = newLocalToken();
      const router = new Router({
        store,
        log: o.log,
        repos,
        bodyLimit: o.config.limits.bodyBytes,
        metricsPublic: o.config.metrics.public,
        rateLimit: o.config.limits,
        localToken,
      });
      let doc: unknown;
      router.add(
        coreRoutes({
          dataDir: o.dataDir,
          boss: () => boss,
          openapi: () => (doc ??= openApiDocument(router.list())),
          metrics: async () => ({ contentType: metrics.registry.contentType, body: await metrics.registry.metrics() }),
          ready: async () => {
            const checks: Record<string, string> = {};
            try {
              await withTimeout(store.query('SELECT 1'), 2000, 'store');
              checks.store = 'ok';
            } catch (e) {
              checks.store = redactSecrets(e instanceof Error ? e.message : String(e));
            }
            try {
              await withTimeout(boss!.getQueue('dw-poll'), 2000, 'queue');
              checks.queue = 'ok';
            } catch (e) {
              checks.queue = redactSecrets(e instanceof Error ? e.message : String(e));
            }
            return { ok: checks.store === 'ok' && checks.queue === 'ok', checks };
          },
        }),
      );
      for (const f of o.features) router.add(f.routes ?? []);
      const handler = (req: http.IncomingMessage, res: http.ServerResponse): void => void router.handle(req, res);
      server = o.tls ? https.createServer({ cert: readFileSync(o.tls.cert), key: readFileSync(o.tls.key) }, handler) : http.createServer(handler);
      server.headersTimeout = 10_000;
      server.requestTimeout = 60_000;
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(o.port, o.host, () => resolve());
      });
      const addr = server.address() as { port: number };
      url = `${o.tls ? 'https' : 'http'}://${o.host.includes(':') ? `[${o.host}]` : o.host}:${addr.port}`;
      const file = serverFile(o.dataDir);
      writeFileSync(file, `${JSON.stringify({ url, pid: process.pid, token: localToken } satisfies ServerFile)}\n`, { mode: 0o600 });
      chmodSync(file, 0o600);
      o.log.info('listening', { url, store: store.kind, features: o.features.map((f) => f.name) });
    } else o.log.info('workers only', { store: store.kind });

    let stopping: Promise<void> | undefined;
    const stop = (): Promise<void> =>
      (stopping ??= (async () => {
        o.log.info('draining');
        if (server) {
          const own = readServerFile(o.dataDir);
          if (own?.pid === process.pid) rmSync(serverFile(o.dataDir), { force: true });
        }
        for (const s of stops) await s();
        // Takes no new jobs and waits for the ones in flight, up to their lease (past it another worker retries them).
        const grace = o.config.jobs.leaseSeconds * 1000 + 5000;
        const stopped = boss!.stop({ graceful: true, timeout: grace, close: false });
        if (!(await drainInflight(grace))) o.log.warn('jobs still running at the end of the drain; their leases will expire and another worker retries them');
        await stopped;
        await boss!.stop({ graceful: false, close: true }).catch(() => {});
        if (server) {
          server.closeIdleConnections();
          await new Promise<void>((r) => server!.close(() => r()));
        }
        await store.close();
        o.log.info('stopped');
      })());
    return { url, store, stop };
  } catch (e) {
    for (const s of stops) await Promise.resolve(s()).catch(() => {});
    await boss?.stop({ graceful: false, close: true }).catch(() => {});
    await store.close().catch(() => {});
    throw e;
  }
}
