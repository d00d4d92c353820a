import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { simpleParser } from 'mailparser';
import { SMTPServer } from 'smtp-server';
import { openChannel } from '../../src/alerts/channels/index.ts';
import { DASHBOARD_MARKER } from '../../src/alerts/channels/github-issue.ts';
import { type AlertItem, messageOf } from '../../src/alerts/message.ts';
import { runCli } from '../helpers/run-cli.ts';
import { githubIssues } from './github-standin.ts';
import { startReceiver } from './receiver.ts';

/** A package name and advisory text built to inject markup in every format. */
const HOSTILE: AlertItem = {
  rule: 'vulnerability.new',
  severity: 'critical',
  title: 'GHSA-xxxx: <script>alert(1)</script> in pkg',
  text: 'Package `<img src=x onerror=alert(1)>` [click](https://evil.example) *bold* <!channel> & more',
  fields: { package: '<b>evil</b>|x', fixedIn: '1.2.3' },
  repo: 'fleet',
  service: 'api',
  owners: ['@team-<x>'],
  links: [{ title: 'advisory', url: 'https://osv.dev/GHSA-xxxx' }, { title: 'bad', url: 'javascript:alert(1)' }],
  dedupKey: 'vuln:fleet:api:GHSA-xxxx',
};
const message = messageOf('firing', 'vulnerability.new|GHSA-xxxx', [HOSTILE, { ...HOSTILE, service: 'web', dedupKey: 'vuln:fleet:web:GHSA-xxxx' }], '2026-12-07T10:00:00.000Z');
const ce = (env: NodeJS.ProcessEnv) => ({ env, timeoutMs: 5000, root: tmpdir() });

test('slack: Block Kit with mrkdwn-escaped text, one message for the group', async () => {
  const rec = await startReceiver();
  try {
    const r = await openChannel('s', { kind: 'slack', webhookUrlEnv: 'SLACK_URL' }, ce({ SLACK_URL: `${rec.url}/services/T000/B000/secretpart` })).send(message);
    assert.equal(r.ok, true, r.error);
    assert.equal(rec.requests.length, 1);
    assert.equal(rec.requests[0]!.url, '/services/T000/B000/secretpart');
    const body = JSON.parse(rec.requests[0]!.body) as { text: string; blocks: { type: string; text?: { type: string; text: string } }[] };
    assert.equal(body.blocks[0]!.type, 'header');
    assert.equal(body.blocks[0]!.text!.type, 'plain_text');
    assert.match(body.blocks[0]!.text!.text, /\(2 services\)/);
    const sections = body.blocks.filter((b) => b.type === 'section');
    assert.equal(sections.length, 1, 'the same advisory in two services: one entry listing both');
    const t = sections[0]!.text!.text;
    assert.match(t, /\*in 2:\* `fleet\/api` \(@team-&lt;x&gt;\), `fleet\/web` \(@team-&lt;x&gt;\)/);
    assert.equal(sections[0]!.text!.type, 'mrkdwn');
    assert.doesNotMatch(t, /<script>|<img|<!channel>|<b>/);
    assert.match(t, /&lt;script&gt;/);
    assert.match(t, /&lt;!channel&gt; &amp; more/);
    assert.match(t, /<https:\/\/osv\.dev\/GHSA-xxxx\|advisory>/);
    assert.doesNotMatch(t, /<javascript:/);
    assert.equal(body.blocks.at(-1)!.type, 'context');
  } finally {
    await rec.close();
  }
});

test('slack: a failure names the variable, never the webhook URL', async () => {
  const rec = await startReceiver([{ status: 404, body: 'no_service' }]);
  try {
    const r = await openChannel('s', { kind: 'slack', webhookUrlEnv: 'SLACK_URL' }, ce({ SLACK_URL: `${rec.url}/services/T000/B000/secretpart` })).send(message);
    assert.equal(r.ok, false);
    assert.equal(r.status, 404);
    assert.equal(r.permanent, true);
    assert.match(r.error!, /slack webhook \(\$SLACK_URL\): HTTP 404 no_service/);
    assert.doesNotMatch(r.error!, /secretpart/);
    const missing = await openChannel('s', { kind: 'slack', webhookUrlEnv: 'SLACK_URL' }, ce({})).send(message);
    assert.deepEqual(missing, { ok: false, permanent: true, error: 'environment variable SLACK_URL is not set' });
  } finally {
    await rec.close();
  }
});

