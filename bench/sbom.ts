// depwarden sbom vs @cyclonedx/cdxgen on the corpus's Poetry and npm repositories, in one run: wall time and a
// field-by-field comparison of the components both report. Run: node bench/sbom.ts
// (cdxgen is installed on first use into bench/out/peers at the version pinned in bench/lib/peers.ts)
import { mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { measure, NODE, REPO } from './lib/measure.ts';
import { peerBin } from './lib/peers.ts';

const CORPUS = path.resolve(REPO, '..', 'shared', 'corpus');
const CASES = [
  ['poetry/python-poetry__poetry', 'python'],
  ['poetry/mozilla__kitsune', 'python'],
  ['poetry/Chia-Network__chia-blockchain', 'python'],
  ['poetry/zylon-ai__private-gpt', 'python'],
  ['poetry/python-poetry__poetry-plugin-export', 'python'],
  ['npm/open-telemetry__opentelemetry-js', 'js'],
  ['npm/All-Hands-AI__OpenHands__frontend', 'js'],
  ['npm/saleor__saleor', 'js'],
] as const;

interface Comp { purl: string; scope?: string; hashes: string[]; licenses: string[] }

/**
 * name@version key from a purl: qualifiers dropped, compared case-insensitively (the purl spec lowercases npm and
 * PyPI names, cdxgen keeps npm's original case: pkg:npm/JSONStream vs pkg:npm/jsonstream), PyPI `_`/`.` as `-`.
 */
function key(purl: string): string {
  const noQ = decodeURIComponent(purl.split('?')[0]!.split('#')[0]!).toLowerCase();
  if (!noQ.startsWith('pkg:pypi/')) return noQ;
  const at = noQ.lastIndexOf('@');
  return `${noQ.slice(0, at).replace(/[_.]/g, '-')}${noQ.slice(at)}`;
}

function comps(file: string): Map<string, Comp> {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { components?: { purl?: string; scope?: string; hashes?: { content: string }[]; licenses?: { license?: { id?: string; name?: string }; expression?: string }[] }[] };
  const out = new Map<string, Comp>();
  for (const c of doc.components ?? []) {
    if (!c.purl || !/^pkg:(pypi|npm)\//.test(c.purl)) continue;
    out.set(key(c.purl), { purl: c.purl, ...(c.scope ? { scope: c.scope } : {}), hashes: (c.hashes ?? []).map((h) => h.content), licenses: (c.licenses ?? []).map((l) => l.expression ?? l.license?.id ?? l.license?.name ?? '').filter(Boolean) });
  }
  return out;
}

const cdxgen = peerBin('cdxgen');
if (!cdxgen) throw new Error('cdxgen could not be installed');
const out = path.join(REPO, 'bench', 'out', 'sbom');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
const env = { FETCH_LICENSE: 'false', CDXGEN_NO_INSTALL: 'true', SOURCE_DATE_EPOCH: '0' };
let tD = 0;
let tC = 0;
const rows: string[] = [];
const totals = { both: 0, onlyD: 0, onlyC: 0, scopeD: 0, scopeC: 0, hashD: 0, hashC: 0, licD: 0, licC: 0 };
for (const [dir, type] of CASES) {
  const src = path.join(CORPUS, dir);
  const dD = path.join(out, `${dir.replace('/', '_')}.depwarden`);
  const fD = path.join(dD, 'repository.cdx.json');
  const fC = path.join(out, `${dir.replace('/', '_')}.cdxgen.json`);
  const d = measure(NODE, [path.join(REPO, 'bin', 'depwarden.js'), 'sbom', src, '-o', dD], env);
  if (d.status !== 0) throw new Error(`depwarden sbom failed on ${dir}: ${d.stderr.slice(-400)}`);
  const c = measure(NODE, [cdxgen, '-t', type, '-o', fC, '--no-install-deps', src], env);
  if (c.status !== 0) throw new Error(`cdxgen failed on ${dir}: ${c.stderr.slice(-400)}`);
  tD += d.ms;
  tC += c.ms;
  const a = comps(fD);
  const b = comps(fC);
  const both = [...a.keys()].filter((k) => b.has(k));
  const s = {
    both: both.length,
    onlyD: [...a.keys()].filter((k) => !b.has(k)).length,
    onlyC: [...b.keys()].filter((k) => !a.has(k)).length,
    scopeD: both.filter((k) => a.get(k)!.scope).length,
    scopeC: both.filter((k) => b.get(k)!.scope).length,
    hashD: both.filter((k) => a.get(k)!.hashes.length).length,
    hashC: both.filter((k) => b.get(k)!.hashes.length).length,
    licD: both.filter((k) => a.get(k)!.licenses.length).length,
    licC: both.filter((k) => b.get(k)!.licenses.length).length,
  };
  for (const k of Object.keys(totals) as (keyof typeof totals)[]) totals[k] += s[k];
  rows.push(`| ${dir} | ${d.ms.toFixed(0)} | ${c.ms.toFixed(0)} | ${(c.ms / d.ms).toFixed(1)}x | ${s.both} | ${s.onlyD} | ${s.onlyC} | ${s.scopeD}/${s.scopeC} | ${s.hashD}/${s.hashC} | ${s.licD}/${s.licC} |`);
}
console.log('| case | depwarden ms | cdxgen ms | ratio | both | only depwarden | only cdxgen | with scope d/c | with hashes d/c | with licence d/c |');
console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) console.log(r);
console.log(`| total | ${tD.toFixed(0)} | ${tC.toFixed(0)} | ${(tC / tD).toFixed(1)}x | ${totals.both} | ${totals.onlyD} | ${totals.onlyC} | ${totals.scopeD}/${totals.scopeC} | ${totals.hashD}/${totals.hashC} | ${totals.licD}/${totals.licC} |`);

