// How many PyPI components of a real uv.lock (mozilla/kitsune, 282 locked packages; test/fixtures/formats/uv/kitsune)
// carry a licence in the SBOM before and after `--registry-licenses`. PyPI cannot be reached from this machine, so
// the stand-in registry answers with the core metadata of the Python distributions installed here (Debian's
// dist-info / egg-info: License-Expression, License, Classifier — the fields PyPI's JSON API serves as
// info.license_expression / license / classifiers), for the lock's names it has; every other release is a 404.
// The metadata is of the installed version, not always the locked one: this measures the pipeline and the
// normalisation on real metadata texts, not PyPI's current data.
// Run: node_modules/.bin/node bench/registry-licenses.ts [dist-packages dir]
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { main } from '../src/cli/main.ts';
import { licenseFromDeclared } from '../src/licenses/registry.ts';
import { normalizeLicense } from '../src/licenses/normalize.ts';
import { normalizePypiName } from '../src/util/names.ts';

const SITE = process.argv[2] ?? '/usr/lib/python3/dist-packages';
const here = path.dirname(new URL(import.meta.url).pathname);

/** Core metadata (RFC 822 headers) of one installed distribution: the licence fields. */
function coreMetadata(dir: string): { name: string; version: string; info: { license_expression?: string; license?: string; classifiers: string[] } } | undefined {
  const file = ['METADATA', 'PKG-INFO'].map((f) => path.join(dir, f)).find((f) => existsSync(f));
  if (!file) return undefined;
  const head = readFileSync(file, 'utf8').split(/\r?\n\r?\n/)[0]!;
  const fields: [string, string][] = [];
  for (const line of head.split(/\r?\n/)) {
    if (/^\s/.test(line) && fields.length) fields.at(-1)![1] += `\n${line.trim()}`;
    else {
      const m = /^([A-Za-z-]+):\s?(.*)$/.exec(line);
      if (m) fields.push([m[1]!.toLowerCase(), m[2]!]);
    }
  }
  const get = (k: string): string | undefined => fields.find(([n]) => n === k)?.[1];
  const name = get('name');
  const version = get('version');
  if (!name || !version) return undefined;
  const license = get('license');
  const expression = get('license-expression');
  return { name, version, info: { ...(expression ? { license_expression: expression } : {}), ...(license && license !== 'UNKNOWN' ? { license } : {}), classifiers: fields.filter(([n]) => n === 'classifier').map(([, v]) => v) } };
}

const installed = new Map<string, NonNullable<ReturnType<typeof coreMetadata>>>();
for (const d of readdirSync(SITE)) {
  if (!/\.(dist|egg)-info$/.test(d)) continue;
  const m = coreMetadata(path.join(SITE, d));
  if (m) installed.set(normalizePypiName(m.name), m);
}

// The normalisation alone, over every installed distribution's metadata.
let spdx = 0;
let text = 0;
let none = 0;
for (const m of installed.values()) {
  const l = licenseFromDeclared({ ...(m.info.license_expression ? { expression: m.info.license_expression } : {}), ...(m.info.license ? { text: m.info.license } : {}), classifiers: m.info.classifiers.filter((c) => c.startsWith('License :: ')) });
  if (!l) none++;
  else if (normalizeLicense(l)) spdx++;
  else text++;
}

const server = createServer((req, res) => {
  const m = /^\/pypi\/([^/]+)\/([^/]+)\/json$/.exec(req.url ?? '');
  const meta = m ? installed.get(normalizePypiName(m[1]!)) : undefined;
  if (!meta) return void res.writeHead(404, { 'content-type': 'application/json' }).end('{"message":"Not Found"}');
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ info: { name: meta.name, version: m![2], ...meta.info } }));
});
await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

const root = mkdtempSync(path.join(tmpdir(), 'dw-bench-lic-'));
const home = mkdtempSync(path.join(tmpdir(), 'dw-bench-lic-home-'));
mkdirSync(path.join(root, 'kitsune'));
cpSync(path.join(here, '../test/fixtures/formats/uv/kitsune/uv.lock'), path.join(root, 'kitsune/uv.lock'));
cpSync(path.join(here, '../../shared/corpus/pep621/mozilla__kitsune/pyproject.toml'), path.join(root, 'kitsune/pyproject.toml'));
writeFileSync(path.join(root, 'depwarden.yaml'), `version: 1\nupdates:\n  registries:\n    pypi: ${url}/pypi\n`);

async function sbom(args: string[]): Promise<{ components: { purl?: string; licenses?: { license?: { id?: string; name?: string }; expression?: string }[] }[] }> {
  let out = '';
  let err = '';
  const code = await main(['node', 'depwarden', 'sbom', root, '-f', 'cyclonedx-json', ...args], { cwd: root, env: { DEPWARDEN_HOME: home, SOURCE_DATE_EPOCH: '1700000000' }, stdout: (s) => void (out += s), stderr: (s) => void (err += s), isTTY: false });
  if (code !== 0) throw new Error(`sbom exited ${code}: ${err}`);
  if (err.trim()) console.log(err.trim());
  return JSON.parse(out);
}
const count = (bom: Awaited<ReturnType<typeof sbom>>) => {
  const pypi = bom.components.filter((c) => c.purl?.startsWith('pkg:pypi/'));
  const withLic = pypi.filter((c) => c.licenses?.length);
  const spdxIds = withLic.filter((c) => c.licenses![0]!.expression || c.licenses![0]!.license?.id);
  return { pypi: pypi.length, licensed: withLic.length, spdx: spdxIds.length };
};
const before = count(await sbom([]));
const after = count(await sbom(['--registry-licenses']));
server.close();
rmSync(root, { recursive: true, force: true });
rmSync(home, { recursive: true, force: true });

console.log(`installed distributions with core metadata: ${installed.size}; their licence read as SPDX: ${spdx}, as free text: ${text}, none: ${none}`);
console.log(`kitsune uv.lock, PyPI components: ${before.pypi}; with a licence before: ${before.licensed}; after --registry-licenses: ${after.licensed} (${after.spdx} as SPDX), answers available for ${[...installed.keys()].length} names`);
