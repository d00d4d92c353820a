import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { pickEncoding } from '../../src/web/assets.ts';
import { parseCodeowners } from '../../src/web/owners.ts';
import { escapeHtml, PAGE_CSP, signInHtml } from '../../src/web/pages.ts';
import { cookieValue, sessionCookie } from '../../src/web/sessions.ts';

// The dashboard's small server-side pieces; the whole is tested in a browser (dashboard.test.ts).
describe('dashboard parts', () => {
  it('picks brotli, else gzip, honouring q=0', () => {
    assert.equal(pickEncoding('gzip, deflate, br'), 'br');
    assert.equal(pickEncoding('gzip'), 'gzip');
    assert.equal(pickEncoding('br;q=0, gzip;q=0.5'), 'gzip');
    assert.equal(pickEncoding('*'), 'br');
    assert.equal(pickEncoding('identity'), undefined);
    assert.equal(pickEncoding(undefined), undefined);
  });

  it('reads the owners of the last catch-all CODEOWNERS rule', () => {
    assert.deepEqual(parseCodeowners('# comment\n* @zed @alice\n/docs/ @writers\n'), ['alice', 'zed']);
    assert.deepEqual(parseCodeowners('* @a\n*.js @js\n* @b @org/team # later wins\n'), ['b', 'org/team']);
    assert.deepEqual(parseCodeowners('/src/ @x\n'), []);
  });

  it('escapes the sign-in message and keeps scripts out of the page', () => {
    const html = signInHtml('<script>alert(1)</script> & "x"');
    assert.ok(html.includes('&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;'));
    assert.doesNotMatch(html, /<script/);
    assert.equal(escapeHtml(`'`), '&#39;');
    assert.doesNotMatch(PAGE_CSP, /unsafe/);
  });

  it('parses the session cookie and writes its flags', () => {
    assert.equal(cookieValue('a=1; dw_session=abc.def; b=2', 'dw_session'), 'abc.def');
    assert.equal(cookieValue('xdw_session=1', 'dw_session'), undefined);
    assert.equal(cookieValue(undefined, 'dw_session'), undefined);
    assert.match(sessionCookie('v', true, '2030-01-01T00:00:00Z'), /^dw_session=v; Path=\/; HttpOnly; SameSite=Strict; Secure; Expires=Tue, 01 Jan 2030 00:00:00 GMT$/);
    assert.equal(sessionCookie(null, false), 'dw_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0');
  });
});
