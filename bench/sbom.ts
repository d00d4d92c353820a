// depwarden sbom vs @cyclonedx/cdxgen on the corpus's Poetry, requirements, npm and monorepo cases, in one run:
// wall time (median of RUNS warm runs each) and a field-by-field comparison judged against the raw lock files,
// read here independently of depwarden's parsers (smol-toml / JSON / text search).
// Run: node bench/sbom.ts        (cdxgen is installed on first use, see bench/lib/peers.ts)
// BENCH_BASE=<another checkout> also times that checkout's `depwarden sbom`, interleaved with this one and cdxgen
// in every run (same machine load), as the "before" column: a before/after comparison in one run.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { median, NODE, REPO } from './lib/measure.ts';
import { peerBin } from './lib/peers.ts';

const CORPUS = path.resolve(REPO, '..', 'shared', 'corpus');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const BASE = process.env.BENCH_BASE ? path.resolve(process.env.BENCH_BASE) : undefined;
const TYPES: Record<string, string[]> = { poetry: ['python'], requirements: ['python'], npm: ['js'], monorepo: ['python', 'js'] };
const CASES = readFileSync(path.join(CORPUS, 'INDEX.tsv'), 'utf8')
  .trim()
  .split('\n')
  .slice(1)
  .map((l) => l.split('\t'))
  .filter((f) => TYPES[f[1]!])
  .map((f) => ({ dir: f[0]!, types: TYPES[f[1]!]! }));

type Scope = 'required' | 'optional' | 'excluded';
interface Comp { scope: Scope; hashes: Set<string>; licenses: Set<string> }
const RANK: Record<Scope, number> = { required: 0, optional: 1, excluded: 2 };
const least = (a: Scope, b: Scope): Scope => (RANK[a] <= RANK[b] ? a : b);

/** name@version, case-insensitive, PyPI separators folded (cdxgen and depwarden spell some names differently). */
function key(purl: string): string {
  const noQ = decodeURIComponent(purl.split('?')[0]!.split('#')[0]!).toLowerCase();
  if (!noQ.startsWith('pkg:pypi/')) return noQ;
  const at = noQ.lastIndexOf('@');
  return at < 0 ? noQ.replace(/[_.]/g, '-') : `${noQ.slice(0, at).replace(/[_.]/g, '-')}${noQ.slice(at)}`;
}
const licNorm = (s: string): string => s.replace(/[()]/g, '').trim().toLowerCase();

/** Components of a CycloneDX JSON file; several entries of one name@version (npm nesting) merged. */
function comps(file: string): Map<string, Comp> {
  const doc = JSON.parse(readFileSync(file, 'utf8')) as { components?: { purl?: string; scope?: Scope; hashes?: { content: string }[]; licenses?: { license?: { id?: string; name?: string }; expression?: string }[] }[] };
  const out = new Map<string, Comp>();
  for (const c of doc.components ?? []) {
    if (!c.purl || !/^pkg:(pypi|npm)\//.test(c.purl)) continue;
    const k = key(c.purl);
    const e = out.get(k) ?? { scope: 'excluded' as Scope, hashes: new Set<string>(), licenses: new Set<string>() };
    e.scope = least(e.scope, c.scope ?? 'required'); // CycloneDX: no scope means required
    for (const h of c.hashes ?? []) e.hashes.add(h.content.toLowerCase());
    for (const l of c.licenses ?? []) {
      const t = l.expression ?? l.license?.id ?? l.license?.name;
      if (t) e.licenses.add(licNorm(t));
    }
    out.set(k, e);
  }
  return out;
}

/** What the locks themselves say: scope per name@version where the lock states it, licences, and all text. */
interface Truth { scope: Map<string, Scope>; licenses: Map<string, Set<string>>; keys: Set<string>; text: string }
function truthOf(root: string): Truth {
  const t: Truth = { scope: new Map(), licenses: new Map(), keys: new Set(), text: '' };
  const setScope = (k: string, s: Scope): void => void t.scope.set(k, t.scope.has(k) ? least(t.scope.get(k)!, s) : s);
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) {
        if (e.name !== 'node_modules' && e.name !== '.git') walk(p);
        continue;
      }
      if (e.name === 'poetry.lock') {
        const text = readFileSync(p, 'utf8');
        t.text += text;
        const doc = parseToml(text) as { package?: { name: string; version: string; optional?: boolean; category?: string; groups?: string[] }[] };
        for (const pk of doc.package ?? []) {
          const k = key(`pkg:pypi/${pk.name}@${pk.version}`);
          t.keys.add(k);
          // Lock 2.1 names groups, 1.1 a category; 2.0 says neither (the manifest would): no truth then.
          const dev = pk.groups ? !pk.groups.includes('main') : pk.category ? pk.category === 'dev' : undefined;
          if (dev !== undefined) setScope(k, dev ? 'excluded' : pk.optional ? 'optional' : 'required');
        }
      } else if (e.name === 'package-lock.json') {
        const text = readFileSync(p, 'utf8');
        t.text += text;
        const doc = JSON.parse(text) as { packages?: Record<string, { name?: string; version?: string; dev?: boolean; optional?: boolean; devOptional?: boolean; license?: string; link?: boolean }> };
        for (const [k0, v] of Object.entries(doc.packages ?? {})) {
          if (!k0 || v.link || !v.version) continue;
          const name = v.name ?? k0.slice(k0.lastIndexOf('node_modules/') + 13);
          const k = key(`pkg:npm/${name}@${v.version}`);
          t.keys.add(k);
          setScope(k, v.dev || v.devOptional ? 'excluded' : v.optional ? 'optional' : 'required');
          if (v.license) t.licenses.set(k, new Set([...(t.licenses.get(k) ?? []), licNorm(v.license)]));
        }
      } else if (/requirements.*\.txt$|^[\w-]*\.txt$/.test(e.name) && p.includes('requirements')) t.text += readFileSync(p, 'utf8');
    }
  };
  walk(root);
  return t;
}

