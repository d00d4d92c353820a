import { createHash } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync, strToU8, zipSync } from 'fflate';
import type { ReleaseFile } from '../../src/model/update.ts';

/**
 * A package index on 127.0.0.1 for tests that run the real `poetry` and `npm`: a PEP 503 simple index with
 * generated wheels, and an npm registry with packuments and real .tgz tarballs. Everything is built in memory
 * from the declared packages, deterministically (fixed timestamps), so hashes are stable across runs.
 */
export interface PyDist {
  name: string;
  version: string;
  requiresDist?: string[];
  requiresPython?: string;
}

export interface NpmDist {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  peerDependencies?: Record<string, string>;
  /** Packument `repository` (the source repository a monorepo's packages share). */
  repository?: string;
}

interface Served {
  bytes: Uint8Array;
  type: string;
}

export interface PackageIndex {
  /** http://127.0.0.1:<port> */
  url: string;
  /** PEP 503 root, with a trailing slash: what pyproject's source url points at. */
  simpleUrl: string;
  /** npm registry root, with a trailing slash. */
  npmUrl: string;
  /** Every request path, in order (to show nothing else was asked for). */
  requests: string[];
  /** The files of one PyPI release as a datasource would report them. */
  pyFiles(name: string, version: string): ReleaseFile[];
  /** `dist` of one npm version as served. */
  npmDist(name: string, version: string): { tarball: string; integrity: string; shasum: string };
  close(): Promise<void>;
}

const normalize = (n: string): string => n.toLowerCase().replace(/[-_.]+/g, '-');
const sha256hex = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
const FIXED = new Date('2024-01-01T00:00:00Z');

/** A minimal valid wheel: METADATA (2.1), WHEEL, RECORD and one module. */
export function buildWheel(d: PyDist): { filename: string; bytes: Uint8Array } {
  const dist = d.name.replace(/[-_.]+/g, '_').toLowerCase();
  const info = `${dist}-${d.version}.dist-info`;
  const metadata = [
    'Metadata-Version: 2.1',
    `Name: ${d.name}`,
    `Version: ${d.version}`,
    `Summary: test package ${d.name}`,
    ...(d.requiresPython ? [`Requires-Python: ${d.requiresPython}`] : []),
    ...(d.requiresDist ?? []).map((r) => `Requires-Dist: ${r}`),
    '',
    '',
  ].join('\n');
  const wheel = 'Wheel-Version: 1.0\nGenerator: depwarden-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n';
  const files: Record<string, Uint8Array> = {
    [`${dist}/__init__.py`]: strToU8(`__version__ = "${d.version}"\n`),
    [`${info}/METADATA`]: strToU8(metadata),
    [`${info}/WHEEL`]: strToU8(wheel),
  };
  const record = Object.entries(files).map(([p, b]) => `${p},sha256=${createHash('sha256').update(b).digest('base64url')},${b.length}`);
  record.push(`${info}/RECORD,,`);
  files[`${info}/RECORD`] = strToU8(`${record.join('\n')}\n`);
  const zipped = zipSync(Object.fromEntries(Object.entries(files).map(([p, b]) => [p, [b, { mtime: FIXED }]])), { level: 6 });
  return { filename: `${dist}-${d.version}-py3-none-any.whl`, bytes: zipped };
}

/** One ustar entry (header + padded data). */
function tarEntry(name: string, data: Uint8Array): Uint8Array {
  const header = new Uint8Array(512);
  const put = (s: string, at: number, len: number): void => header.set(strToU8(s).subarray(0, len), at);
  const octal = (n: number, len: number): string => `${n.toString(8).padStart(len - 1, '0')}\0`;
  put(name, 0, 100);
  put(octal(0o644, 8), 100, 8);
  put(octal(0, 8), 108, 8);
  put(octal(0, 8), 116, 8);
  put(octal(data.length, 12), 124, 12);
  put(octal(Math.floor(FIXED.getTime() / 1000), 12), 136, 12);
  put('        ', 148, 8);
  put('0', 156, 1);
  put('ustar\0', 257, 6);
  put('00', 263, 2);
  let sum = 0;
  for (const b of header) sum += b;
  put(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8);
  const padded = new Uint8Array(512 + Math.ceil(data.length / 512) * 512);
  padded.set(header, 0);
  padded.set(data, 512);
  return padded;
}

/** An npm tarball: package/package.json in a gzip'd tar, as `npm pack` lays it out. */
export function buildNpmTarball(d: NpmDist): Uint8Array {
  const pkg = strToU8(`${JSON.stringify({ name: d.name, version: d.version, ...(d.dependencies ? { dependencies: d.dependencies } : {}), ...(d.peerDependencies ? { peerDependencies: d.peerDependencies } : {}) }, null, 2)}\n`);
  const entry = tarEntry('package/package.json', pkg);
  const tar = new Uint8Array(entry.length + 1024);
  tar.set(entry, 0);
  return gzipSync(tar, { level: 6, mtime: FIXED });
}

