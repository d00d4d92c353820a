import type { Dependency, PackageSource } from '../model/dependency.ts';
import type { PackageJsonData, ParseResult } from '../model/files.ts';
import { KeyLocator, parseJson } from './json-positions.ts';
import { parseFinding } from './parse-finding.ts';
import { LineIndex } from './text-position.ts';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);

const SECTIONS = [
  { key: 'dependencies', group: 'main', dev: false, optional: false },
  { key: 'devDependencies', group: 'dev', dev: true, optional: false },
  { key: 'optionalDependencies', group: 'optional', dev: false, optional: true },
  { key: 'peerDependencies', group: 'peer', dev: false, optional: false },
] as const;

/** package.json: dependency sections, workspaces, engines, packageManager, license. */
export function parsePackageJson(file: string, text: string): ParseResult<PackageJsonData> {
  const parsed = parseJson(file, text);
  if (!isObj(parsed.value)) {
    return { findings: parsed.findings.length ? parsed.findings : [parseFinding(file, 1, 1, 'package.json must be a JSON object')] };
  }
  const doc = parsed.value;
  const idx = new LineIndex(file, text);
  const dependencies: Dependency[] = [];
  const findings = [...parsed.findings];
  for (const s of SECTIONS) {
    const section = doc[s.key];
    if (section !== undefined && !isObj(section)) {
      const p = idx.position(new KeyLocator(text).next(s.key) ?? 0);
      findings.push(parseFinding(file, p.line, p.column, `${s.key} is not an object of name: range; ignored`));
      continue;
    }
    if (!isObj(section)) continue;
    const sectionAt = new KeyLocator(text).next(s.key) ?? 0;
    const loc = new KeyLocator(text, sectionAt + 1);
    for (const [name, value] of Object.entries(section)) {
      const at = loc.next(name) ?? sectionAt;
      if (typeof value !== 'string') {
        // A number or object where a version range belongs: said, with its line, never silently dropped.
        const p = idx.position(at);
        const kind = value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `a ${typeof value}`;
        findings.push(parseFinding(file, p.line, p.column, `${s.key}.${name} is ${kind}, not a version range string; ignored`, 'Write the range as a string, e.g. "1.2.3".'));
        continue;
      }
      const lit = KeyLocator.stringValue(text, at);
      const source = npmSource(value);
      dependencies.push({
        ecosystem: 'npm',
        name,
        normalizedName: name,
        constraint: value,
        constraintSyntax: source ? 'none' : 'npm',
        group: s.group,
        dev: s.dev,
        optional: s.optional,
        ...(source ? { source } : {}),
        span: idx.span(at, at),
        ...(lit ? { constraintSpan: idx.span(lit.start, lit.end) } : {}),
      });
    }
  }
  const overrides = forcedVersions(text, doc, idx);
  const engineRanges = engineDeclarations(text, doc, idx);
  const ws = doc.workspaces;
  const workspaces = Array.isArray(ws) ? ws : isObj(ws) && Array.isArray(ws.packages) ? ws.packages : [];
  const engines: Record<string, string> = {};
  if (isObj(doc.engines)) for (const [k, v] of Object.entries(doc.engines)) if (typeof v === 'string') engines[k] = v;
  const license = str(doc.license) ?? (isObj(doc.license) ? str(doc.license.type) : undefined);
  return {
    data: {
      kind: 'package-json',
      file,
      ...(str(doc.name) ? { name: str(doc.name)! } : {}),
      ...(str(doc.version) ? { version: str(doc.version)! } : {}),
      ...(typeof doc.private === 'boolean' ? { private: doc.private } : {}),
      dependencies,
      workspaces: workspaces.filter((w): w is string => typeof w === 'string'),
      ...(str(doc.packageManager) ? { packageManager: str(doc.packageManager)! } : {}),
      ...(Object.keys(engines).length ? { engines } : {}),
      ...(license ? { license } : {}),
      ...(overrides.length ? { overrides } : {}),
      ...(engineRanges.length ? { engineRanges } : {}),
    },
    findings,
  };
}

/**
 * `overrides` (npm) and `resolutions` (yarn) entries whose value is a registry range: `"minimist": "1.2.6"`,
 * `"foo@1.x": "1.2.3"`, `"**\/lodash": "4.17.21"`. References (`$foo`), nested objects and location specs are
 * left out: there is no single version to update.
 */
function forcedVersions(text: string, doc: Obj, idx: LineIndex): Dependency[] {
  const out: Dependency[] = [];
  for (const key of ['overrides', 'resolutions'] as const) {
    const section = doc[key];
    if (!isObj(section)) continue;
    const sectionAt = new KeyLocator(text).next(key) ?? 0;
    const loc = new KeyLocator(text, sectionAt + 1);
    for (const [k, value] of Object.entries(section)) {
      const at = loc.next(k);
      if (typeof value !== 'string' || at === undefined || value.startsWith('$') || npmSource(value) || value.startsWith('npm:')) continue;
      // The package is the last path segment (resolutions), without a version selector (overrides).
      const m = /(?:^|\/)((?:@[^/@]+\/)?[^/@]+)(?:@[^/]*)?$/.exec(k);
      if (!m || m[1] === '*' || m[1] === '**') continue;
      const lit = KeyLocator.stringValue(text, at);
      out.push({ ecosystem: 'npm', name: m[1]!, normalizedName: m[1]!, constraint: value, constraintSyntax: 'npm', group: key, dev: false, optional: false, span: idx.span(at, at), ...(lit ? { constraintSpan: idx.span(lit.start, lit.end) } : {}) });
    }
  }
  return out;
}

/**
 * The `engines` entries whose runtime is published on the npm registry (node, npm, pnpm): compatibility ranges,
 * checked for updates like peer ranges (group "engines"). Other keys (vscode, ...) name no npm package.
 */
export const ENGINE_PACKAGES = ['node', 'npm', 'pnpm'] as const;

function engineDeclarations(text: string, doc: Obj, idx: LineIndex): Dependency[] {
  const section = doc.engines;
  if (!isObj(section)) return [];
  const sectionAt = new KeyLocator(text).next('engines') ?? 0;
  const loc = new KeyLocator(text, sectionAt + 1);
  const out: Dependency[] = [];
  for (const [k, value] of Object.entries(section)) {
    const at = loc.next(k);
    if (typeof value !== 'string' || at === undefined || !(ENGINE_PACKAGES as readonly string[]).includes(k)) continue;
    const lit = KeyLocator.stringValue(text, at);
    out.push({ ecosystem: 'npm', name: k, normalizedName: k, constraint: value, constraintSyntax: 'npm', group: 'engines', dev: false, optional: false, span: idx.span(at, at), ...(lit ? { constraintSpan: idx.span(lit.start, lit.end) } : {}) });
  }
  return out;
}

/** Specs that name a location instead of a registry range. `npm:` aliases stay registry ranges. */
function npmSource(spec: string): PackageSource | undefined {
  if (/^(file:|link:)/.test(spec)) return { type: 'directory', path: spec.replace(/^(file:|link:)/, '') };
  if (spec.startsWith('workspace:')) return { type: 'directory', path: spec };
  if (/^(git\+|git:|github:|gitlab:|bitbucket:)/.test(spec) || /^[\w.-]+\/[\w.-]+(#.*)?$/.test(spec)) {
    const [url, ref] = spec.replace(/^git\+/, '').split('#');
    return { type: 'git', url: url!, ...(ref ? { reference: ref } : {}) };
  }
  if (/^https?:\/\//.test(spec)) return { type: 'url', url: spec };
  return undefined;
}
