import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync, symlinkSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { TestContext } from 'node:test';

/**
 * The real engine for deploy tests: Docker (Debian's docker.io) in a swarm, HAProxy, busybox-static, and
 * Prometheus for the PromQL gate. Outside CI a missing tool skips with the install command; under CI=true it fails.
 */
export const INSTALL = 'apt-get install -y docker.io busybox-static haproxy prometheus (and start dockerd; .ci/run does)';

function ok(cmd: string, args: string[]): boolean {
  try {
    execFileSync(cmd, args, { stdio: 'ignore', timeout: 20_000 });
    return true;
  } catch {
    return false;
  }
}

export function engineMissing(): string | undefined {
  if (!ok('docker', ['info'])) return 'docker (a running daemon)';
  if (!ok('haproxy', ['-v'])) return 'haproxy';
  if (!existsSync('/bin/busybox') && !existsSync('/usr/bin/busybox')) return 'busybox-static';
  const swarm = execFileSync('docker', ['info', '--format', '{{.Swarm.LocalNodeState}}'], { encoding: 'utf8' }).trim();
  if (swarm !== 'active') return 'an active swarm (docker swarm init --advertise-addr 127.0.0.1)';
  return undefined;
}

/** Skips (or fails under CI) when the engine is not there; true when the test may go on. */
export function needEngine(t: TestContext): boolean {
  const missing = engineMissing();
  if (!missing) return true;
  if (process.env.CI === 'true') throw new Error(`deploy tests need ${missing}: ${INSTALL}`);
  t.skip(`needs ${missing}: ${INSTALL}`);
  return false;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as net.AddressInfo).port;
      s.close(() => resolve(p));
    });
    s.on('error', reject);
  });
}

const BASE = 'depwarden-test/busybox:base2';
const busybox = existsSync('/bin/busybox') ? '/bin/busybox' : '/usr/bin/busybox';

/**
 * A 1 MB image from a root filesystem holding busybox-static: `httpd` serves /cgi-bin/health and /cgi-bin/page,
 * whose status codes the build args HEALTH and PAGE decide, and the page names VERSION. Built locally (no pull):
 * `docker import` of the rootfs tar, then `docker build` on top. Returns the image ID (its content digest).
 */
export function buildImage(version: string, opts: { health?: number; page?: number } = {}): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-img-'));
  if (!ok('docker', ['image', 'inspect', BASE])) {
    const rootfs = path.join(dir, 'rootfs');
    for (const d of ['bin', 'www/cgi-bin', 'etc', 'tmp']) mkdirSync(path.join(rootfs, d), { recursive: true });
    execFileSync('cp', [busybox, path.join(rootfs, 'bin', 'busybox')]);
    for (const c of ['sh', 'httpd', 'printf', 'cat', 'sleep', 'wget']) symlinkSync('busybox', path.join(rootfs, 'bin', c));
    execFileSync('tar', ['-C', rootfs, '-cf', path.join(dir, 'rootfs.tar'), '.']);
    execFileSync('docker', ['import', path.join(dir, 'rootfs.tar'), BASE], { stdio: 'ignore' });
  }
  writeFileSync(
    path.join(dir, 'Dockerfile'),
    [
      `FROM ${BASE}`,
      'ARG HEALTH=200',
      'ARG PAGE=200',
      'ARG VERSION=v1',
      `RUN printf '#!/bin/sh\\nprintf "Status: %s\\\\r\\\\nContent-Type: text/plain\\\\r\\\\n\\\\r\\\\nhealth\\\\n"\\n' "$HEALTH" > /www/cgi-bin/health && printf '#!/bin/sh\\nprintf "Status: %s\\\\r\\\\nContent-Type: text/plain\\\\r\\\\n\\\\r\\\\n%s\\\\n"\\n' "$PAGE" "$VERSION" > /www/cgi-bin/page && chmod +x /www/cgi-bin/health /www/cgi-bin/page`,
      'CMD ["/bin/httpd", "-f", "-p", "8080", "-h", "/www"]',
      '',
    ].join('\n'),
  );
  const tag = `depwarden-test/app:${version}`;
  execFileSync('docker', ['build', '-q', '--build-arg', `VERSION=${version}`, '--build-arg', `HEALTH=${opts.health ?? 200}`, '--build-arg', `PAGE=${opts.page ?? 200}`, '-t', tag, dir], { stdio: 'ignore', env: { ...process.env, DOCKER_BUILDKIT: '0' } });
  return execFileSync('docker', ['image', 'inspect', '--format', '{{.Id}}', tag], { encoding: 'utf8' }).trim();
}

