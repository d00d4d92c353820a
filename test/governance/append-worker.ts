// Child process for the concurrency and crash tests: appends events and prints each acknowledged seq.
// Usage: node append-worker.ts <databaseUrl | "pglite"> <schema | PGlite directory> <count> <actor>
import { appendEvent } from '../../src/governance/audit-log.ts';
import { openStore } from '../../src/store/store.ts';

const [url, where, count, actor] = process.argv.slice(2) as [string, string, string, string];
const store = await openStore(url === 'pglite' ? { dir: where } : { databaseUrl: url, schema: where, dir: '' });
for (let i = 0; i < Number(count); i++) {
  const e = await appendEvent(store, { actor, kind: 'tested', payload: { i } });
  process.stdout.write(`${e.seq}\n`);
}
await store.close();
