// Child process that holds a repository's embedded store open (reading only) until it is killed.
// Usage: node hold-worker.ts <repo>
import { openRepositoryStore } from '../../src/store/store.ts';

const store = await openRepositoryStore(process.argv[2]!, {});
await store.query('SELECT count(*) FROM audit_log');
process.stdout.write('held\n');
setInterval(() => {}, 1000);
