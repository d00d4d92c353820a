import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { parse } from 'yaml';
import { parseWorkflow } from '../../src/formats/gha-workflow.ts';
import { runCli } from '../helpers/run-cli.ts';

// The GitHub Actions templates users copy into their fleet repositories must pass the rules they enforce.
const DIR = path.resolve(import.meta.dirname, '..', '..', 'templates', 'github-actions');
const FILES = readdirSync(DIR).filter((f) => f.endsWith('.yml')).sort();
const read = (f: string): string => readFileSync(path.join(DIR, f), 'utf8');

interface Job {
  permissions?: Record<string, string>;
  'timeout-minutes'?: number;
  steps?: { name?: string; uses?: string; run?: string; with?: Record<string, unknown> }[];
}
interface Workflow {
  permissions?: unknown;
  env?: Record<string, string>;
  jobs: Record<string, Job>;
}

describe('CI templates', () => {
  it('are the three documented workflows', () => {
    assert.deepEqual(FILES, ['depwarden-gate.yml', 'depwarden-sbom.yml', 'depwarden-weekly-update.yml']);
  });

  for (const f of FILES) {
    it(`${f}: every uses: is pinned to a full commit SHA with a "# vX.Y.Z" comment`, () => {
      const r = parseWorkflow(`.github/workflows/${f}`, read(f));
      assert.deepEqual(r.findings, []);
      const uses = r.data!.uses;
      assert.ok(uses.length >= 2, 'checkout and the depwarden action');
      for (const u of uses) {
        assert.equal(u.kind, 'action', u.raw);
        assert.equal(u.refKind, 'sha', u.raw);
        assert.match(u.ref!, /^[0-9a-f]{40}$/, u.raw);
        assert.match(u.versionComment ?? '', /^v\d+\.\d+\.\d+$/, `${u.raw} needs an exact version comment`);
      }
    });

    it(`${f}: least privilege (nothing at workflow level, permissions and a timeout on every job, no persisted credentials)`, () => {
      const wf = parse(read(f)) as Workflow;
      assert.deepEqual(wf.permissions, {});
      for (const [name, job] of Object.entries(wf.jobs)) {
        assert.ok(job.permissions && Object.keys(job.permissions).length > 0, `${name}: permissions`);
        assert.ok(!Object.values(job.permissions).includes('write-all'));
        assert.ok((job['timeout-minutes'] ?? 0) > 0, `${name}: timeout-minutes`);
        for (const s of job.steps ?? []) {
          if (s.uses?.startsWith('actions/checkout@')) assert.equal(s.with?.['persist-credentials'], false, `${name}: ${s.uses}`);
        }
      }
    });
  }

  it('one SHA and one version per action, and the same depwarden pin, across all templates', () => {
    const byAction = new Map<string, Set<string>>();
    const pins = new Set<string>();
    for (const f of FILES) {
      for (const u of parseWorkflow(f, read(f)).data!.uses) {
        const k = `${u.owner}/${u.repo}`;
        byAction.set(k, (byAction.get(k) ?? new Set()).add(`${u.ref} ${u.versionComment}`));
        if (u.repo === 'depwarden') pins.add(`${k}@${u.ref}`);
      }
    }
    for (const [k, v] of byAction) assert.equal(v.size, 1, `${k}: ${[...v].join(', ')}`);
    assert.equal(pins.size, 1, [...pins].join(', '));
  });

  for (const f of FILES) {
    it(`${f}: installs depwarden with the composite action (action.yml) pinned by SHA, before any depwarden command, with no wrapper of its own`, () => {
      const wf = parse(read(f)) as Workflow;
      for (const [name, job] of Object.entries(wf.jobs)) {
        const steps = job.steps ?? [];
        const install = steps.findIndex((s) => /^[\w.-]+\/depwarden@[0-9a-f]{40}$/.test(s.uses ?? ''));
        assert.ok(install >= 0, `${name}: a uses: <owner>/depwarden@<sha> step`);
        assert.equal(steps[install]!.name, 'Install depwarden');
        const first = steps.findIndex((s) => /(^|\n|\s)depwarden\s/.test(s.run ?? ''));
        assert.ok(first > install, `${name}: depwarden runs after the action installed it`);
        for (const s of steps) {
          assert.doesNotMatch(s.run ?? '', /npm ci|depwarden\.js|GITHUB_PATH/, `${name}: ${s.name} installs depwarden by hand`);
          assert.ok(!s.uses?.startsWith('actions/setup-node@'), `${name}: the action sets up the pinned Node`);
        }
      }
    });
  }

  it('the gate and SBOM commands run as written with the depwarden the action puts on PATH', () => {
    const REPO = path.resolve(import.meta.dirname, '..', '..');
    const action = parse(readFileSync(path.join(REPO, 'action.yml'), 'utf8')) as { runs: { steps: { name: string; run?: string }[] } };
    const tmp = mkdtempSync(path.join(tmpdir(), 'dw-tpl-run-'));
    try {
      const fake = path.join(tmp, 'fake-bin');
      mkdirSync(fake);
      // `npm ci` stands in: the dependencies are this checkout's own node_modules.
      writeFileSync(path.join(fake, 'npm'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
      const env = { PATH: `${fake}:${path.dirname(process.execPath)}:/usr/bin:/bin`, RUNNER_TEMP: tmp, GITHUB_PATH: path.join(tmp, 'path'), GITHUB_OUTPUT: path.join(tmp, 'out'), GITHUB_STEP_SUMMARY: path.join(tmp, 'summary'), ACTION_PATH: REPO, DEPWARDEN_HOME: path.join(tmp, 'home'), SOURCE_DATE_EPOCH: '1700000000' };
      for (const f of [env.GITHUB_PATH, env.GITHUB_OUTPUT, env.GITHUB_STEP_SUMMARY]) writeFileSync(f, '');
      execFileSync('bash', ['-c', action.runs.steps.find((s) => s.name === 'Install depwarden')!.run!], { env });
      const onPath = { ...env, PATH: `${readFileSync(env.GITHUB_PATH, 'utf8').trim()}:${env.PATH}` };
      const fleet = path.join(tmp, 'fleet');
      mkdirSync(path.join(fleet, 'api'), { recursive: true });
      writeFileSync(path.join(fleet, 'api', 'requirements.txt'), 'requests==2.32.3 --hash=sha256:70761cfe03c773ceb22aa2f671b4757976145175cdfca038c02654d061d6dcc6\n');
      const stepRun = (file: string, step: string): string => (parse(read(file)) as { jobs: Record<string, { steps: { name?: string; run?: string }[] }> }).jobs[Object.keys((parse(read(file)) as { jobs: object }).jobs)[0]!]!.steps.find((s) => s.name === step)!.run!;
      execFileSync('bash', ['-c', stepRun('depwarden-sbom.yml', 'Write SBOMs')], { cwd: fleet, env: onPath });
      assert.ok(readFileSync(path.join(fleet, 'sbom', 'repository.cdx.json'), 'utf8').includes('pkg:pypi/requests@2.32.3'));
      const check = spawnSync('bash', ['-c', stepRun('depwarden-gate.yml', 'depwarden check (rules)')], { cwd: fleet, env: onPath, encoding: 'utf8' });
      assert.equal(check.status, 0, check.stderr);
      assert.match(readFileSync(env.GITHUB_OUTPUT, 'utf8'), /^rc=[01]$/m);
      assert.ok((JSON.parse(readFileSync(path.join(fleet, 'check.sarif'), 'utf8')) as { runs: unknown[] }).runs.length === 1);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
  });

  const root = mkdtempSync(path.join(tmpdir(), 'dw-templates-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('depwarden check on a repository holding them reports nothing, at any severity', async () => {
    mkdirSync(path.join(root, '.github', 'workflows'), { recursive: true });
    for (const f of FILES) copyFileSync(path.join(DIR, f), path.join(root, '.github', 'workflows', f));
    const r = await runCli(['check', root, '--fail-on', 'info', '--format', 'json']);
    const doc = JSON.parse(r.stdout) as { findings: { ruleId: string; file: string; message: string }[] };
    assert.deepEqual(doc.findings.map((x) => `${x.ruleId} ${x.file}: ${x.message}`), []);
    assert.equal(r.code, 0);
  });
});
