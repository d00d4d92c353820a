import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ApiRoute, RegisteredRepo, RequestContext, ServeFeature } from '../../src/serve/feature.ts';
import { openStore, type Store } from '../../src/store/store.ts';

/** What a test sees of the calls a route made to the server's side (log lines, audit events). */
export interface Recorded {
  logs: { level: string; msg: string; fields: Record<string, unknown> }[];
  audits: { kind: string; payload: Record<string, unknown> }[];
}

/**
 * Calls a feature's route the way `depwarden serve` would, without the server: path parameters, query, headers,
 * the raw body, and the JSON body validated by the route's own schema (400 on failure, as the server does).
 */
export async function callRoute(
  feature: ServeFeature,
  method: ApiRoute['method'],
  routePath: string,
  opts: { store: Store; repos?: RegisteredRepo[]; params?: Record<string, string>; query?: Record<string, string>; headers?: Record<string, string>; body?: Buffer | string | object; login?: string; recorded?: Recorded },
): Promise<{ status: number; body: any }> {
  const route = feature.routes?.find((r) => r.method === method && r.path === routePath);
  if (!route) throw new Error(`${feature.name} has no route ${method} ${routePath}`);
  const raw = opts.body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(opts.body) ? opts.body : Buffer.from(typeof opts.body === 'string' ? opts.body : JSON.stringify(opts.body));
  let body: unknown;
  if (route.body && !route.rawBody) {
    const r = route.body.safeParse(JSON.parse(raw.toString('utf8') || 'null'));
    if (!r.success) return { status: 400, body: { error: r.error.issues[0]?.message } };
    body = r.data;
  }
  const rec = opts.recorded ?? { logs: [], audits: [] };
  const log = (level: string) => (msg: string, fields: Record<string, unknown> = {}) => void rec.logs.push({ level, msg, fields });
  const ctx: RequestContext = {
    store: opts.store,
    params: opts.params ?? {},
    query: new URLSearchParams(opts.query ?? {}),
    headers: Object.fromEntries(Object.entries(opts.headers ?? {}).map(([k, v]) => [k.toLowerCase(), v])),
    rawBody: raw,
    body,
    login: route.scope === 'public' ? undefined : (opts.login ?? 'tester'),
    audit: async (kind, payload) => void rec.audits.push({ kind, payload }),
    log: { info: log('info'), warn: log('warn'), error: log('error') },
    repos: async () => opts.repos ?? [],
  };
  const res = await route.handler(ctx);
  return { status: res.status, body: res.body };
}

/** A fresh embedded store in a temp dir, and how to drop it. */
export async function tempStore(): Promise<{ store: Store; dispose(): Promise<void> }> {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-store-'));
  const store = await openStore({ dir: path.join(dir, 'store') });
  return {
    store,
    dispose: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** The real PostgreSQL in a schema of its own, dropped afterwards. */
export async function pgStore(prefix: string): Promise<{ store: Store; schema: string; dispose(): Promise<void> }> {
  const schema = `${prefix}_${process.pid}_${Date.now().toString(36)}`;
  const store = await openStore({ databaseUrl: DATABASE_URL, schema, dir: '' });
  return {
    store,
    schema,
    dispose: async () => {
      await store.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await store.close();
    },
  };
}
