import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { writeFileAtomic } from '../../edit/atomic-write.ts';
import { DeployError } from '../errors.ts';

/**
 * The traffic front of a service: a real HAProxy (Debian's `haproxy`) on the host, one per service, listening on
 * the service's port. Chosen over nginx and Caddy because its runtime API (the admin socket) changes a server's
 * address and state — ready, drain, maintenance — without a reload, so a switch or a drain drops no connection,
 * and because it exports Prometheus metrics per server (status codes, response times) that the analysis gates read.
 * Instances fill fixed slots (`server-template`); depwarden sets each slot's address and state.
 *
 * Swarm's ingress routing mesh does not work on these machines (see ENGINES.md), so the Swarm driver puts this
 * same front before its tasks (published mode=host on ephemeral ports).
 */
export const SLOTS = 32;

export interface ProxySpec {
  /** Directory holding haproxy.cfg, the admin socket and the pid file. */
  dir: string;
  /** 127.0.0.1:port the service answers on. */
  port: number;
  /** 127.0.0.1:port of HAProxy's Prometheus exporter (/metrics); 0 = none. */
  metricsPort: number;
  healthPath: string;
  /** Milliseconds between HAProxy's own health checks of each instance. */
  checkIntervalMs: number;
}

export interface Slot {
  name: string;
  addr: string;
  port: number;
  /** ready, drain or maint (HAProxy's administrative state). */
  admin: 'ready' | 'drain' | 'maint';
  /** UP / DOWN as HAProxy's health checks see it. */
  health: string;
}

export const BACKEND = 'be_app';

export function renderConfig(p: ProxySpec): string {
  const sock = path.join(p.dir, 'admin.sock');
  return [
    'global',
    `  stats socket ${sock} mode 600 level admin`,
    `  pidfile ${path.join(p.dir, 'haproxy.pid')}`,
    '',
    'defaults',
    '  mode http',
    '  timeout connect 2s',
    '  timeout client 30s',
    '  timeout server 30s',
    // A request that found a stopped instance (connection refused or closed before an answer) is sent to another
    // one. Answers are never retried: a 5xx must reach the client and the metrics, or the error gate is blind.
    '  retries 3',
    '  option redispatch 1',
    '  retry-on conn-failure empty-response',
    '',
    'frontend fe_app',
    `  bind 127.0.0.1:${p.port}`,
    `  default_backend ${BACKEND}`,
    '',
    ...(p.metricsPort
      ? ['frontend fe_metrics', `  bind 127.0.0.1:${p.metricsPort}`, '  http-request use-service prometheus-exporter if { path /metrics }', '  http-request return status 404', '']
      : []),
    `backend ${BACKEND}`,
    '  balance roundrobin',
    `  option httpchk GET ${p.healthPath}`,
    `  default-server inter ${p.checkIntervalMs}ms fastinter ${p.checkIntervalMs}ms downinter ${p.checkIntervalMs}ms fall 1 rise 1`,
    `  server-template s 1-${SLOTS} 127.0.0.1:1 disabled check`,
    '',
  ].join('\n');
}

