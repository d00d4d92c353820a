// Child process for the crash tests: runs a rollback and kills itself (SIGKILL, as `kill -9`) at one step.
// Usage: node rollback-worker.ts <repo> <service> <step to die at>
import { loadConfig } from '../../src/config/load.ts';
import { rollback } from '../../src/governance/rollback.ts';
import { openRepositoryStore } from '../../src/store/store.ts';

const [root, service, dieAt] = process.argv.slice(2) as [string, string, string];
const { config } = await loadConfig(root);
const store = await openRepositoryStore(root, {});
await rollback(store, config, root, {
  service,
  reason: 'crash test',
  actor: 'ci',
  onStep: (s) => {
    if (s === dieAt) process.kill(process.pid, 'SIGKILL');
  },
});
await store.close();
