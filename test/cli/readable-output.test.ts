import assert from 'node:assert/strict';
import path from 'node:path';
import { describe, it } from 'node:test';
import { toAdvisory, titleOf } from '../../src/vulns/osv-record.ts';
import { writeDb } from '../../src/vulns/store.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

const H = (c: string): string => `sha256:${c.repeat(64)}`;

/** Output a person reads (issue 19, item 6). */
describe('readable output', () => {
  it('scan: one line per image of a service, naming every file:line that uses it', async () => {
    const root = writeTree({
      'api/Dockerfile': 'FROM python:3.12-slim AS build\nRUN true\nFROM python:3.12-slim\n',
      'api/Dockerfile.dev': 'FROM python:3.12-slim\n',
      'api/requirements.txt': 'requests==2.32.3\n',
    });
    const r = await runCli(['scan', root]);
    const lines = r.stdout.split('\n').filter((l) => l.trim().startsWith('image '));
    assert.deepEqual(lines, ['  image python:3.12-slim  (no digest)  api/Dockerfile:1, api/Dockerfile:3, api/Dockerfile.dev:1']);
  });

  it('audit table and markdown: the advisory title (from details when it has no summary) and its link', async () => {
    const root = writeTree({
      'svc/requirements.in': 'aiohttp\n',
      'svc/requirements.txt': `aiohttp==3.8.6 \\\n    --hash=${H('1')}\n    # via -r requirements.in\n`,
    });
    const db = path.join(root, '.db');
    const details =
      'aiohttp is an asynchronous HTTP client/server framework for asyncio and Python. Improper validation made it possible for an attacker to modify the HTTP request (e.g. to insert a new header). This issue has been patched in version 3.9.0.';
    writeDb(db, [toAdvisory({ id: 'PYSEC-2023-250', aliases: ['CVE-2023-49081'], details, modified: '2024-01-01T00:00:00Z', affected: [{ package: { ecosystem: 'PyPI', name: 'aiohttp' }, ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: '3.9.0' }] }] }] })], {
      source: 'test',
      builtAt: '2024-01-01T00:00:00Z',
      watermark: {},
      invalid: [],
    });
    const env = { SOURCE_DATE_EPOCH: String(Date.parse('2024-01-02') / 1000) };
    const table = await runCli(['audit', root, '--db', db, '--fail-on', 'critical'], { env });
    assert.match(table.stdout, /DW201 {2}svc\/requirements\.txt:1:1 {2}aiohttp 3\.8\.6 is affected by CVE-2023-49081 \(PYSEC-2023-250\): Improper validation made it possible for an attacker to modify the HTTP request \(e\.g\. to insert a new header\)\.\n/);
    assert.match(table.stdout, /^ {11}see: https:\/\/osv\.dev\/vulnerability\/CVE-2023-49081$/m);
    const md = await runCli(['audit', root, '--db', db, '--fail-on', 'critical', '-f', 'markdown'], { env });
    assert.match(md.stdout, /\(\[advisory\]\(https:\/\/osv\.dev\/vulnerability\/CVE-2023-49081\)\) \|/);
  });

  it('sbom -o naming a file (not a folder) is a usage error said before any work, not an internal error', async () => {
    const root = writeTree({ 'api/requirements.txt': 'requests==2.32.3\n', 'not-a-dir': 'x\n' });
    for (const out of ['/dev/null', path.join(root, 'not-a-dir')]) {
      const r = await runCli(['sbom', root, '-o', out]);
      assert.equal(r.code, 2, r.stderr);
      assert.match(r.stderr, /is not a directory: -o\/--output-dir/);
      assert.doesNotMatch(r.stderr, /internal error/);
    }
  });

  it('titleOf: skips the project description, cuts long sentences at a word', () => {
    assert.equal(titleOf('Foo is a library. A crafted header crashes the parser. Fixed in 2.'), 'A crafted header crashes the parser.');
    assert.equal(titleOf('Only one sentence here'), 'Only one sentence here');
    const long = titleOf(`A ${'very '.repeat(60)}long sentence.`)!;
    assert.ok(long.length <= 160 && long.endsWith('…'), long);
    assert.equal(titleOf(undefined), undefined);
  });

  it('markdown: code spans keep <digest> as written, prose is escaped, a pipe is escaped in both', async () => {
    const root = writeTree({ 'web/Dockerfile': 'FROM node:22-bookworm\n' });
    const r = await runCli(['check', root, '-f', 'markdown', '--fail-on', 'critical']);
    const row = r.stdout.split('\n').find((l) => l.includes('| DW006 |'))!;
    assert.ok(row.includes('`node:22-bookworm@sha256:<digest>`'), row);
    assert.ok(!row.includes('&lt;'), row);
    assert.ok(row.includes('| `web/Dockerfile:1` |'), row);
    const { mdCell } = await import('../../src/report/markdown.ts');
    assert.equal(mdCell('a <b> `c|<d>` e|f'), 'a &lt;b&gt; `c\\|<d>` e\\|f');
    assert.equal(mdCell('`x`y`'), '`x`y`');
  });
});