/** One command on the admin socket; HAProxy answers and closes (non-interactive mode). */
export function adminCommand(dir: string, cmd: string, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = net.createConnection(path.join(dir, 'admin.sock'));
    let out = '';
    const timer = setTimeout(() => sock.destroy(new Error(`HAProxy's admin socket in ${dir} did not answer within ${timeoutMs} ms`)), timeoutMs);
    sock.setEncoding('utf8');
    sock.on('connect', () => sock.write(`${cmd}\n`));
    sock.on('data', (d) => (out += d));
    sock.on('end', () => {
      clearTimeout(timer);
      resolve(out.trim());
    });
    sock.on('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}

/** Starts HAProxy for `p` unless one already answers on its socket with the same configuration. */
export async function ensureProxy(p: ProxySpec): Promise<void> {
  mkdirSync(p.dir, { recursive: true });
  const cfgFile = path.join(p.dir, 'haproxy.cfg');
  const cfg = renderConfig(p);
  const same = existsSync(cfgFile) && readFileSync(cfgFile, 'utf8') === cfg;
  if (same && (await alive(p.dir))) return;
  if (await alive(p.dir)) await stopProxy(p.dir);
  writeFileAtomic(cfgFile, Buffer.from(cfg));
  await new Promise<void>((resolve, reject) =>
    execFile('haproxy', ['-D', '-f', cfgFile], { timeout: 10_000 }, (err, _o, stderr) => {
      if (!err) return resolve();
      const code = (err as NodeJS.ErrnoException).code;
      reject(new DeployError(code === 'ENOENT' ? 'haproxy is not installed (apt-get install -y haproxy): it is the traffic front of the swarm and compose-proxy drivers' : `haproxy did not start: ${String(stderr).trim().split('\n').slice(-2).join(' ')}`));
    }),
  );
  for (let i = 0; i < 50 && !(await alive(p.dir)); i++) await new Promise((r) => setTimeout(r, 100));
  if (!(await alive(p.dir))) throw new DeployError(`haproxy started but its admin socket in ${p.dir} does not answer`);
}

export async function alive(dir: string): Promise<boolean> {
  try {
    return (await adminCommand(dir, 'show info', 1000)).includes('Pid:');
  } catch {
    return false;
  }
}

export async function stopProxy(dir: string): Promise<void> {
  const pidFile = path.join(dir, 'haproxy.pid');
  if (!existsSync(pidFile)) return;
  for (const pid of readFileSync(pidFile, 'utf8').split(/\s+/).filter(Boolean).map(Number)) {
    try {
      process.kill(pid, 'SIGTERM');
    } catch {
      /* already gone */
    }
  }
  for (let i = 0; i < 30 && (await alive(dir)); i++) await new Promise((r) => setTimeout(r, 100));
}

/** The slots as HAProxy sees them (`show servers state`). */
export async function slots(dir: string): Promise<Slot[]> {
  const out = await adminCommand(dir, `show servers state ${BACKEND}`);
  const lines = out.split('\n').filter((l) => /^\d+ /.test(l) && l.split(/\s+/).length > 18);
  // Columns (format 1): be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state ... srv_port (col 18)
  return lines.map((l) => {
    const c = l.split(/\s+/);
    const op = Number(c[5]);
    const adminBits = Number(c[6]);
    // Forced or inherited maintenance (0x01, 0x02); 0x04 only remembers the `disabled` of the template and stays
    // set after `state ready`. Forced or inherited drain: 0x08, 0x10.
    const admin: Slot['admin'] = adminBits & 0x03 ? 'maint' : adminBits & 0x18 ? 'drain' : 'ready';
    return { name: c[3]!, addr: c[4]!, port: Number(c[18]), admin, health: op === 2 ? 'UP' : op === 0 ? 'DOWN' : op === 3 ? 'STARTING' : 'STOPPING' };
  });
}

async function run(dir: string, cmd: string): Promise<void> {
  const out = await adminCommand(dir, cmd);
  if (out && !/^(|IP changed from|no need to change|port changed from)/.test(out)) throw new DeployError(`haproxy refused "${cmd}": ${out}`);
}

/**
 * Makes HAProxy route to exactly `routes` (host:port → ready or drain); every other slot goes to maintenance.
 * A known endpoint keeps its slot, so its connections and counters survive; a new one takes a free slot.
 * Returns the slot name of each endpoint (the metrics name instances by slot).
 */
export async function setRoutes(dir: string, routes: { endpoint: string; state: 'ready' | 'drain' }[]): Promise<Map<string, string>> {
  const current = await slots(dir);
  const byEndpoint = new Map(current.filter((s) => s.admin !== 'maint' || s.port !== 1).map((s) => [`${s.addr}:${s.port}`, s]));
  const wanted = new Map(routes.map((r) => [r.endpoint, r.state]));
  const names = new Map<string, string>();
  const used = new Set<string>();
  for (const r of routes) {
    const s = byEndpoint.get(r.endpoint);
    if (s) {
      names.set(r.endpoint, s.name);
      used.add(s.name);
    }
  }
  const free = current.filter((s) => !used.has(s.name) && !wanted.has(`${s.addr}:${s.port}`));
  // Slots leaving traffic go first to drain-then-maint, before new ones are added, so no endpoint holds two slots.
  for (const s of current) {
    if (used.has(s.name) || s.admin === 'maint') continue;
    await run(dir, `set server ${BACKEND}/${s.name} state maint`);
  }
  for (const r of routes) {
    let name = names.get(r.endpoint);
    if (!name) {
      const slot = free.shift();
      if (!slot) throw new DeployError(`more than ${SLOTS} instances for one service: the proxy has no free slot`);
      name = slot.name;
      const [addr, port] = r.endpoint.split(':');
      await run(dir, `set server ${BACKEND}/${name} addr ${addr} port ${port}`);
      names.set(r.endpoint, name);
    }
    await run(dir, `set server ${BACKEND}/${name} state ${r.state}`);
  }
  return names;
}

/** The PromQL labels of these endpoints: the backend and a regex of their slot names. */
export async function proxyLabels(dir: string, endpoints: string[]): Promise<Record<string, string>> {
  const want = new Set(endpoints);
  const names = (await slots(dir)).filter((s) => want.has(`${s.addr}:${s.port}`)).map((s) => s.name);
  return { backend: BACKEND, servers: names.length ? names.join('|') : 'none' };
}