/** A hash is right when the lock holds it: hex (Poetry, pip --hash) or the base64 of npm's integrity. */
const hashInLock = (hex: string, text: string): boolean => text.includes(hex) || text.includes(Buffer.from(hex, 'hex').toString('base64'));

type Verdict = 'right' | 'wrong' | 'none' | 'n/a';
function judge(c: Comp, k: string, t: Truth): Record<'scope' | 'hashes' | 'licenses', Verdict> {
  const ts = t.scope.get(k);
  const tl = t.licenses.get(k);
  return {
    scope: ts === undefined ? 'n/a' : c.scope === ts ? 'right' : 'wrong',
    hashes: c.hashes.size === 0 ? 'none' : [...c.hashes].every((h) => hashInLock(h, t.text)) ? 'right' : 'wrong',
    licenses: c.licenses.size === 0 ? (tl ? 'none' : 'n/a') : tl && [...c.licenses].every((l) => tl.has(l)) ? 'right' : tl ? 'wrong' : 'n/a',
  };
}

function timed(cmd: string, args: string[], env: NodeJS.ProcessEnv, stdoutFile?: string): { ms: number; ok: boolean; err: string } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { env: { ...process.env, ...env }, encoding: 'utf8', maxBuffer: 1 << 30 });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (stdoutFile && r.status === 0) writeFileSync(stdoutFile, r.stdout);
  return { ms, ok: r.status === 0, err: (r.stderr ?? '').slice(-300) };
}

