// Child process for the concurrency and crash tests: appends events and prints each acknowledged seq.
// Usage: node append-worker.ts <databaseUrl> <schema> <count> <actor>
import { appendEvent } from '../../src/governance/audit-log.ts';
import { openStore } from '../../src/store/store.ts';

const [url, schema, count, actor] = process.argv.slice(2) as [string, string, string, string];
const store = await openStore({ databaseUrl: url, schema, dir: '' });
for (let i = 0; i < Number(count); i++) {
  const e = await appendEvent(store, { actor, kind: 'tested', payload: { i } });
  process.stdout.write(`${e.seq}\n`);
}
await store.close();
