import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import { REPO } from './measure.ts';

/**
 * Peer tools the benchmarks compare against, installed on demand at exact versions into bench/out/peers
 * (git-ignored). Not devDependencies: @cyclonedx/cdxgen 12.8.4 declares optional platform packages
 * (@cdxgen/safer-exec-darwin-*) that the registry reachable here does not serve, and `npm ci` then refuses
 * our whole lock file. Benchmarks are not run by CI, so they carry their own peers.
 *
 * `dir` gives a peer its own prefix under bench/out/peers: Renovate brings ~1,000 packages, and sharing one
 * node_modules with cdxgen would let either install move the other's dependencies.
 */
interface Peer {
  pkg: string;
  version: string;
  bin: string;
  dir?: string;
}

export const PEERS = {
  cdxgen: { pkg: '@cyclonedx/cdxgen', version: '12.8.4', bin: 'cdxgen' },
  renovate: { pkg: 'renovate', version: '44.121.2', bin: 'renovate', dir: 'renovate' },
} as const satisfies Record<string, Peer>;

export type PeerName = keyof typeof PEERS;

/** Install prefix of a peer (its node_modules lives below it). */
export function peerDir(name: PeerName): string {
  const p: Peer = PEERS[name];
  return path.join(REPO, 'bench', 'out', 'peers', ...(p.dir ? [p.dir] : []));
}

export function peerBin(name: PeerName): string | undefined {
  const p: Peer = PEERS[name];
  const dir = peerDir(name);
  const bin = path.join(dir, 'node_modules', '.bin', p.bin);
  if (existsSync(bin)) return bin;
  mkdirSync(dir, { recursive: true });
  const r = spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--prefix', dir, `${p.pkg}@${p.version}`], { stdio: 'inherit' });
  return r.status === 0 && existsSync(bin) ? bin : undefined;
}
