import { createServer } from 'node:net';

/** A port nothing listens on: bound, then released (fetch refuses "bad ports" such as 1 outright). */
export async function closedPort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}
