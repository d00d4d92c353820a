import { connect } from 'node:net';
import type { ServiceHealthConfig } from '../../config/sections/health.ts';
import type { CheckResult } from '../status.ts';

/** Opens a TCP connection and closes it: up when it opens within the deadline, down when refused or late. */
export function probeTcp(cfg: NonNullable<ServiceHealthConfig['tcp']>): Promise<CheckResult> {
  const started = performance.now();
  return new Promise((resolve) => {
    const socket = connect({ host: cfg.host, port: cfg.port });
    const done = (r: CheckResult): void => {
      socket.destroy();
      resolve(r);
    };
    socket.setTimeout(cfg.timeoutSeconds * 1000, () => done({ check: 'tcp', status: 'down', reason: `no connection to ${cfg.host}:${cfg.port} within ${cfg.timeoutSeconds} s` }));
    socket.once('connect', () => {
      const latencyMs = Math.round(performance.now() - started);
      done({ check: 'tcp', status: 'up', reason: `connected to ${cfg.host}:${cfg.port} in ${latencyMs} ms`, latencyMs });
    });
    socket.once('error', (e: NodeJS.ErrnoException) => {
      const unresolved = /^(ENOTFOUND|EAI_AGAIN)$/.test(e.code ?? '');
      done({ check: 'tcp', status: unresolved ? 'unknown' : 'down', reason: `${cfg.host}:${cfg.port}: ${e.code ?? e.message}` });
    });
  });
}
