import path from 'node:path';
import { parse as parseToml } from 'smol-toml';
import { parse as parseYaml } from 'yaml';

/**
 * The configuration a repository's files state, as flat facts (service, category, key → value), so two revisions
 * compare key by key: environment variables (Dockerfile ENV/ARG, compose environment/env_file), build configuration
 * (base images, build args, stages and targets, pyproject build-system, Poetry sources, package.json
 * scripts/engines, .npmrc registries), runtime configuration (CMD/ENTRYPOINT, ports, volumes, healthcheck, user,
 * compose deploy resources/replicas, restart) and CI configuration (actions, permissions, secrets referenced).
 * A file that does not parse yields a single `unreadable` fact (its change still shows), never an exception.
 */
export type Category = 'environment' | 'build' | 'runtime' | 'ci';
export interface Fact {
  service: string;
  category: Category;
  key: string;
  value: string;
  file: string;
}

/** Which files carry configuration, by repository-relative path. */
export function isConfigFile(file: string): boolean {
  const base = path.posix.basename(file);
  if (file.split('/').includes('node_modules')) return false;
  return (
    /^Dockerfile(\..+)?$|\.dockerfile$/i.test(base) ||
    /^(docker-)?compose(\.[\w-]+)?\.ya?ml$/i.test(base) ||
    base === 'pyproject.toml' ||
    base === 'package.json' ||
    base === '.npmrc' ||
    /^\.github\/workflows\/[^/]+\.ya?ml$/.test(file)
  );
}

const stable = (v: unknown): string => {
  if (v === null || v === undefined) return '';
  if (typeof v === 'string') return v;
  if (typeof v !== 'object') return String(v);
  const sort = (x: unknown): unknown => (Array.isArray(x) ? x.map(sort) : x && typeof x === 'object' ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, y]) => [k, sort(y)])) : x);
  return JSON.stringify(sort(v));
};

/** A folder's service name: its own name; the repository root is `(repository)`. */
export function folderService(file: string): string {
  const dir = path.posix.dirname(file);
  return dir === '.' ? '(repository)' : path.posix.basename(dir);
}

