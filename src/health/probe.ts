import type { ServiceHealthConfig } from '../config/sections/health.ts';
import { type CheckResult, combine, type ServiceHealth } from './status.ts';

/**
 * Runs every probe configured for one service, at once, and combines them. Never throws: a probe that fails in
 * an unexpected way is an `unknown` check with the error, so one bad service cannot stop a probing round.
 */
export async function probeService(repo: string, service: string, cfg: ServiceHealthConfig, now: () => string = () => new Date().toISOString()): Promise<ServiceHealth> {
  const at = now();
  const guard = async (check: string, run: () => Promise<CheckResult | CheckResult[]>): Promise<CheckResult[]> => {
    try {
      const r = await run();
      return Array.isArray(r) ? r : [r];
    } catch (e) {
      return [{ check, status: 'unknown', reason: `probe failed: ${e instanceof Error ? e.message : String(e)}` }];
    }
  };
  const runs: Promise<CheckResult[]>[] = [];
  if (cfg.http) runs.push(guard('http', async () => (await import('./probes/http.ts')).probeHttp(cfg.http!)));
  if (cfg.tcp) runs.push(guard('tcp', async () => (await import('./probes/tcp.ts')).probeTcp(cfg.tcp!)));
  if (cfg.docker) runs.push(guard('docker', async () => (await import('./probes/docker.ts')).probeDocker(cfg.docker!)));
  if (cfg.prometheus) runs.push(guard('prometheus', async () => (await import('./probes/prometheus.ts')).probePrometheus(cfg.prometheus!)));
  const checks = (await Promise.all(runs)).flat();
  return { repo, service, at, ...combine(checks), checks };
}
