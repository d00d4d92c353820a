import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { classifyError } from '../../src/cli/errors.ts';
import { EXIT } from '../../src/cli/context.ts';
import { HttpError } from '../../src/http/client.ts';
import { GitError } from '../../src/publish/git.ts';

/** Issue 11.8: environment failures are recognised by type and code, one line each; anything else stays a bug. */
const errno = (code: string, extra: Record<string, unknown> = {}): Error => Object.assign(new Error(`${code}: something`), { code, ...extra });

describe('classifyError', () => {
  it('permission: EACCES, EPERM and EROFS with the path and the syscall (exit 8)', () => {
    for (const code of ['EACCES', 'EPERM', 'EROFS']) {
      const c = classifyError(errno(code, { syscall: 'open', path: '/srv/repo/.depwarden/state' }), {});
      assert.equal(c?.code, EXIT.permission, code);
      assert.equal(c?.message, `permission denied: open /srv/repo/.depwarden/state (${code}) — give the user running depwarden access to it, or run it where it may write`);
    }
  });

  it('network: our HttpError, a socket errno, an undici code in the cause chain, a timeout (exit 5)', () => {
    assert.equal(classifyError(new HttpError('GET https://pypi.org/pypi/x/json failed after 1 attempt: fetch failed (getaddrinfo ENOTFOUND pypi.org)', undefined, { host: 'pypi.org', transport: 'ENOTFOUND' }), {})?.code, EXIT.network);
    assert.match(classifyError(new HttpError('GET https://api.github.com/x: HTTP 401', 401), {})!.message, /— check the token or credentials configured for this host$/);
    assert.equal(classifyError(errno('ECONNREFUSED', { syscall: 'connect', address: '10.0.0.1', port: 443 }), {})?.code, EXIT.network);
    assert.equal(classifyError(new TypeError('fetch failed', { cause: errno('UND_ERR_CONNECT_TIMEOUT') }), {})?.code, EXIT.network);
    assert.equal(classifyError(Object.assign(new Error('The operation was aborted due to timeout'), { name: 'TimeoutError' }), {})?.code, EXIT.network);
    assert.equal(classifyError(new Error('POST https://api.github.com/repos/a/b/statuses/0abc: HTTP 403'), {})?.code, EXIT.network);
  });

  it('store: a pg SQLSTATE, a socket error at the DATABASE_URL address, a full disk (exit 7); an integrity violation is a usage error', () => {
    const missing = Object.assign(new Error('database "fleet" does not exist'), { code: '3D000', severity: 'FATAL' });
    assert.deepEqual(classifyError(missing, { DATABASE_URL: 'postgres://u:pw@db:5432/fleet' }), { code: EXIT.store, message: 'database: database "fleet" does not exist (SQLSTATE 3D000) — create it (createdb fleet) or point DATABASE_URL at an existing database' });
    const refused = errno('ECONNREFUSED', { syscall: 'connect', address: '127.0.0.1', port: 6543 });
    assert.equal(classifyError(refused, { DATABASE_URL: 'postgres://u:pw@127.0.0.1:6543/x' })?.code, EXIT.store);
    assert.doesNotMatch(classifyError(refused, { DATABASE_URL: 'postgres://u:pw@127.0.0.1:6543/x' })!.message, /pw/);
    assert.equal(classifyError(refused, { DATABASE_URL: 'postgres://u@127.0.0.1:5432/x' })?.code, EXIT.network, 'another port is not the database');
    assert.equal(classifyError(errno('ENOSPC', { syscall: 'write' }), {})?.code, EXIT.store);
    const dup = Object.assign(new Error('duplicate key value violates unique constraint "changes_pkey"'), { code: '23505', severity: 'ERROR', detail: 'Key (id)=(c1) already exists.' });
    assert.deepEqual(classifyError(dup, {}), { code: EXIT.usage, message: 'Key (id)=(c1) already exists. — nothing was changed' });
  });

  it("git: GitError and a failed git child process, with git's first line and what to do (exit 6)", () => {
    assert.equal(classifyError(new GitError("git push: remote: denied (error: failed to push some refs to 'x')"), {})?.code, EXIT.git);
    const dir = mkdtempSync(path.join(tmpdir(), 'dw-nogit-'));
    let child: unknown;
    try {
      execFileSync('git', ['-C', dir, 'rev-parse', '--verify', 'HEAD^{commit}'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      child = e;
    }
    assert.deepEqual(classifyError(errno('ENOENT', { syscall: 'spawnSync git', path: 'git' }), {}), { code: EXIT.git, message: 'git: the program was not found — install it and make sure it is on PATH' });
    assert.deepEqual(classifyError(child, {}), { code: EXIT.git, message: 'git rev-parse: fatal: not a git repository (or any of the parent directories): .git — run it inside a git repository (or pass its path)' });
  });

  it('a missing input file is a usage error naming it; anything unrecognised stays undefined (exit 3: a bug)', () => {
    let enoent: unknown;
    try {
      readFileSync('/nonexistent/dw-input.json');
    } catch (e) {
      enoent = e;
    }
    assert.equal(classifyError(enoent, {})?.code, EXIT.usage);
    assert.equal(classifyError(new TypeError("Cannot read properties of undefined (reading 'x')"), {}), undefined);
    assert.equal(classifyError('a string', {}), undefined);
  });
});