export async function startPackageIndex(decl: { python?: PyDist[]; npm?: NpmDist[] }): Promise<PackageIndex> {
  const files = new Map<string, Served>();
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    const u = new URL(req.url ?? '/', 'http://127.0.0.1');
    requests.push(u.pathname);
    const hit = files.get(decodeURIComponent(u.pathname)) ?? files.get(u.pathname);
    if (!hit) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
      return;
    }
    res.writeHead(200, { 'content-type': hit.type, 'content-length': hit.bytes.length }).end(hit.bytes);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  // PEP 503: /simple/ lists projects, /simple/<normalized>/ lists files with #sha256= fragments.
  const pyFiles = new Map<string, ReleaseFile[]>();
  const byProject = new Map<string, { filename: string; hash: string; requiresPython?: string }[]>();
  for (const d of decl.python ?? []) {
    const w = buildWheel(d);
    const hash = sha256hex(w.bytes);
    files.set(`/files/${w.filename}`, { bytes: w.bytes, type: 'application/octet-stream' });
    const list = byProject.get(normalize(d.name)) ?? [];
    list.push({ filename: w.filename, hash, ...(d.requiresPython ? { requiresPython: d.requiresPython } : {}) });
    byProject.set(normalize(d.name), list);
    pyFiles.set(`${normalize(d.name)}@${d.version}`, [{ filename: w.filename, url: `${url}/files/${w.filename}`, hashes: [`sha256:${hash}`], ...(d.requiresPython ? { requiresPython: d.requiresPython } : {}) }]);
  }
  const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
  const html = (body: string): Served => ({ bytes: strToU8(`<!DOCTYPE html>\n<html><body>\n${body}</body></html>\n`), type: 'text/html' });
  files.set('/simple/', html([...byProject.keys()].map((n) => `<a href="/simple/${n}/">${n}</a>\n`).join('')));
  for (const [n, list] of byProject) {
    files.set(`/simple/${n}/`, html(list.map((f) => `<a href="/files/${f.filename}#sha256=${f.hash}"${f.requiresPython ? ` data-requires-python="${esc(f.requiresPython)}"` : ''}>${f.filename}</a><br/>\n`).join('')));
  }

  // npm: packuments at /npm/<name> (scoped names also as @scope%2fname), tarballs under /npm/<name>/-/.
  const npmDists = new Map<string, { tarball: string; integrity: string; shasum: string }>();
  const packuments = new Map<string, { name: string; 'dist-tags': Record<string, string>; versions: Record<string, unknown>; time: Record<string, string>; repository?: string }>();
  for (const d of decl.npm ?? []) {
    const tgz = buildNpmTarball(d);
    const base = d.name.split('/').pop()!;
    const path = `/npm/${d.name}/-/${base}-${d.version}.tgz`;
    files.set(path, { bytes: tgz, type: 'application/octet-stream' });
    const dist = { tarball: `${url}${path}`, integrity: `sha512-${createHash('sha512').update(tgz).digest('base64')}`, shasum: createHash('sha1').update(tgz).digest('hex') };
    npmDists.set(`${d.name}@${d.version}`, dist);
    const p = packuments.get(d.name) ?? { name: d.name, 'dist-tags': {}, versions: {}, time: {} };
    p.versions[d.version] = { name: d.name, version: d.version, ...(d.dependencies ? { dependencies: d.dependencies } : {}), ...(d.peerDependencies ? { peerDependencies: d.peerDependencies } : {}), dist };
    if (d.repository) p.repository = d.repository;
    p.time[d.version] = FIXED.toISOString();
    p['dist-tags'].latest = d.version; // declared in ascending order by the tests
    packuments.set(d.name, p);
  }
  for (const [name, p] of packuments) {
    const body: Served = { bytes: strToU8(JSON.stringify(p)), type: 'application/json' };
    files.set(`/npm/${name}`, body);
    if (name.startsWith('@')) files.set(`/npm/${name.replace('/', '%2f')}`, body);
  }

  return {
    url,
    simpleUrl: `${url}/simple/`,
    npmUrl: `${url}/npm/`,
    requests,
    pyFiles: (name, version) => pyFiles.get(`${normalize(name)}@${version}`) ?? [],
    npmDist: (name, version) => {
      const d = npmDists.get(`${name}@${version}`);
      if (!d) throw new Error(`no npm dist ${name}@${version}`);
      return d;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((e) => (e ? reject(e) : resolve()));
      }),
  };
}
