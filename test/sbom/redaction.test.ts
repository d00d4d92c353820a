import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { redactAlways, redactSecrets } from '../../src/util/redact.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

const SECRETS = ['s3cretpw', 'tok3nvalue', 'qtokenvalue', 'gitpat99', 'npmtokenvalue', 'ghp_abcdefghijklmnopqrstuvwxyz0123456789', 'bearervalue'];

describe('credentials never reach SBOMs or findings (issue 20.6)', () => {
  const d = writeTree(
    {
      'web/package.json': JSON.stringify({ name: 'web', dependencies: { 'left-pad': '1.3.0' } }),
      'web/package-lock.json': JSON.stringify({
        name: 'web',
        lockfileVersion: 3,
        packages: {
          '': { dependencies: { 'left-pad': '1.3.0' } },
          'node_modules/left-pad': { version: '1.3.0', resolved: 'https://ci:tok3nvalue@npm.corp.example/left-pad/-/left-pad-1.3.0.tgz', integrity: 'sha512-AAAA' },
        },
      }),
      'api/requirements.txt': [
        'flask==3.0.0 --hash=sha256:' + 'a'.repeat(64),
        'mylib @ git+https://deploy:gitpat99@git.corp.example/team/mylib.git@0123456789abcdef0123456789abcdef01234567',
        'wheelpkg @ https://files.corp.example/wheelpkg-1.0-py3-none-any.whl?token=qtokenvalue&x=1',
        '',
      ].join('\n'),
      'api/Dockerfile': [
        'FROM python:3.12-slim@sha256:' + 'b'.repeat(64),
        'RUN pip install --index-url https://user:s3cretpw@pypi.corp.example/simple flask',
        'RUN NPM_TOKEN=npmtokenvalue npm install left-pad',
        'RUN curl -H "Authorization: Bearer bearervalue" https://x.example/ && pip install requests',
        'RUN GH=ghp_abcdefghijklmnopqrstuvwxyz0123456789 pip install six',
        '',
      ].join('\n'),
    },
    mkdtempSync(path.join(tmpdir(), 'dw-redact-')),
  );
  after(() => rmSync(d, { recursive: true, force: true }));
  const clean = (what: string, text: string): void => {
    for (const s of SECRETS) assert.ok(!text.includes(s), `${what} leaks ${s}`);
  };

  it('check in every format quotes the RUN lines without their credentials', async () => {
    for (const f of ['json', 'sarif', 'markdown', 'table']) {
      const r = await runCli(['check', d, '--format', f]);
      assert.match(r.stdout, /DW010/, f);
      clean(`check -f ${f}`, r.stdout);
    }
    const doc = JSON.parse((await runCli(['check', d, '--format', 'json'])).stdout) as { findings: { ruleId: string; detail?: string }[] };
    assert.ok(doc.findings.some((x) => x.detail?.includes('https://***@pypi.corp.example/simple')), 'the URL stays, without its user-info');
    clean('scan', (await runCli(['scan', d, '--format', 'json'])).stdout + (await runCli(['scan', d])).stdout);
  });

  it('CycloneDX JSON/XML and SPDX carry the package sources without user-info or token parameters', async () => {
    for (const f of ['cyclonedx-json', 'cyclonedx-xml', 'spdx-json']) {
      const r = await runCli(['sbom', d, '-f', f]);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /npm\.corp\.example/, `${f} keeps the registry host`);
      assert.match(r.stdout, /git\.corp\.example/, `${f} keeps the git host`);
      clean(`sbom -f ${f}`, r.stdout);
    }
  });

  it('redactSecrets: one function for user-info, token parameters (plain and percent-encoded), assignments and token shapes', () => {
    assert.equal(redactSecrets('https://u:p@h.example/x'), 'https://***@h.example/x');
    assert.equal(redactSecrets('https%3A%2F%2Fu%3Ap%40h.example%2F%40scope%2Fx'), 'https%3A%2F%2F***%40h.example%2F%40scope%2Fx');
    assert.equal(redactSecrets('https%3A%2F%2Fregistry.example%2F%40scope%2Fx'), 'https%3A%2F%2Fregistry.example%2F%40scope%2Fx', 'an encoded @ in a path is no user-info');
    assert.equal(redactSecrets('https://h/x.whl?token=abc&x=1'), 'https://h/x.whl?token=***&x=1');
    assert.equal(redactSecrets('x.whl%3Fsig%3Dabc%26x%3D1'), 'x.whl%3Fsig%3D***%26x%3D1');
    assert.equal(redactSecrets('//npm.example/:_authToken=abc'), '//npm.example/:_authToken=***');
    assert.equal(redactSecrets('NPM_TOKEN=abc npm ci'), 'NPM_TOKEN=*** npm ci');
    assert.equal(redactSecrets('pytoken==1.0 django-token==2.0'), 'pytoken==1.0 django-token==2.0', 'package names are not secrets');
    assert.equal(redactSecrets('use ghp_abcdefghijklmnopqrstuvwxyz0123456789 here'), 'use *** here');
    assert.equal(redactSecrets('Authorization: Bearer abc'), 'Authorization: ***');
    assert.equal(redactSecrets('https://pypi.org/simple requests==2.31.0'), 'https://pypi.org/simple requests==2.31.0');
  });

  it('the fast path (no regex pass for texts that cannot hold a secret) never changes the result', () => {
    // Every string any replacement rewrites, then mutations of them: cut at each position, cased, and spliced into
    // harmless text. A text the fast path skips must be one the full passes leave unchanged.
    const seeds = [
      'https://u:p@h.example/x', 'https%3A%2F%2Fu%3Ap%40h.example%2Fx', 'https://h/x.whl?token=abc&x=1', 'x.whl%3Fsig%3Dabc%26x%3D1',
      '//npm.example/:_authToken=abc', 'NPM_TOKEN=abc npm ci', 'password: hunter2', 'api_key=k', 'APIKEY:k', 'passwd=p', 'secret:s',
      'Authorization: Bearer abc', 'use ghp_abcdefghijklmnopqrstuvwxyz0123456789 here', 'github_pat_abcdefghijklmnopqrstuvwxyz0123456789',
      'glpat-abcdefghijklmnopqrstuv', 'npm_abcdefghijklmnopqrstuvwxyz0123456789', 'xoxb-1234567890-abc', 'AKIAABCDEFGHIJKLMNOP',
      'git+ssh://git@github.com/o/r.git', 'pkg:pypi/requests@2.31.0', 'pkg:npm/%40scope/x@1.0.0?repository_url=https%3A%2F%2Fu%3At%40r.example',
    ];
    const texts = new Set<string>();
    for (const s of seeds) {
      for (const t of [s, s.toUpperCase(), s.toLowerCase()]) {
        texts.add(t);
        for (let i = 1; i < t.length; i++) {
          texts.add(t.slice(0, i));
          texts.add(t.slice(i));
          texts.add(`requests ${t.slice(i)} 1.0`);
        }
      }
    }
    let rewritten = 0;
    for (const t of texts) {
      const full = redactAlways(t);
      if (full !== t) rewritten++;
      assert.equal(redactSecrets(t), full, JSON.stringify(t));
    }
    assert.ok(rewritten > 500, `the mutations include texts the passes rewrite (${rewritten})`);
  });
});
