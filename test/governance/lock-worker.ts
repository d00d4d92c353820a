// Child process for the lock takeover test: waits for a common start time, takes the embedded store's lock,
// notes when it holds it, releases it. Usage: node lock-worker.ts <lock file> <journal> <start at (ms epoch)>
import { appendFileSync } from 'node:fs';
import { lockDirectory } from '../../src/store/store.ts';

const [file, journal, startAt] = process.argv.slice(2) as [string, string, string];
while (Date.now() < Number(startAt));
const release = await lockDirectory(file, 60_000);
appendFileSync(journal, `enter ${process.pid}\n`);
await new Promise((r) => setTimeout(r, 30));
appendFileSync(journal, `exit ${process.pid}\n`);
release();