const cdxgen = peerBin('cdxgen');
if (!cdxgen) throw new Error('cdxgen could not be installed');
const out = path.join(REPO, 'bench', 'out', 'sbom');
rmSync(out, { recursive: true, force: true });
mkdirSync(out, { recursive: true });
// cdxgen offline, as its docs say: no licence fetching, no package installs; --required-only stays off.
const env = { FETCH_LICENSE: 'false', CDXGEN_NO_INSTALL: 'true', SOURCE_DATE_EPOCH: '0', CDXGEN_DEBUG_MODE: '' };
const FIELDS = ['scope', 'hashes', 'licenses'] as const;
const total = { d: 0, c: 0, both: 0, onlyD: 0, onlyC: 0, onlyCInLock: 0, violations: 0 } as Record<string, number>;
const tally: Record<string, Record<Verdict, number>> = {};
for (const f of FIELDS) for (const tool of ['d', 'c']) tally[`${f}.${tool}`] = { right: 0, wrong: 0, none: 0, 'n/a': 0 };
const rows: string[] = [];
const loads: number[] = [loadavg()[0]!];
let totalBase = 0;
const examples: string[] = [];
// One warm-up each: compile caches and the OS file cache filled before timing.
timed(NODE, [path.join(REPO, 'bin', 'depwarden.js'), 'sbom', path.join(CORPUS, CASES[0]!.dir)], env);
for (const { dir, types } of CASES) {
  const src = path.join(CORPUS, dir);
  const fD = path.join(out, `${dir.replace('/', '_')}.depwarden.cdx.json`);
  const fC = path.join(out, `${dir.replace('/', '_')}.cdxgen.cdx.json`);
  const tD: number[] = [];
  const tC: number[] = [];
  const tB: number[] = [];
  let cErr = '';
  if (BASE) timed(NODE, [path.join(BASE, 'bin', 'depwarden.js'), 'sbom', src], env);
  for (let i = 0; i < RUNS; i++) {
    if (BASE) tB.push(timed(NODE, [path.join(BASE, 'bin', 'depwarden.js'), 'sbom', src], env).ms);
    const d = timed(NODE, [path.join(REPO, 'bin', 'depwarden.js'), 'sbom', src], env, fD);
    if (!d.ok) throw new Error(`depwarden sbom failed on ${dir}: ${d.err}`);
    tD.push(d.ms);
    const c = timed(NODE, [cdxgen, ...types.flatMap((t) => ['-t', t]), '-o', fC, '--no-install-deps', src], env);
    if (!c.ok) cErr = c.err;
    tC.push(c.ms);
  }
  if (cErr) {
    rows.push(`| ${dir} |${BASE ? ` ${median(tB).toFixed(0)} |` : ''} ${median(tD).toFixed(0)} | failed | | | | | | |`);
    examples.push(`cdxgen failed on ${dir}: ${cErr.replace(/\s+/g, ' ').slice(0, 200)}`);
    continue;
  }
  const a = comps(fD);
  const b = comps(fC);
  const t = truthOf(src);
  const both = [...a.keys()].filter((k) => b.has(k));
  const onlyC = [...b.keys()].filter((k) => !a.has(k));
  let violations = 0;
  for (const k of both) {
    const vd = judge(a.get(k)!, k, t);
    const vc = judge(b.get(k)!, k, t);
    for (const f of FIELDS) {
      tally[`${f}.d`]![vd[f]]++;
      tally[`${f}.c`]![vc[f]]++;
      // The superset test: whatever cdxgen gets right, depwarden must get right too.
      if (vc[f] === 'right' && vd[f] !== 'right') {
        violations++;
        if (examples.length < 20) examples.push(`${dir} ${k} ${f}: cdxgen right, depwarden ${vd[f]}`);
      }
    }
  }
  const md = median(tD);
  const mc = median(tC);
  loads.push(loadavg()[0]!);
  const before = BASE ? ` ${median(tB).toFixed(0)} (${(mc / median(tB)).toFixed(1)}x) |` : '';
  if (BASE) totalBase += median(tB);
  total.d! += md;
  total.c! += mc;
  total.both! += both.length;
  total.onlyD! += a.size - both.length;
  total.onlyC! += onlyC.length;
  total.onlyCInLock! += onlyC.filter((k) => t.keys.has(k)).length;
  total.violations! += violations;
  rows.push(`| ${dir} |${before} ${md.toFixed(0)} | ${mc.toFixed(0)} | ${(mc / md).toFixed(1)}x | ${both.length} | ${a.size - both.length} | ${onlyC.length} (${onlyC.filter((k) => t.keys.has(k)).length}) | ${violations} |`);
}
console.log(`RUNS=${RUNS} (median wall time per tool and case, warm); 1-min load average ${Math.min(...loads).toFixed(2)}-${Math.max(...loads).toFixed(2)}\n`);
console.log(`| case |${BASE ? ' before ms (ratio) |' : ''} depwarden ms | cdxgen ms | ratio | both | only depwarden | only cdxgen (of them in a lock) | cdxgen right, depwarden not |`);
console.log(`| --- |${BASE ? ' ---: |' : ''} ---: | ---: | ---: | ---: | ---: | ---: | ---: |`);
for (const r of rows) console.log(r);
console.log(`| total |${BASE ? ` ${totalBase.toFixed(0)} (${(total.c! / totalBase).toFixed(1)}x) |` : ''} ${total.d!.toFixed(0)} | ${total.c!.toFixed(0)} | ${(total.c! / total.d!).toFixed(1)}x | ${total.both} | ${total.onlyD} | ${total.onlyC} (${total.onlyCInLock}) | ${total.violations} |`);
console.log('\nComponents both report, judged against the lock files (right / wrong / none given / lock states nothing):\n');
console.log('| field | depwarden | cdxgen |');
console.log('| --- | --- | --- |');
const fmt = (v: Record<Verdict, number>): string => `${v.right} / ${v.wrong} / ${v.none} / ${v['n/a']}`;
for (const f of FIELDS) console.log(`| ${f} | ${fmt(tally[`${f}.d`]!)} | ${fmt(tally[`${f}.c`]!)} |`);
if (examples.length) console.log(`\n${examples.map((e) => `- ${e}`).join('\n')}`);
