import type { z } from 'zod';
import type { Store } from '../store/store.ts';

/**
 * The seam between `depwarden serve` (HTTP server, queue, scheduler: src/serve/, src/api/, src/jobs/) and the
 * capabilities that run inside it (builds and coverage, health probes, alerts, deploys, the dashboard). A capability
 * is one module exporting a `ServeFeature`; the server collects them from `src/serve/features.ts` and never
 * needs to know what one does. Every route is described by zod schemas, so validation and the OpenAPI document
 * come from one declaration.
 */

/** Who may call a route: `public` needs no token; the others need a token of at least that scope. */
export type Scope = 'public' | 'read' | 'write' | 'admin';

export interface Logger {
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
}

/** A repository registered with `depwarden repo add`: where its checkout is on this machine. */
export interface RegisteredRepo {
  name: string;
  /** Absolute path of the working tree the analyses read (a local path, or the clone in the data dir). */
  root: string;
  branch: string | null;
  /** The git remote it was cloned from (credentials stripped), when registered by URL or found in the checkout. */
  remote: string | null;
  /** Name of the environment variable holding this repository's webhook secret (the secret itself is never stored). */
  webhookSecretEnv: string | null;
}

export interface RequestContext {
  store: Store;
  /** Path parameters, from `{name}` segments of the route's path. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** Header names in lower case. */
  headers: Record<string, string | undefined>;
  /** The body exactly as received (for signature checks); bounded by the server's body limit. */
  rawBody: Buffer;
  /** The body parsed as JSON and validated by `route.body`; undefined when the route declares none or `rawBody`. */
  body: unknown;
  /** The calling token's login; undefined on public routes. */
  login: string | undefined;
  /** The caller's scope (a token's, or the token's behind a dashboard session); undefined on public routes. */
  scope?: Scope;
  /** The request came over TLS (directly, or `x-forwarded-proto: https` from the proxy): cookies get `Secure`. */
  tls?: boolean;
  /** Appends an event to the server's hash-chained audit log (every write through the API is one). */
  audit(kind: string, payload: Record<string, unknown>): Promise<void>;
  log: Logger;
  repos(): Promise<RegisteredRepo[]>;
}

export interface ApiResponse {
  status: number;
  /** JSON-serialised unless `contentType` says otherwise (then a string or Buffer is sent as is). */
  body?: unknown;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface ApiRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** OpenAPI-style path: `/api/v1/repos/{name}/findings`. */
  path: string;
  scope: Scope;
  summary: string;
  tags?: string[];
  /** Request body schema (JSON). Omit with `rawBody: true` for bodies the handler verifies itself (webhooks). */
  body?: z.ZodType;
  rawBody?: boolean;
  /** Query parameter schema (an object of strings), for validation and the OpenAPI document. */
  query?: z.ZodType;
  /** Response schema of the success status, for the OpenAPI document. */
  response?: z.ZodType;
  /**
   * For reads whose answer depends only on the URL and stored data: a cheap version of that data (a max id, a
   * count). While it is unchanged the server answers from its cache (the ETag is kept too).
   */
  cacheVersion?(ctx: RequestContext): Promise<string>;
  handler(ctx: RequestContext): Promise<ApiResponse>;
}

/** What a feature's background work is given by the server. */
export interface FeatureContext {
  store: Store;
  log: Logger;
  /** Aborted when the process drains (SIGTERM): stop starting work, finish what is in flight. */
  signal: AbortSignal;
  repos(): Promise<RegisteredRepo[]>;
  /** The data directory of this server (`--data DIR`). */
  dataDir: string;
  env: NodeJS.ProcessEnv;
}

/** prom-client's Registry, kept structural so this file needs no import of it. */
export interface MetricsRegistry {
  registerMetric(metric: unknown): void;
}

export interface ServeFeature {
  name: string;
  routes?: ApiRoute[];
  /** Registers gauges/counters whose `collect()` reads the store at scrape time. */
  metrics?(registry: MetricsRegistry, store: Store): void;
  /** Background work of one serve process (probes on an interval and the like); returns how to stop it. */
  start?(ctx: FeatureContext): Promise<() => Promise<void>>;
}