export interface LoadResult {
  sent: number;
  failed: number;
  /** status (0: no answer) → count */
  statuses: Record<string, number>;
  /** Bodies seen (the versions that answered). */
  bodies: Record<string, number>;
}

/**
 * A bounded loopback load: `count` GETs at `ratePerSec`, each with a 2 s deadline; stops by itself. A request
 * failed when it got no answer or a status other than 200.
 */
export function startLoad(url: string, count: number, ratePerSec: number): { done: Promise<LoadResult>; stop: () => void } {
  const r: LoadResult = { sent: 0, failed: 0, statuses: {}, bodies: {} };
  const pending: Promise<void>[] = [];
  let stopped = false;
  const done = (async () => {
    const gap = 1000 / ratePerSec;
    const t0 = Date.now();
    for (let i = 0; i < count && !stopped; i++) {
      const wait = t0 + i * gap - Date.now();
      if (wait > 0) await new Promise((res) => setTimeout(res, wait));
      r.sent++;
      pending.push(
        fetch(url, { signal: AbortSignal.timeout(2000) })
          .then(async (res) => {
            const body = (await res.text()).trim();
            r.statuses[res.status] = (r.statuses[res.status] ?? 0) + 1;
            r.bodies[body.slice(0, 20)] = (r.bodies[body.slice(0, 20)] ?? 0) + 1;
            if (res.status !== 200) r.failed++;
          })
          .catch(() => {
            r.statuses['0'] = (r.statuses['0'] ?? 0) + 1;
            r.failed++;
          }),
      );
    }
    await Promise.all(pending);
    return r;
  })();
  return { done, stop: () => void (stopped = true) };
}

export function docker(...args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim();
}

export function removeServices(prefix: string): void {
  const ids = docker('service', 'ls', '-q', '--filter', `label=depwarden.service`, '--format', '{{.Name}}').split('\n').filter((n) => n.startsWith(prefix));
  if (ids.length) docker('service', 'rm', ...ids);
}

/** A real git repository with a depwarden.yaml, for the CLI to run in. */
export function makeRepo(yaml: string): string {
  const root = mkdtempSync(path.join(tmpdir(), 'dw-dep-'));
  writeFileSync(path.join(root, 'depwarden.yaml'), yaml);
  const git = (...a: string[]) => execFileSync('git', ['-C', root, ...a], { stdio: 'ignore' });
  git('init', '-q', '-b', 'main');
  git('-c', 'user.email=t@t', '-c', 'user.name=t', 'add', '.');
  git('-c', 'user.email=t@t', '-c', 'user.name=t', 'commit', '-q', '-m', 'init');
  return root;
}

/** Prometheus (Debian's) on loopback scraping `targets` every second; stopped by the returned function. */
export async function startPrometheus(targets: string[]): Promise<{ url: string; stop: () => void } | undefined> {
  if (!ok('prometheus', ['--version'])) return undefined;
  const dir = mkdtempSync(path.join(tmpdir(), 'dw-prom-'));
  const port = await freePort();
  writeFileSync(path.join(dir, 'prometheus.yml'), `global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\nscrape_configs:\n  - job_name: front\n    static_configs:\n      - targets: [${targets.map((t) => `'${t}'`).join(', ')}]\n`);
  const p: ChildProcess = spawn('prometheus', [`--config.file=${path.join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${path.join(dir, 'data')}`, `--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
  const url = `http://127.0.0.1:${port}`;
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${url}/-/ready`)).ok) break;
    } catch {
      /* starting */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return { url, stop: () => void p.kill('SIGTERM') };
}
