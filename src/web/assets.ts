import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/**
 * The dashboard's files, all served by us (no CDN): the page's own ES modules and stylesheet from
 * src/web/assets/, uPlot from node_modules. Plain JavaScript modules rather than TypeScript stripped at start-up:
 * the browser runs exactly the bytes in the repository, with no second compiler setting to keep in step and no
 * DOM types mixed into the server's type-check. Read once, compressed once (brotli and gzip), served under
 * `/assets/<hash of the whole set>/<file>` so a URL never changes content and can be cached for good, while
 * relative imports between the modules keep working.
 */

export interface Asset {
  type: string;
  raw: Buffer;
  gzip: Buffer;
  br: Buffer;
  etag: string;
}

export interface AssetSet {
  version: string;
  files: Map<string, Asset>;
}

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.svg': 'image/svg+xml', '.png': 'image/png' };

let loaded: AssetSet | undefined;

export function assets(): AssetSet {
  if (loaded) return loaded;
  const dir = path.join(import.meta.dirname, 'assets');
  const require = createRequire(import.meta.url);
  const sources = new Map<string, string>(readdirSync(dir).filter((f) => TYPES[path.extname(f)]).map((f) => [f, path.join(dir, f)]));
  // uPlot's ES module build and its stylesheet (the package has no `exports` map; these are its dist files).
  const uplot = path.dirname(require.resolve('uplot/dist/uPlot.esm.js'));
  sources.set('uplot.js', path.join(uplot, 'uPlot.esm.js'));
  sources.set('uplot.css', path.join(uplot, 'uPlot.min.css'));
  const files = new Map<string, Asset>();
  const all = createHash('sha256');
  for (const [name, file] of [...sources].sort(([a], [b]) => (a < b ? -1 : 1))) {
    const raw = readFileSync(file);
    all.update(`${name}\0`).update(raw);
    files.set(name, {
      type: TYPES[path.extname(name)]!,
      raw,
      gzip: gzipSync(raw, { level: 9 }),
      br: brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } }),
      etag: `"${createHash('sha256').update(raw).digest('base64url').slice(0, 27)}"`,
    });
  }
  loaded = { version: all.digest('hex').slice(0, 16), files };
  return loaded;
}

/** The best encoding the client accepts: brotli, else gzip, else none. */
export function pickEncoding(acceptEncoding: string | undefined): 'br' | 'gzip' | undefined {
  const accepted = new Map<string, number>();
  for (const part of (acceptEncoding ?? '').split(',')) {
    const [name, ...params] = part.trim().toLowerCase().split(';');
    if (!name) continue;
    const q = params.map((p) => /^\s*q=([\d.]+)\s*$/.exec(p)?.[1]).find((x) => x !== undefined);
    accepted.set(name, q === undefined ? 1 : Number(q));
  }
  const ok = (n: string): boolean => (accepted.get(n) ?? accepted.get('*') ?? 0) > 0;
  return ok('br') ? 'br' : ok('gzip') ? 'gzip' : undefined;
}
