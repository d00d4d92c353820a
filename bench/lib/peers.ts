import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { homedir } from 'node:os';
import path from 'node:path';

/**
 * Peer tools the benchmarks compare against, installed on demand at exact versions into a cache directory
 * outside the source tree (PEERS_ROOT: $DEPWARDEN_BENCH_PEERS, else $XDG_CACHE_HOME or ~/.cache, then
 * depwarden-bench/peers), and the install says where it goes. Not devDependencies: @cyclonedx/cdxgen 12.8.4 declares optional platform packages
 * (@cdxgen/safer-exec-darwin-*) that the registry reachable here does not serve, and `npm ci` then refuses
 * our whole lock file. Benchmarks are not run by CI, so they carry their own peers.
 *
 * `dir` gives a peer its own prefix under PEERS_ROOT: Renovate brings ~1,000 packages, and sharing one
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

export const PEERS_ROOT = process.env.DEPWARDEN_BENCH_PEERS || path.join(process.env.XDG_CACHE_HOME || path.join(homedir(), '.cache'), 'depwarden-bench', 'peers');

/** Install prefix of a peer (its node_modules lives below it). */
export function peerDir(name: PeerName): string {
  const p: Peer = PEERS[name];
  return path.join(PEERS_ROOT, ...(p.dir ? [p.dir] : []));
}

/** `npm install <spec>` into `dir` (under PEERS_ROOT), announced first; false when npm fails. */
export function installPeer(dir: string, spec: string, extra: string[] = []): boolean {
  mkdirSync(dir, { recursive: true });
  process.stderr.write(`bench: installing peer ${spec} into ${dir} (outside the source tree; DEPWARDEN_BENCH_PEERS moves it)\n`);
  return spawnSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', ...extra, '--prefix', dir, spec], { stdio: 'inherit' }).status === 0;
}

export function peerBin(name: PeerName): string | undefined {
  const p: Peer = PEERS[name];
  const dir = peerDir(name);
  const bin = path.join(dir, 'node_modules', '.bin', p.bin);
  if (existsSync(bin)) return bin;
  return installPeer(dir, `${p.pkg}@${p.version}`) && existsSync(bin) ? bin : undefined;
}