export function factsOf(file: string, text: string): Fact[] {
  const base = path.posix.basename(file);
  try {
    if (/^\.github\/workflows\//.test(file)) return workflowFacts(file, text);
    if (/compose/i.test(base) && /\.ya?ml$/i.test(base)) return composeFacts(file, text);
    if (base === 'pyproject.toml') return pyprojectFacts(file, text);
    if (base === 'package.json') return packageJsonFacts(file, text);
    if (base === '.npmrc') return npmrcFacts(file, text);
    return dockerfileFacts(file, text);
  } catch (e) {
    return [{ service: folderService(file), category: 'build', key: `${base} (unreadable)`, value: e instanceof Error ? e.message.split('\n')[0]! : 'unreadable', file }];
  }
}

// ---------- Dockerfile ----------

/** `K=V K2="v 2"` or `K value` (the legacy form), as the Dockerfile reference defines them. */
function envPairs(args: string): [string, string][] {
  const out: [string, string][] = [];
  if (!/^[^\s=]+=/.test(args)) {
    const m = /^(\S+)\s*(.*)$/.exec(args.trim());
    if (m) out.push([m[1]!, m[2]!]);
    return out;
  }
  const re = /([^\s=]+)=("(?:[^"\\]|\\.)*"|'[^']*'|\S*)/g;
  for (const m of args.matchAll(re)) out.push([m[1]!, m[2]!.replace(/^(["'])(.*)\1$/, '$2')]);
  return out;
}

function dockerfileFacts(file: string, text: string): Fact[] {
  const service = folderService(file);
  const facts: Fact[] = [];
  const lines: string[] = [];
  let acc = '';
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*#/.test(raw) && !acc) continue;
    if (/\\\s*$/.test(raw)) {
      acc += `${raw.replace(/\\\s*$/, '')} `;
      continue;
    }
    lines.push(acc + raw);
    acc = '';
  }
  if (acc) lines.push(acc);
  const stages: { name: string; from: string; runtime: Map<string, string> }[] = [];
  const put = (category: Category, key: string, value: string): void => void facts.push({ service, category, key, value, file });
  for (const l of lines) {
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(l);
    if (!m) continue;
    const instr = m[1]!.toUpperCase();
    const args = m[2]!.trim().replace(/\s+/g, ' ');
    const stage = stages.at(-1);
    const where = stage && stages.length > 1 ? ` (stage ${stage.name})` : '';
    switch (instr) {
      case 'FROM': {
        const f = /^(?:--platform=\S+\s+)?(\S+)(?:\s+AS\s+(\S+))?/i.exec(args);
        stages.push({ name: f?.[2] ?? String(stages.length), from: f?.[1] ?? args, runtime: new Map() });
        break;
      }
      case 'ENV':
        for (const [k, v] of envPairs(args)) put('environment', `ENV ${k}${where}`, v);
        break;
      case 'ARG':
        for (const a of args.split(' ')) {
          const [k, ...v] = a.split('=');
          if (k) put('environment', `ARG ${k}${stage ? where : ' (before FROM)'}`, v.join('='));
        }
        break;
      case 'CMD':
      case 'ENTRYPOINT':
      case 'USER':
      case 'HEALTHCHECK':
      case 'STOPSIGNAL':
      case 'WORKDIR':
        stage?.runtime.set(instr, args);
        break;
      case 'EXPOSE':
      case 'VOLUME':
        stage?.runtime.set(instr, [...(stage.runtime.get(instr)?.split(' ') ?? []), ...args.split(' ')].sort().join(' '));
        break;
    }
  }
  stages.forEach((s, i) => put('build', stages.length > 1 ? `base image (stage ${s.name})` : 'base image', s.from));
  if (stages.length > 1) put('build', 'stages', stages.map((s) => s.name).join(', '));
  // What runs is the last stage: its CMD, ENTRYPOINT, USER... (a stage inherits its parent's; not followed here).
  for (const [k, v] of stages.at(-1)?.runtime ?? []) put('runtime', k, v);
  return facts;
}

// ---------- compose ----------

const asMap = (v: unknown): Record<string, string> => {
  if (Array.isArray(v)) return Object.fromEntries(v.filter((x) => typeof x === 'string').map((x: string) => (x.includes('=') ? [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)] : [x, ''])));
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, stable(x)]));
  return {};
};

function composeFacts(file: string, text: string): Fact[] {
  const doc = parseYaml(text, { maxAliasCount: 100 }) as { services?: Record<string, Record<string, unknown>> } | null;
  const facts: Fact[] = [];
  for (const [service, raw] of Object.entries(doc?.services ?? {})) {
    if (!raw || typeof raw !== 'object') continue;
    const put = (category: Category, key: string, value: unknown): void => {
      if (value === undefined || value === null) return;
      facts.push({ service, category, key, value: stable(value), file });
    };
    for (const [k, v] of Object.entries(asMap(raw.environment))) put('environment', `environment ${k}`, v);
    if (raw.env_file !== undefined) put('environment', 'env_file', (Array.isArray(raw.env_file) ? raw.env_file : [raw.env_file]).map((e) => (typeof e === 'string' ? e : stable((e as { path?: unknown }).path))).sort().join(', '));
    put('build', 'image', raw.image);
    const build = typeof raw.build === 'string' ? { context: raw.build } : (raw.build as Record<string, unknown> | undefined);
    if (build) {
      put('build', 'build context', build.context);
      put('build', 'build dockerfile', build.dockerfile);
      put('build', 'build target', build.target);
      for (const [k, v] of Object.entries(asMap(build.args))) put('build', `build arg ${k}`, v);
    }
    for (const k of ['command', 'entrypoint', 'user', 'restart', 'healthcheck', 'working_dir']) put('runtime', k, raw[k]);
    if (Array.isArray(raw.ports)) put('runtime', 'ports', raw.ports.map(stable).sort().join(', '));
    if (Array.isArray(raw.volumes)) put('runtime', 'volumes', raw.volumes.map(stable).sort().join(', '));
    const deploy = raw.deploy as Record<string, unknown> | undefined;
    if (deploy && typeof deploy === 'object') {
      put('runtime', 'deploy replicas', deploy.replicas);
      put('runtime', 'deploy resources', deploy.resources);
      put('runtime', 'deploy restart_policy', deploy.restart_policy);
    }
  }
  return facts;
}

