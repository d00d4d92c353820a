import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { baseEnv, cli, dropSchemas, FAST, fixtureRepo, git, PG_URL, pgQuery, schemaName, serve, stop, tempDir, waitFor, writeServeConfig, type Served } from './serve-helpers.ts';
import { needPostgres } from '../helpers/system-tool.ts';

const NO_PG = await needPostgres();

// The queue's guarantees, with real `depwarden serve` processes sharing the real PostgreSQL (one schema per test).
describe('serve replicas on PostgreSQL', { skip: NO_PG }, () => {
  const schemas: string[] = [];
  const procs: Served[] = [];
  after(async () => {
    for (const p of procs) if (p.proc.exitCode === null) p.proc.kill('SIGKILL');
    for (const s of schemas) await dropSchemas(s);
  });

  const replica = async (schema: string, extra: NodeJS.ProcessEnv = {}, args: string[] = []): Promise<Served> => {
    const data = tempDir();
    writeServeConfig(data, `${FAST}  concurrency: 1\n  perCommit: [check]\n`);
    const s = await serve(['--listen', '127.0.0.1:0', '--data', data, ...args], baseEnv({ DATABASE_URL: PG_URL, DEPWARDEN_DB_SCHEMA: schema, ...extra }));
    procs.push(s);
    return s;
  };
  const register = (schema: string, repo: string): void => {
    const r = cli(['repo', 'add', repo, '--name', 'fixture', '--data', tempDir()], baseEnv({ DATABASE_URL: PG_URL, DEPWARDEN_DB_SCHEMA: schema }));
    assert.equal(r.code, 0, r.stderr);
  };
  const pid = (s: Served): number => s.proc.pid!;

  it('runs the scheduled poll once per tick across three replicas', async () => {
    const schema = schemaName('tick');
    schemas.push(schema);
    const rs = [await replica(schema), await replica(schema), await replica(schema, {}, ['--workers-only'])];
    const t0 = Date.now();
    await new Promise((r) => setTimeout(r, 12_000));
    const jobs = await pgQuery<{ slot: string; n: string }>(`${schema}_boss`, "SELECT singleton_on::text AS slot, count(*) AS n FROM job WHERE name = 'dw-poll' GROUP BY 1 ORDER BY 1");
    assert.ok(jobs.length >= 4, `polls in 12 s at a 2 s tick: ${jobs.length}`);
    assert.ok(jobs.every((j) => Number(j.n) === 1), `one poll job per tick: ${JSON.stringify(jobs)}`);
    const runs = await pgQuery<{ n: string; workers: string }>(schema, "SELECT count(*) AS n, count(DISTINCT worker) AS workers FROM job_runs WHERE kind = 'poll'");
    // Each offered tick ran once (the last may still be waiting), whichever replica took it.
    assert.ok(Number(runs[0]!.n) <= jobs.length && Number(runs[0]!.n) >= jobs.length - 1, `runs ${runs[0]!.n} for ${jobs.length} ticks`);
    assert.ok(Number(runs[0]!.n) <= Math.ceil((Date.now() - t0) / 2000) + 2, 'not one poll per replica per tick');
    for (const r of rs) assert.equal(await stop(r), 0, r.stderr());
  });

  it('retries a job whose worker was killed (-9) on another worker after the lease, and records it once', async () => {
    const schema = schemaName('kill');
    schemas.push(schema);
    const repo = fixtureRepo();
    const a = await replica(schema, { DEPWARDEN_SERVE_JOB_HOLD_MS: '60000' });
    register(schema, repo);
    const running = await waitFor('the check job running on A', async () => (await pgQuery<{ job_id: string; worker: string }>(schema, "SELECT job_id, worker FROM job_runs WHERE kind = 'check' AND outcome = 'running'"))[0]);
    assert.match(running.worker, new RegExp(`:${pid(a)}$`));
    a.proc.kill('SIGKILL');
    await a.exited;
    const b = await replica(schema);
    const done = await waitFor('the retry on B', async () => (await pgQuery<{ worker: string; attempt: number }>(schema, "SELECT worker, attempt FROM job_runs WHERE job_id = $1 AND outcome = 'succeeded'", [running.job_id]))[0], 60_000);
    assert.match(done.worker, new RegExp(`:${pid(b)}$`));
    assert.ok(done.attempt >= 2);
    const runs = await pgQuery<{ outcome: string }>(schema, 'SELECT outcome FROM job_runs WHERE job_id = $1 ORDER BY id', [running.job_id]);
    assert.deepEqual(runs.map((r) => r.outcome), ['interrupted', 'succeeded']);
    const head = git(repo, 'rev-parse', 'HEAD');
    const snaps = await pgQuery<{ n: string }>(schema, "SELECT count(*) AS n FROM snapshots WHERE repo = 'fixture' AND kind = 'check' AND service = '' AND commit = $1", [head]);
    assert.equal(Number(snaps[0]!.n), 1, 'the killed attempt wrote nothing; the retry wrote once');
    assert.equal(await stop(b), 0);
  });

  it('drains in-flight jobs on SIGTERM', async () => {
    const schema = schemaName('drain');
    schemas.push(schema);
    const a = await replica(schema, { DEPWARDEN_SERVE_JOB_HOLD_MS: '1500' });
    register(schema, fixtureRepo());
    const running = await waitFor('a running check', async () => (await pgQuery<{ id: string }>(schema, "SELECT id FROM job_runs WHERE kind = 'check' AND outcome = 'running'"))[0]);
    const signalled = new Date();
    a.proc.kill('SIGTERM');
    assert.equal(await a.exited, 0, a.stderr());
    const r = (await pgQuery<{ outcome: string; ended: Date }>(schema, 'SELECT outcome, ended FROM job_runs WHERE id = $1', [running.id]))[0]!;
    assert.equal(r.outcome, 'succeeded');
    assert.ok(r.ended > signalled, 'finished after the signal, before the exit');
    assert.equal((await pgQuery(schema, "SELECT 1 FROM job_runs WHERE outcome = 'running'")).length, 0);
  });

  it('resumes the schedule after a restart', async () => {
    const schema = schemaName('resume');
    schemas.push(schema);
    const a = await replica(schema);
    await waitFor('a poll', async () => (await pgQuery(schema, "SELECT 1 FROM job_runs WHERE kind = 'poll'")).length > 0);
    assert.equal(await stop(a), 0);
    const before = (await pgQuery<{ n: string }>(schema, "SELECT count(*) AS n FROM job_runs WHERE kind = 'poll'"))[0]!.n;
    const b = await replica(schema);
    await waitFor('polls after the restart', async () => Number((await pgQuery<{ n: string }>(schema, "SELECT count(*) AS n FROM job_runs WHERE kind = 'poll'"))[0]!.n) >= Number(before) + 2);
    const schedules = await pgQuery<{ name: string }>(`${schema}_boss`, 'SELECT name FROM schedule ORDER BY name');
    assert.deepEqual(schedules.map((s) => s.name), ['dw-db-sync', 'dw-snapshots'], 'the cron schedules are kept in the database, once');
    assert.equal(await stop(b), 0);
  });
});
