import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { type StandIn, startStandIn } from '../helpers/registry-stand-in.ts';
import { runCli } from '../helpers/run-cli.ts';
import { writeTree } from '../helpers/temp-tree.ts';

/**
 * Issue 11.9: `update --publish github` checks the remote and the token before any work (no lookup, no branch),
 * and a git failure keeps git's own first error line.
 */
const git = (cwd: string, ...args: string[]): string => execFileSync('git', ['-C', cwd, ...args], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();

describe('update --publish github: pre-checks before any work', () => {
  let registry: StandIn;
  let github: StandIn;
  let repo: string;
  let remote: string;
  let tokenState: 'ok' | 'refused' | 'read-only' = 'ok';
  before(async () => {
    registry = await startStandIn(() => ({ body: { info: { name: 'pkg' }, releases: { '1.0.0': [], '1.1.0': [] } } }));
    github = await startStandIn((req) => {
      if (req.url === '/repos/acme/fleet') {
        if (tokenState === 'refused') return { status: 401, body: { message: 'Bad credentials' } };
        return { body: { full_name: 'acme/fleet', permissions: { admin: false, push: tokenState === 'ok', pull: true } } };
      }
      return undefined;
    });
    remote = mkdtempSync(path.join(tmpdir(), 'dw-pre-remote-'));
    git(remote, 'init', '-q', '--bare', '-b', 'main');
    repo = writeTree({ 'svc/requirements.txt': 'pkg==1.0.0\n', 'depwarden.yaml': `updates:\n  minimumReleaseAgeDays: 0\n  registries:\n    pypi: ${registry.url}/pypi\n    github: ${github.url}\n` });
    git(repo, 'init', '-q', '-b', 'main');
    git(repo, 'add', '-A');
    git(repo, '-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-q', '-m', 'init');
    git(repo, 'remote', 'add', 'origin', remote);
    git(repo, 'remote', 'add', 'gone', path.join(tmpdir(), 'dw-no-such-remote-dir'));
  });
  after(async () => {
    await registry.close();
    await github.close();
    rmSync(remote, { recursive: true, force: true });
    rmSync(repo, { recursive: true, force: true });
  });
  const update = (extra: string[], env: NodeJS.ProcessEnv = { GITHUB_TOKEN: 'ghs_pre_secret' }) => runCli(['update', repo, '--publish', 'github', '--github-repo', 'acme/fleet', '--force', ...extra], { env: { ...env, PATH: process.env.PATH } });
  const nothingDone = (): void => {
    assert.equal(registry.requests.length, 0, 'no registry lookup');
    assert.equal(git(repo, 'branch', '--list', 'depwarden/*'), '', 'no branch');
  };

  it('a remote that does not exist: exit 6 naming it, before any lookup', async () => {
    const r = await update(['--remote', 'nowhere']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /^depwarden: git remote: no remote named "nowhere" in .* — /m);
    nothingDone();
  });

  it("a remote that cannot be read: exit 6 with git's own first error line", async () => {
    const r = await update(['--remote', 'gone']);
    assert.equal(r.code, 6, r.stderr);
    assert.match(r.stderr, /^depwarden: git ls-remote: fatal: '[^']*dw-no-such-remote-dir' does not appear to be a git repository .*— check the remote/m);
    nothingDone();
  });

  it('no token, a refused token, a token that may not push: exit 5 saying which, before any lookup; the token never printed', async () => {
    const none = await update([], {});
    assert.equal(none.code, 5, none.stderr);
    assert.match(none.stderr, /GITHUB_TOKEN is not set; publishing needs a token that may push branches and open pull requests in acme\/fleet — /);
    tokenState = 'refused';
    const refused = await update([]);
    assert.equal(refused.code, 5, refused.stderr);
    assert.match(refused.stderr, /the token was refused \(expired or revoked\?\): HTTP 401 Bad credentials/);
    tokenState = 'read-only';
    const ro = await update([]);
    assert.equal(ro.code, 5, ro.stderr);
    assert.match(ro.stderr, /the token may not push to acme\/fleet/);
    assert.doesNotMatch(none.stderr + refused.stderr + ro.stderr, /ghs_pre_secret/);
    nothingDone();
    tokenState = 'ok';
  });
});
