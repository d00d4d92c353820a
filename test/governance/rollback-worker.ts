// Child process for the crash tests: runs a rollback and kills itself (SIGKILL, as `kill -9`) at one step.
// Usage: node rollback-worker.ts <repo> <service> <step to die at>
import path from 'node:path';
import { rollback } from '../../src/governance/rollback.ts';
import { keyActor, openGov } from '../../src/governance/trust.ts';
import { openRepositoryStore } from '../../src/store/store.ts';

const [root, service, dieAt] = process.argv.slice(2) as [string, string, string];
const store = await openRepositoryStore(root, {});
await rollback(await openGov(store, root), root, {
  service,
  reason: 'crash test',
  actor: keyActor('alice', path.join(root, 'keys', 'alice')),
  onStep: (s: string) => {
    if (s === dieAt) process.kill(process.pid, 'SIGKILL');
  },
});
await store.close();