// ---------- pyproject, package.json, .npmrc ----------

function pyprojectFacts(file: string, text: string): Fact[] {
  const doc = parseToml(text) as Record<string, any>;
  const service = folderService(file);
  const facts: Fact[] = [];
  const bs = doc['build-system'];
  if (bs && typeof bs === 'object') {
    if (bs['build-backend'] !== undefined) facts.push({ service, category: 'build', key: 'build-system backend', value: stable(bs['build-backend']), file });
    if (Array.isArray(bs.requires)) facts.push({ service, category: 'build', key: 'build-system requires', value: bs.requires.map(stable).sort().join(', '), file });
  }
  const sources = doc.tool?.poetry?.source;
  for (const s of Array.isArray(sources) ? sources : []) {
    if (s && typeof s === 'object' && typeof s.name === 'string') facts.push({ service, category: 'build', key: `Poetry source ${s.name}`, value: `${stable(s.url)}${s.priority ? ` (${stable(s.priority)})` : ''}`, file });
  }
  return facts;
}

function packageJsonFacts(file: string, text: string): Fact[] {
  const doc = JSON.parse(text) as { scripts?: Record<string, unknown>; engines?: Record<string, unknown> };
  const service = folderService(file);
  const facts: Fact[] = [];
  for (const [k, v] of Object.entries(doc.scripts ?? {})) facts.push({ service, category: 'build', key: `script ${k}`, value: stable(v), file });
  for (const [k, v] of Object.entries(doc.engines ?? {})) facts.push({ service, category: 'build', key: `engines ${k}`, value: stable(v), file });
  return facts;
}

function npmrcFacts(file: string, text: string): Fact[] {
  const service = folderService(file);
  const facts: Fact[] = [];
  for (const line of text.split(/\r?\n/)) {
    const m = /^\s*((?:@[\w.-]+:)?registry)\s*=\s*(\S+)/.exec(line);
    if (m) facts.push({ service, category: 'build', key: `.npmrc ${m[1]}`, value: m[2]!, file });
    // Auth lines are never facts: their values are credentials, and their presence says nothing about the build.
  }
  return facts;
}

// ---------- workflows ----------

function workflowFacts(file: string, text: string): Fact[] {
  const doc = parseYaml(text, { maxAliasCount: 100 }) as { permissions?: unknown; jobs?: Record<string, Record<string, unknown>> } | null;
  const service = `CI ${path.posix.basename(file)}`;
  const facts: Fact[] = [];
  if (doc?.permissions !== undefined) facts.push({ service, category: 'ci', key: 'permissions', value: stable(doc.permissions), file });
  const uses = new Map<string, Set<string>>();
  for (const [job, body] of Object.entries(doc?.jobs ?? {})) {
    if (!body || typeof body !== 'object') continue;
    if (body.permissions !== undefined) facts.push({ service, category: 'ci', key: `job ${job} permissions`, value: stable(body.permissions), file });
    const steps = Array.isArray(body.steps) ? body.steps : [];
    const refs = [typeof body.uses === 'string' ? body.uses : undefined, ...steps.map((s: { uses?: unknown }) => (typeof s?.uses === 'string' ? s.uses : undefined))];
    for (const r of refs) {
      if (!r) continue;
      const at = r.lastIndexOf('@');
      const name = at > 0 ? r.slice(0, at) : r;
      if (!uses.has(name)) uses.set(name, new Set());
      uses.get(name)!.add(at > 0 ? r.slice(at + 1) : '');
    }
  }
  for (const [name, refs] of uses) facts.push({ service, category: 'ci', key: `action ${name}`, value: [...refs].sort().join(', '), file });
  for (const s of new Set([...text.matchAll(/\bsecrets\.([A-Za-z_][A-Za-z0-9_]*)/g)].map((m) => m[1]!))) facts.push({ service, category: 'ci', key: `secret ${s}`, value: 'referenced', file });
  return facts;
}
