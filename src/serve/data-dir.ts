import path from 'node:path';

/**
 * Where a server's store lives inside its data directory (`depwarden serve --data DIR`). Commands that write to a
 * server's data directly (`depwarden report ... --data DIR`) open the same path, so both agree on one layout.
 */
export function serverStoreDir(dataDir: string): string {
  return path.join(dataDir, 'store');
}
