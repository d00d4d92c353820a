import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

const COMPOSE = `services:
  web:
    build: ./web
    image: acme/web
  postgres:
    image: postgres:16
  redis:
    image: redis
`;

describe('compose-only images are attributed to their own compose service everywhere (issue 11.11)', () => {
  const d = writeTree({ 'docker-compose.yml': COMPOSE, 'web/Dockerfile': 'FROM python:3.12-slim@sha256:' + 'c'.repeat(64) + '\n' }, mkdtempSync(path.join(tmpdir(), 'dw-attr-')));
  after(() => rmSync(d, { recursive: true, force: true }));

  it('scan shows postgres and redis as services of their own', async () => {
    const scan = JSON.parse((await runCli(['scan', d, '--format', 'json'])).stdout) as { services: { name: string }[] };
    assert.deepEqual(scan.services.map((s) => s.name).sort(), ['postgres', 'redis', 'web']);
  });

  it('check JSON, SARIF and markdown name the same services', async () => {
    const json = JSON.parse((await runCli(['check', d, '--format', 'json'])).stdout) as { findings: { ruleId: string; subject: string; service?: string }[] };
    const byImage = Object.fromEntries(json.findings.filter((f) => f.ruleId === 'DW006' || f.ruleId === 'DW007').map((f) => [f.subject, f.service]));
    assert.deepEqual(byImage, { 'postgres:16': 'postgres', redis: 'redis' });
    const sarif = JSON.parse((await runCli(['check', d, '--format', 'sarif'])).stdout) as { runs: { results: { ruleId: string; properties: { service?: string } }[] }[] };
    assert.deepEqual(sarif.runs[0]!.results.filter((r) => r.ruleId === 'DW006' || r.ruleId === 'DW007').map((r) => r.properties.service).sort(), ['postgres', 'redis']);
    const md = (await runCli(['check', d, '--format', 'markdown'])).stdout;
    assert.match(md, /\| DW006 \| postgres \|/);
    assert.match(md, /\| DW007 \| redis \|/);
  });
});
