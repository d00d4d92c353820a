import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { strToU8, zipSync } from 'fflate';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/** Issue 20.12: .depwarden/vex.yaml is input from the repository, read like hostile input. */

const LOCK = `[[package]]\nname = "requests"\nversion = "2.19.0"\ndescription = ""\noptional = false\npython-versions = "*"\nfiles = []\n\n[metadata]\nlock-version = "2.1"\npython-versions = "^3.11"\ncontent-hash = "x"\n`;
const ENTRY = 'triage:\n  - id: CVE-2018-18074\n    state: not_affected\n    owner: sec\n    reason: not reachable\n    expires: 2099-01-01\n';

describe('.depwarden/vex.yaml', () => {
  const tmp = mkdtempSync(path.join(tmpdir(), 'dw-vexfile-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const db = path.join(tmp, 'osv'); // $DEPWARDEN_HOME/osv, so check finds it too
  const zip = path.join(tmp, 'a.zip');
  writeFileSync(zip, zipSync({ 'a.json': strToU8(JSON.stringify({ id: 'PYSEC-2018-28', aliases: ['CVE-2018-18074'], modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'requests' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '2.20.0' }] }] }] })) }));
  const env = { SOURCE_DATE_EPOCH: String(Date.parse('2024-01-02T00:00:00Z') / 1000) };
  const repoWith = (vex: string): string => writeTree({ 'svc/poetry.lock': LOCK, '.depwarden/vex.yaml': vex }, mkdtempSync(path.join(tmp, 'repo-')));

  it('a YAML alias bomb ("billion laughs") is a clear error naming the file (exit 2), not a stack trace', async () => {
    assert.equal((await runCli(['db', 'import', zip, '--db', db])).code, 0);
    const levels = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i'];
    const bomb = `${levels.map((l, i) => `${l}: &${l} [${i === 0 ? '"lol","lol","lol","lol","lol","lol","lol","lol","lol"' : Array(9).fill(`*${levels[i - 1]}`).join(',')}]`).join('\n')}\ntriage: *i\n`;
    const repo = repoWith(bomb);
    for (const cmd of [['audit', repo, '--db', db], ['check', repo]]) {
      const r = await runCli(cmd, { env: { ...env, DEPWARDEN_HOME: tmp } });
      assert.equal(r.code, 2, `${cmd[0]}: ${r.stderr}`);
      assert.match(r.stderr, /\.depwarden\/vex\.yaml: too many YAML alias expansions/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
    }
  });

  it('a vex.yaml that is a symlink out of the repository is not read (exit 2, naming it); one inside is', async () => {
    const outside = path.join(tmp, 'outside.yaml');
    writeFileSync(outside, ENTRY);
    const repo = writeTree({ 'svc/poetry.lock': LOCK }, mkdtempSync(path.join(tmp, 'repo-')));
    mkdirSync(path.join(repo, '.depwarden'));
    symlinkSync(outside, path.join(repo, '.depwarden', 'vex.yaml'));
    const r = await runCli(['audit', repo, '--db', db], { env });
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /\.depwarden\/vex\.yaml is a link to .*outside\.yaml, outside the repository: not read/);
    // A link that stays inside the repository is fine: the triage applies (no DW201 left).
    rmSync(path.join(repo, '.depwarden', 'vex.yaml'));
    writeFileSync(path.join(repo, 'security-vex.yaml'), ENTRY);
    symlinkSync('../security-vex.yaml', path.join(repo, '.depwarden', 'vex.yaml'));
    const ok = await runCli(['audit', repo, '--db', db, '--format', 'json'], { env });
    assert.equal(ok.code, 0, ok.stderr);
    assert.ok(!ok.stdout.includes('"DW201"'));
    // A .depwarden folder that is itself a link out of the repository is caught the same way.
    rmSync(path.join(repo, '.depwarden'), { recursive: true });
    mkdirSync(path.join(tmp, 'elsewhere'));
    writeFileSync(path.join(tmp, 'elsewhere', 'vex.yaml'), ENTRY);
    symlinkSync(path.join(tmp, 'elsewhere'), path.join(repo, '.depwarden'));
    const r2 = await runCli(['audit', repo, '--db', db], { env });
    assert.equal(r2.code, 2);
    assert.match(r2.stderr, /outside the repository: not read/);
  });
});
