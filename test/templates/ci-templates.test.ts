import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
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
  steps?: { uses?: string; with?: Record<string, unknown> }[];
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
      assert.ok(uses.length >= 3, 'checkout, setup-node and at least one more');
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
      }
      const env = (parse(read(f)) as Workflow).env ?? {};
      pins.add(`${env['DEPWARDEN_REPOSITORY']}@${env['DEPWARDEN_REF']}`);
    }
    for (const [k, v] of byAction) assert.equal(v.size, 1, `${k}: ${[...v].join(', ')}`);
    assert.equal(pins.size, 1, [...pins].join(', '));
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
