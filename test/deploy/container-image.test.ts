import assert from 'node:assert/strict';
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, realpathSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { TOOL_VERSION } from '../../src/cli/version.ts';
import { needTool } from '../helpers/system-tool.ts';

/**
 * deploy/Dockerfile, built and run for real. No registry can be reached here, so the base is made from this
 * machine's files and passed as the BASE build argument (the committed default stays the digest-pinned official
 * image): the pinned Node binary and the libraries `ldd` lists, git and its libraries, busybox-static for the shell
 * tools, a `node` user, and the production node_modules of this checkout (installed from the same lock) where the
 * Dockerfile's `npm ci` would put them. Everything after the base is the Dockerfile's own steps.
 */
const ROOT = path.resolve(new URL('../..', import.meta.url).pathname);
const skip = needTool('docker', 'apt-get install -y docker.io and start dockerd (.ci/run does)', ['info']);
const id = `${process.pid}-${Date.now()}`;
const BASE = `depwarden-test/image-base:${id}`;
const IMAGE = `depwarden-test/depwarden:${id}`;

function libsOf(bin: string): string[] {
  const out = execFileSync('ldd', [bin], { encoding: 'utf8' });
  return [...out.matchAll(/(\/\S+\.so[^\s]*)/g)].map((m) => m[1]!);
}

/** The production packages of package-lock.json (not dev), without the `node` runtime package: the base has Node. */
function productionModules(): string[] {
  const lock = JSON.parse(readFileSync(path.join(ROOT, 'package-lock.json'), 'utf8')) as { packages: Record<string, { dev?: boolean; link?: boolean }> };
  return Object.entries(lock.packages)
    .filter(([k, v]) => k && !v.dev && !v.link && !/^node_modules\/node(-bin-setup)?(\/|$)/.test(k))
    .map(([k]) => k)
    .filter((k, _i, all) => !all.some((p) => p !== k && k.startsWith(`${p}/`)))
    .sort();
}

function buildBase(dir: string): void {
  const rootfs = path.join(dir, 'rootfs');
  const put = (src: string, dest = src): void => {
    mkdirSync(path.join(rootfs, path.dirname(dest)), { recursive: true });
    copyFileSync(realpathSync(src), path.join(rootfs, dest));
  };
  for (const d of ['bin', 'usr/bin', 'usr/local/bin', 'etc', 'tmp', 'opt/depwarden']) mkdirSync(path.join(rootfs, d), { recursive: true });
  const node = realpathSync(path.join(ROOT, 'node_modules/node/bin/node'));
  put(node, '/usr/local/bin/node');
  put('/usr/bin/git');
  for (const lib of new Set([...libsOf(node), ...libsOf('/usr/bin/git')])) put(lib);
  const busybox = ['/bin/busybox', '/usr/bin/busybox'].find((b) => spawnSync(b, ['true']).status === 0)!;
  put(busybox, '/bin/busybox');
  for (const c of ['sh', 'ln', 'mkdir', 'chown', 'id', 'ls', 'cat', 'rm', '[']) symlinkSync('busybox', path.join(rootfs, 'bin', c));
  symlinkSync('/bin/busybox', path.join(rootfs, 'usr/bin/env'));
  writeFileSync(path.join(rootfs, 'etc/passwd'), 'root:x:0:0:root:/root:/bin/sh\nnode:x:1000:1000::/home/node:/bin/sh\n');
  writeFileSync(path.join(rootfs, 'etc/group'), 'root:x:0:\nnode:x:1000:\n');
  const list = path.join(dir, 'modules.txt');
  writeFileSync(list, `${productionModules().join('\n')}\n`);
  const tar = path.join(dir, 'base.tar');
  execFileSync('tar', ['-cf', tar, '-C', rootfs, '.']);
  execFileSync('tar', ['-rf', tar, '-C', ROOT, '--transform', 's,^node_modules,opt/depwarden/node_modules,', '-T', list]);
  execFileSync('docker', ['import', '--change', 'ENV PATH=/usr/local/bin:/usr/bin:/bin', tar, BASE], { stdio: 'ignore' });
}

describe('container image (deploy/Dockerfile)', { skip }, () => {
  let tmp: string;
  before(() => {
    tmp = mkdtempSync(path.join(tmpdir(), 'dw-image-'));
    buildBase(tmp);
    const r = spawnSync('docker', ['build', '-q', '-f', 'deploy/Dockerfile', '--build-arg', `BASE=${BASE}`, '-t', IMAGE, '.'], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
    assert.equal(r.status, 0, `docker build failed: ${r.stderr}`);
  });
  after(() => {
    spawnSync('docker', ['rmi', '-f', IMAGE, BASE], { stdio: 'ignore' });
    rmSync(tmp, { recursive: true, force: true });
  });

  it('the committed default base is the official Node image pinned by digest', () => {
    const text = readFileSync(path.join(ROOT, 'deploy/Dockerfile'), 'utf8');
    assert.match(text, /^ARG BASE=node:24-bookworm-slim@sha256:[0-9a-f]{64}$/m);
    assert.match(text, /^FROM \$\{BASE\}$/m);
  });

  it('runs as a non-root user, depwarden is the entrypoint, serve the default command', () => {
    const cfg = JSON.parse(execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config}}', IMAGE], { encoding: 'utf8' })) as { User: string; Entrypoint: string[]; Cmd: string[] };
    assert.equal(cfg.User, 'node');
    assert.deepEqual(cfg.Entrypoint, ['depwarden']);
    assert.equal(cfg.Cmd[0], 'serve');
    assert.equal(execFileSync('docker', ['run', '--rm', '--entrypoint', 'id', IMAGE, '-u'], { encoding: 'utf8' }).trim(), '1000');
  });

  it('--version, and check on a mounted corpus repository', () => {
    assert.equal(execFileSync('docker', ['run', '--rm', IMAGE, '--version'], { encoding: 'utf8' }).trim(), TOOL_VERSION);
    const corpus = realpathSync(path.join(ROOT, '../shared/corpus/npm/tj__commander.js'));
    const r = spawnSync('docker', ['run', '--rm', '--read-only', '--tmpfs', '/tmp', '-v', `${corpus}:/repo:ro`, IMAGE, 'check', '/repo', '--format', 'json', '--fail-on', 'critical'], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    const report = JSON.parse(r.stdout) as { findings: { ruleId: string }[] };
    assert.ok(report.findings.length > 0, "the corpus repository has findings (DW001)");
    // The same findings as the checkout's own CLI on the same repository.
    const local = spawnSync(path.join(ROOT, 'node_modules/.bin/node'), [path.join(ROOT, 'bin/depwarden.js'), 'check', corpus, '--format', 'json', '--fail-on', 'critical'], { encoding: 'utf8', env: { ...process.env, DEPWARDEN_HOME: path.join(tmp, 'home') } });
    assert.deepEqual(report.findings.map((f) => f.ruleId).sort(), (JSON.parse(local.stdout) as { findings: { ruleId: string }[] }).findings.map((f) => f.ruleId).sort());
  });
});