test('teams: a message with one Adaptive Card, Markdown escaped, unsafe links dropped', async () => {
  const rec = await startReceiver([{ status: 202 }]);
  try {
    const r = await openChannel('t', { kind: 'teams', webhookUrlEnv: 'TEAMS_URL' }, ce({ TEAMS_URL: `${rec.url}/workflows/abc` })).send(message);
    assert.equal(r.ok, true, r.error);
    const body = JSON.parse(rec.requests[0]!.body) as { type: string; attachments: { contentType: string; content: { type: string; version: string; body: { type: string; text?: string }[]; actions?: { url: string }[] } }[] };
    assert.equal(body.type, 'message');
    assert.equal(body.attachments.length, 1);
    const card = body.attachments[0]!;
    assert.equal(card.contentType, 'application/vnd.microsoft.card.adaptive');
    assert.equal(card.content.type, 'AdaptiveCard');
    const texts = card.content.body.filter((b) => b.type === 'TextBlock').map((b) => b.text!).join('\n');
    assert.doesNotMatch(texts, /<script>|\[click\]\(https/);
    assert.match(texts, /\\\[click\\\]\(https:\/\/evil\.example\)/);
    assert.deepEqual(card.content.actions?.map((a) => a.url), ['https://osv.dev/GHSA-xxxx']);
    assert.ok(card.content.body.some((b) => b.type === 'FactSet'));
  } finally {
    await rec.close();
  }
});

test('webhook: JSON body signed with HMAC-SHA256 over "<t>.<body>" in X-Depwarden-Signature', async () => {
  const rec = await startReceiver([{ status: 204 }]);
  try {
    const before = Math.floor(Date.now() / 1000);
    const r = await openChannel('w', { kind: 'webhook', url: `${rec.url}/hook?k=1`, secretEnv: 'HOOK_SECRET' }, ce({ HOOK_SECRET: 's3cret' })).send(message);
    assert.equal(r.ok, true, r.error);
    const req = rec.requests[0]!;
    const sig = String(req.headers['x-depwarden-signature']);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(sig);
    assert.ok(m, sig);
    assert.ok(Number(m[1]) >= before && Number(m[1]) <= before + 5);
    // The receiver's recipe (docs/alerts.md): recompute over the raw body.
    assert.equal(m[2], createHmac('sha256', 's3cret').update(`${m[1]}.${req.body}`).digest('hex'));
    assert.notEqual(m[2], createHmac('sha256', 'other').update(`${m[1]}.${req.body}`).digest('hex'));
    const body = JSON.parse(req.body) as { version: number; status: string; groupKey: string; alerts: { dedupKey: string; title: string }[] };
    assert.equal(body.version, 1);
    assert.equal(body.status, 'firing');
    assert.equal(body.groupKey, 'vulnerability.new|GHSA-xxxx');
    assert.deepEqual(body.alerts.map((a) => a.dedupKey), ['vuln:fleet:api:GHSA-xxxx', 'vuln:fleet:web:GHSA-xxxx']);
    // JSON carries the text as data, unchanged.
    assert.equal(body.alerts[0]!.title, HOSTILE.title);
  } finally {
    await rec.close();
  }
});

test('github-issue: the dashboard issue is created once, then edited in place (found by its marker)', async () => {
  const gh = githubIssues('ghp_test', [{ number: 1, title: 'Dependency dashboard', body: 'a look-alike without the marker', state: 'open' }, { number: 2, title: 'pr', body: DASHBOARD_MARKER, state: 'open', pull_request: {} }]);
  const rec = await startReceiver(gh.handle);
  try {
    const ch = openChannel('d', { kind: 'github-issue', repo: 'acme/fleet', tokenEnv: 'GH_TOKEN', title: 'Dependency dashboard', apiUrl: rec.url }, ce({ GH_TOKEN: 'ghp_test' }));
    assert.equal((await ch.send(message)).ok, true);
    assert.equal(gh.issues.length, 3);
    const issue = gh.issues[2]!;
    assert.ok(issue.body.startsWith(DASHBOARD_MARKER));
    assert.match(issue.body, /## Open vulnerabilities/);
    assert.doesNotMatch(issue.body, /<script>|<img/);
    assert.match(issue.body, /&lt;script&gt;/);
    const second = messageOf('firing', 'build.failing|fleet', [{ rule: 'build.failing', severity: 'high', title: 'main failing', text: 'x', dedupKey: 'b', repo: 'fleet' }], '2026-12-07T11:00:00.000Z');
    assert.equal((await ch.send({ ...second, active: [...message.items, ...second.items] })).ok, true);
    assert.equal(gh.issues.length, 3, 'edited, not duplicated');
    assert.match(gh.issues[2]!.body, /main failing/);
    assert.match(gh.issues[2]!.body, /_Updated 2026-12-07T11:00:00.000Z by depwarden._/);
    assert.deepEqual(rec.requests.map((r) => r.method), ['GET', 'POST', 'GET', 'PATCH']);
    const bad = await openChannel('d', { kind: 'github-issue', repo: 'acme/fleet', tokenEnv: 'GH_TOKEN', title: 'x', apiUrl: rec.url }, ce({ GH_TOKEN: 'wrong' })).send(message);
    assert.equal(bad.ok, false);
    assert.equal(bad.status, 401);
  } finally {
    await rec.close();
  }
});

function selfSigned(): { key: string; cert: string; dir: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-smtp-'));
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1', '-keyout', path.join(dir, 'key.pem'), '-out', path.join(dir, 'cert.pem')], { stdio: 'ignore' });
  return { key: readFileSync(path.join(dir, 'key.pem'), 'utf8'), cert: readFileSync(path.join(dir, 'cert.pem'), 'utf8'), dir };
}

test('email: a real SMTP server receives text + HTML over STARTTLS with auth; HTML is escaped', async () => {
  const tls = selfSigned();
  const mails: { raw: Buffer; auth: string; secure: boolean }[] = [];
  const server = new SMTPServer({
    key: tls.key,
    cert: tls.cert,
    authMethods: ['PLAIN', 'LOGIN'],
    onAuth(auth, _s, cb) {
      if (auth.username === 'dw' && auth.password === 'pw') cb(null, { user: 'dw' });
      else cb(new Error('bad credentials'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({ raw: Buffer.concat(chunks), auth: String(session.user), secure: session.secure });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.server.address() as { port: number }).port;
  writeFileSync(path.join(tls.dir, 'ca.pem'), tls.cert);
  try {
    const cfg = { kind: 'email' as const, smtp: { host: '127.0.0.1', port, secure: false, starttls: true, caFile: path.join(tls.dir, 'ca.pem') }, userEnv: 'SMTP_USER', passwordEnv: 'SMTP_PASS', from: 'depwarden@example.com', to: ['ops@example.com'] };
    const r = await openChannel('mail', cfg, ce({ SMTP_USER: 'dw', SMTP_PASS: 'pw' })).send(message);
    assert.equal(r.ok, true, r.error);
    assert.equal(mails.length, 1);
    assert.equal(mails[0]!.secure, true, 'upgraded with STARTTLS');
    assert.equal(mails[0]!.auth, 'dw');
    const parsed = await simpleParser(mails[0]!.raw);
    assert.match(parsed.subject ?? '', /^\[depwarden critical\] GHSA-xxxx: <script>alert\(1\)<\/script> in pkg \(2 services\)$/);
    assert.match(parsed.text ?? '', /fleet\/api/);
    const html = String(parsed.html);
    assert.doesNotMatch(html, /<script>|<img|<b>evil/);
    assert.match(html, /&lt;script&gt;/);
    assert.match(html, /<a href="https:\/\/osv\.dev\/GHSA-xxxx">advisory<\/a>/);
    assert.doesNotMatch(html, /href="javascript/);
    const wrong = await openChannel('mail', cfg, ce({ SMTP_USER: 'dw', SMTP_PASS: 'nope' })).send(message);
    assert.equal(wrong.ok, false);
    assert.equal(wrong.permanent, true);
    assert.doesNotMatch(wrong.error!, /nope/);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('alerts test --channel: exit 0 only when the channel accepted (2xx), else one line and non-zero', async () => {
  const ok = await startReceiver([{ status: 200 }]);
  const down = await startReceiver([{ status: 500, body: 'boom' }]);
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-alerts-test-'));
  writeFileSync(path.join(dir, 'depwarden.yaml'), `alerts:\n  channels:\n    good:\n      kind: webhook\n      url: ${ok.url}/h\n      secretEnv: HOOK_SECRET\n    bad:\n      kind: webhook\n      url: ${down.url}/h\n      secretEnv: HOOK_SECRET\n`);
  try {
    const a = await runCli(['alerts', 'test', '--channel', 'good', '-C', dir], { env: { HOOK_SECRET: 'x' } });
    assert.equal(a.code, 0, a.stderr);
    assert.match(a.stdout, /good \(webhook\): accepted \(200\)/);
    assert.equal(JSON.parse(ok.requests[0]!.body).status, 'test');
    const b = await runCli(['alerts', 'test', '--channel', 'bad', '-C', dir], { env: { HOOK_SECRET: 'x' } });
    assert.equal(b.code, 5);
    assert.match(b.stderr, /^depwarden: bad \(webhook\) did not accept the message: .*HTTP 500.*\n$/);
    assert.equal(b.stderr.split('\n').length, 2);
    const c = await runCli(['alerts', 'test', '--channel', 'good', '-C', dir], { env: {} });
    assert.notEqual(c.code, 0);
    assert.match(c.stderr, /HOOK_SECRET is not set/);
    const d = await runCli(['alerts', 'test', '--channel', 'nope', '-C', dir], { env: {} });
    assert.equal(d.code, 2);
    assert.match(d.stderr, /no channel "nope" in alerts\.channels \(configured: bad, good\)/);
  } finally {
    await ok.close();
    await down.close();
  }
});
