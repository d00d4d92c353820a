import { spawnSync } from 'node:child_process';
import path from 'node:path';

export const REPO = path.resolve(import.meta.dirname, '..', '..');
export const NODE = path.join(REPO, 'node_modules', '.bin', 'node');

export interface Measured {
  ms: number;
  peakMb: number;
  status: number | null;
  stderr: string;
}

/**
 * Runs a command in a child process and reads its wall time and peak RSS (GNU time's %M when present;
 * otherwise the child's own report is needed). Children keep the parent's memory out of the figure.
 */
export function measure(cmd: string, args: string[], env: NodeJS.ProcessEnv = {}, cwd = REPO): Measured {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '__PEAK_KB=%M', cmd, ...args], { cwd, env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  const m = /__PEAK_KB=(\d+)/.exec(r.stderr ?? '');
  return { ms, peakMb: m ? Number(m[1]) / 1024 : NaN, status: r.status, stderr: (r.stderr ?? '').replace(/__PEAK_KB=\d+\n?/, '') };
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
