import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './measure.ts';

/**
 * Peer tools the benchmarks compare against, installed on demand at exact versions into bench/out/peers
 * (git-ignored). Not devDependencies: @cyclonedx/cdxgen 12.8.4 declares optional platform packages
 * (@cdxgen/safer-exec-darwin-*) that the registry reachable here does not serve, and `npm ci` then refuses
 * our whole lock file. Benchmarks are not run by CI, so they carry their own peers.
 */
export const PEERS = { cdxgen: { pkg: '@cyclonedx/cdxgen', version: '12.8.4', bin: 'cdxgen' } } as const;

export function peerBin(name: keyof typeof PEERS): string | undefined {
  const p = PEERS[name];
  const dir = path.join(REPO, 'bench', 'out', 'peers');
  const bin = path.join(dir, 'node_modules', '.bin', p.bin);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `${p.pkg}@${p.version}`], { stdio: 'inherit' });
  return r.status === 0 && existsSync(bin) ? bin : undefined;
}
